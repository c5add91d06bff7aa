#include "libs/service/cache_table.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace eda::service {

using google::protobuf::FieldDescriptor;

CacheTable::CacheTable(std::string table, std::vector<std::string> columns)
    : table_(std::move(table)), columns_(std::move(columns)) {
  select_ = absl::StrCat("SELECT ", absl::StrJoin(columns_, ", "), " FROM ", table_, " WHERE ",
                         columns_.at(0), " = $1");
  std::vector<std::string> placeholders;
  for (size_t i = 0; i < columns_.size(); ++i) placeholders.push_back(absl::StrCat("$", i + 1));
  insert_ = absl::StrCat("INSERT INTO ", table_, " (", absl::StrJoin(columns_, ", "), ") VALUES (",
                         absl::StrJoin(placeholders, ", "), ") ON CONFLICT (", columns_.at(0),
                         ") DO NOTHING");
}

absl::StatusOr<pg::Result> CacheTable::Find(outbox::UnitOfWork& uow, const std::string& id) const {
  return uow.tx().Exec(select_, {id});
}

void CacheTable::Insert(outbox::UnitOfWork& uow, const google::protobuf::Message& m) const {
  std::vector<pg::Param> params;
  for (const std::string& column : columns_) params.push_back(FieldParam(m, column));
  uow.Defer(insert_, std::move(params));
}

void CacheTable::Update(outbox::UnitOfWork& uow, const google::protobuf::Message& m,
                        const std::vector<std::string>& columns) const {
  std::vector<std::string> sets;
  std::vector<pg::Param> params = {FieldParam(m, columns_.at(0))};
  for (const std::string& column : columns) {
    params.push_back(FieldParam(m, column));
    sets.push_back(absl::StrCat(column, " = $", params.size()));
  }
  uow.Defer(absl::StrCat("UPDATE ", table_, " SET ", absl::StrJoin(sets, ", "),
                         ", updated_at = now() WHERE ", columns_.at(0), " = $1"),
            std::move(params));
}

void CacheTable::Delete(outbox::UnitOfWork& uow, const std::string& id) const {
  uow.Defer(absl::StrCat("DELETE FROM ", table_, " WHERE ", columns_.at(0), " = $1"), {id});
}

void CacheTable::Clear(outbox::UnitOfWork& uow) const {
  uow.Defer(absl::StrCat("DELETE FROM ", table_), {});
}

pg::Param FieldParam(const google::protobuf::Message& m, const std::string& field) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(field);
  if (f == nullptr || f->is_repeated()) return nullptr;
  const google::protobuf::Reflection* r = m.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return static_cast<double>(r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_INT32:
      return r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return static_cast<int64_t>(r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return static_cast<int64_t>(r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(m, f);
    default:
      return nullptr;
  }
}

}  // namespace eda::service
