#include "libs/service/rows.h"

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace eda::service {

absl::Status FillFromRow(const pg::Result& result, int row, google::protobuf::Message& out) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Descriptor* type = out.GetDescriptor();
  const google::protobuf::Reflection* reflection = out.GetReflection();
  for (int col = 0; col < result.columns(); ++col) {
    const absl::string_view name = result.ColumnName(col);
    const FieldDescriptor* field = type->FindFieldByName(std::string(name));
    if (field == nullptr || field->is_repeated()) {
      return absl::InternalError(
          absl::StrCat("column ", name, " has no field in ", type->full_name()));
    }
    if (result.IsNull(row, col)) continue;
    const absl::string_view text = result.Text(row, col);
    bool ok = true;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        reflection->SetString(&out, field, std::string(text));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        reflection->SetBool(&out, field, result.Bool(row, col));
        break;
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v = 0;
        ok = absl::SimpleAtoi(text, &v);
        if (ok) reflection->SetInt64(&out, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v = 0;
        ok = absl::SimpleAtoi(text, &v);
        if (ok) reflection->SetInt32(&out, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v = 0;
        ok = absl::SimpleAtod(text, &v);
        if (ok) reflection->SetDouble(&out, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        float v = 0;
        ok = absl::SimpleAtof(text, &v);
        if (ok) reflection->SetFloat(&out, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        // A google.protobuf.Timestamp from seconds since the epoch (extract(epoch from ...)).
        double seconds = 0;
        ok = field->message_type()->full_name() == "google.protobuf.Timestamp" &&
             absl::SimpleAtod(text, &seconds);
        if (ok) {
          auto& at =
              static_cast<google::protobuf::Timestamp&>(*reflection->MutableMessage(&out, field));
          at = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
              static_cast<int64_t>(seconds * 1e6));
        }
        break;
      }
      default:
        ok = false;
    }
    if (!ok) {
      return absl::InternalError(
          absl::StrCat("column ", name, " ('", text, "') does not fit ", field->full_name()));
    }
  }
  return absl::OkStatus();
}

}  // namespace eda::service
