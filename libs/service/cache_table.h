// File: cache_table.h
// A service's cache of a peer's entities (stores, products, customers), declared once as a table
// and its columns: each column is the field of the same name of the peer's messages, so the same
// declaration reads a row as the peer's API message, writes what the fallback call returned, and
// applies the peer's integration events, with no mapping code per service.
//
//   PeerCache<storespb::Store> stores(
//       {.table = "stores_cache", .columns = {"id", "name"}, .what = "store",
//        .fetch = [&](const std::string& id) -> absl::StatusOr<storespb::Store> {...}});
//   EDA_ASSIGN_OR_RETURN(storespb::Store s, stores.Get(uow, id));  // cache, then the peer
//   stores.table().Insert(uow, store_created);     // storespb.StoreCreated{id, name, location}
//   stores.table().Update(uow, store_rebranded, {"name"});
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/service/peers.h"
#include "libs/service/rows.h"

namespace eda::service {

// The SQL of one cache table. Column 0 is the key (`id`); every column has a field of its name in
// the messages given to it (the key included). Every statement is queued on the unit of work.
class CacheTable final {
 public:
  CacheTable(std::string table, std::vector<std::string> columns);

  // The row `id`, its columns named as the fields of the message they fill.
  absl::StatusOr<pg::Result> Find(outbox::UnitOfWork& uow, const std::string& id) const;
  // Inserts the row of `m`'s fields, keeping a row inserted meanwhile (a redelivered event, a
  // fallback racing the event): idempotent, and never aborting the transaction.
  void Insert(outbox::UnitOfWork& uow, const google::protobuf::Message& m) const;
  // Sets `columns` of the row `m.id` from `m`'s fields of those names.
  void Update(outbox::UnitOfWork& uow, const google::protobuf::Message& m,
              const std::vector<std::string>& columns) const;
  void Delete(outbox::UnitOfWork& uow, const std::string& id) const;
  // Empties the table (a rebuild from the peer's events starts from here).
  void Clear(outbox::UnitOfWork& uow) const;

  const std::string& name() const { return table_; }

 private:
  std::string table_;
  std::vector<std::string> columns_;
  std::string select_;
  std::string insert_;
};

// The value of `m`'s field `field` as a statement parameter (strings, numbers, bools; a missing
// field is NULL).
pg::Param FieldParam(const google::protobuf::Message& m, const std::string& field);

// A cache table with the peer's answer on a miss (CachedLookup over a CacheTable).
template <typename T>
class PeerCache final {
 public:
  struct Options {
    std::string table;
    std::vector<std::string> columns;
    std::string what;  // e.g. "store", for messages
    std::function<absl::StatusOr<T>(const std::string& id)> fetch;
  };
  explicit PeerCache(Options options)
      : table_(std::move(options.table), std::move(options.columns)),
        lookup_({.what = std::move(options.what),
                 .find = [this](outbox::UnitOfWork& uow,
                                const std::string& id) -> absl::StatusOr<std::optional<T>> {
                   absl::StatusOr<pg::Result> r = table_.Find(uow, id);
                   if (!r.ok()) return r.status();
                   return FirstRowAs<T>(*r);
                 },
                 .fetch = std::move(options.fetch),
                 .remember = [this](outbox::UnitOfWork& uow,
                                    const T& entity) { table_.Insert(uow, entity); }}) {}
  PeerCache(const PeerCache&) = delete;
  PeerCache& operator=(const PeerCache&) = delete;

  // Errors: CachedLookup::Get's.
  absl::StatusOr<T> Get(outbox::UnitOfWork& uow, const std::string& id) const {
    return lookup_.Get(uow, id);
  }
  const CacheTable& table() const { return table_; }

 private:
  CacheTable table_;
  CachedLookup<T> lookup_;
};

}  // namespace eda::service
