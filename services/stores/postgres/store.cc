#include "services/stores/postgres/store.h"

#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/overloaded.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/aggregate.h"
#include "libs/pg/errors.h"
#include "proto/stores/stores_api.pb.h"
#include "services/stores/api/messages.h"

namespace stores::postgres {
namespace {

using eda::es::StoredEvent;
using eda::es::StoredSnapshot;
using eda::outbox::UnitOfWork;

using eda::Overloaded;

template <typename P>
absl::StatusOr<P> Parse(const std::string& bytes, const std::string& what) {
  P p;
  if (!p.ParseFromString(bytes)) return absl::DataLossError("undecodable " + what);
  return p;
}

// --- Store: stored events, snapshots, read model, integration events ---

eda::es::EventCodec<domain::StoreEvent> StoreCodec() {
  return {.encode =
              [](const domain::StoreEvent& event) {
                return std::visit(
                    Overloaded{
                        [](const domain::StoreCreated& e) {
                          storespb::StoreCreated p;
                          p.set_name(e.name);
                          p.set_location(e.location);
                          return StoredEvent{.name = "stores.StoreCreated",
                                             .payload = p.SerializeAsString()};
                        },
                        [](const domain::StoreParticipationEnabled&) {
                          return StoredEvent{.name = "stores.StoreParticipationEnabled"};
                        },
                        [](const domain::StoreParticipationDisabled&) {
                          return StoredEvent{.name = "stores.StoreParticipationDisabled"};
                        },
                        [](const domain::StoreRebranded& e) {
                          storespb::StoreRebranded p;
                          p.set_name(e.name);
                          return StoredEvent{.name = "stores.StoreRebranded",
                                             .payload = p.SerializeAsString()};
                        },
                    },
                    event);
              },
          .decode = [](const StoredEvent& s) -> absl::StatusOr<domain::StoreEvent> {
            if (s.name == "stores.StoreCreated") {
              EDA_ASSIGN_OR_RETURN(auto p, Parse<storespb::StoreCreated>(s.payload, s.name));
              return domain::StoreEvent(domain::StoreCreated{p.name(), p.location()});
            }
            if (s.name == "stores.StoreParticipationEnabled")
              return domain::StoreEvent(domain::StoreParticipationEnabled{});
            if (s.name == "stores.StoreParticipationDisabled")
              return domain::StoreEvent(domain::StoreParticipationDisabled{});
            if (s.name == "stores.StoreRebranded") {
              EDA_ASSIGN_OR_RETURN(auto p, Parse<storespb::StoreRebranded>(s.payload, s.name));
              return domain::StoreEvent(domain::StoreRebranded{p.name()});
            }
            return absl::DataLossError("unknown store event " + s.name);
          }};
}

eda::es::SnapshotCodec<domain::StoreState> StoreSnapshots() {
  return {.encode =
              [](const domain::StoreState& s) {
                storespb::StoreSnapshot p;
                p.set_name(s.name);
                p.set_location(s.location);
                p.set_participating(s.participating);
                return StoredSnapshot{.name = "stores.StoreV1", .payload = p.SerializeAsString()};
              },
          .decode = [](const StoredSnapshot& s) -> absl::StatusOr<domain::StoreState> {
            EDA_ASSIGN_OR_RETURN(auto p, Parse<storespb::StoreSnapshot>(s.payload, s.name));
            return domain::StoreState{p.name(), p.location(), p.participating()};
          }};
}

const eda::es::Repository<domain::Store>& Stores() {
  static const auto* repo = new eda::es::Repository<domain::Store>(
      StoreCodec(), StoreSnapshots(), {.snapshot_every = kSnapshotEvery});
  return *repo;
}

eda::messaging::Message Integration(const char* subject, const char* name, std::string payload) {
  return eda::messaging::Message{.id = eda::NewUuid(),
                                 .name = name,
                                 .subject = subject,
                                 .payload = std::move(payload),
                                 .occurred_at = absl::Now()};
}

// The in-process handlers of store events: the read model, then the integration event.
const eda::es::EventDispatcher<domain::StoreEvent, UnitOfWork>& StoreHandlers() {
  static const auto* d = [] {
    auto* dispatcher = new eda::es::EventDispatcher<domain::StoreEvent, UnitOfWork>();
    dispatcher->Subscribe([](UnitOfWork& uow, const std::string& id, const domain::StoreEvent& e) {
      std::visit(
          Overloaded{
              [&](const domain::StoreCreated& c) {
                uow.Defer(
                    "INSERT INTO stores (id, name, location, participating) "
                    "VALUES ($1, $2, $3, false)",
                    {id, c.name, c.location});
              },
              [&](const domain::StoreParticipationEnabled&) {
                uow.Defer(
                    "UPDATE stores SET participating = true, updated_at = now() WHERE id = $1",
                    {id});
              },
              [&](const domain::StoreParticipationDisabled&) {
                uow.Defer(
                    "UPDATE stores SET participating = false, updated_at = now() WHERE id = $1",
                    {id});
              },
              [&](const domain::StoreRebranded& r) {
                uow.Defer("UPDATE stores SET name = $2, updated_at = now() WHERE id = $1",
                          {id, r.name});
              },
          },
          e);
      return absl::OkStatus();
    });
    dispatcher->Subscribe([](UnitOfWork& uow, const std::string& id, const domain::StoreEvent& e) {
      return uow.Publish(std::visit(
          Overloaded{
              [&](const domain::StoreCreated& c) {
                storespb::StoreCreated p;
                p.set_id(id);
                p.set_name(c.name);
                p.set_location(c.location);
                return Integration(api::kStoreSubject, api::kStoreCreated, p.SerializeAsString());
              },
              [&](const domain::StoreParticipationEnabled&) {
                storespb::StoreParticipationToggled p;
                p.set_id(id);
                p.set_participating(true);
                return Integration(api::kStoreSubject, api::kStoreParticipatingToggled,
                                   p.SerializeAsString());
              },
              [&](const domain::StoreParticipationDisabled&) {
                storespb::StoreParticipationToggled p;
                p.set_id(id);
                p.set_participating(false);
                return Integration(api::kStoreSubject, api::kStoreParticipatingToggled,
                                   p.SerializeAsString());
              },
              [&](const domain::StoreRebranded& r) {
                storespb::StoreRebranded p;
                p.set_id(id);
                p.set_name(r.name);
                return Integration(api::kStoreSubject, api::kStoreRebranded, p.SerializeAsString());
              },
          },
          e));
    });
    return dispatcher;
  }();
  return *d;
}

// --- Product ---

eda::es::EventCodec<domain::ProductEvent> ProductCodec() {
  return {
      .encode =
          [](const domain::ProductEvent& event) {
            return std::visit(Overloaded{
                                  [](const domain::ProductAdded& e) {
                                    storespb::ProductAdded p;
                                    p.set_store_id(e.store_id);
                                    p.set_name(e.name);
                                    p.set_description(e.description);
                                    p.set_sku(e.sku);
                                    p.set_price(e.price);
                                    return StoredEvent{.name = "stores.ProductAdded",
                                                       .payload = p.SerializeAsString()};
                                  },
                                  [](const domain::ProductRebranded& e) {
                                    storespb::ProductRebranded p;
                                    p.set_name(e.name);
                                    p.set_description(e.description);
                                    return StoredEvent{.name = "stores.ProductRebranded",
                                                       .payload = p.SerializeAsString()};
                                  },
                                  [](const domain::ProductPriceIncreased& e) {
                                    storespb::ProductPriceChanged p;
                                    p.set_delta(e.delta);
                                    return StoredEvent{.name = "stores.ProductPriceIncreased",
                                                       .payload = p.SerializeAsString()};
                                  },
                                  [](const domain::ProductPriceDecreased& e) {
                                    storespb::ProductPriceChanged p;
                                    p.set_delta(e.delta);
                                    return StoredEvent{.name = "stores.ProductPriceDecreased",
                                                       .payload = p.SerializeAsString()};
                                  },
                                  [](const domain::ProductRemoved&) {
                                    return StoredEvent{.name = "stores.ProductRemoved"};
                                  },
                              },
                              event);
          },
      .decode = [](const StoredEvent& s) -> absl::StatusOr<domain::ProductEvent> {
        if (s.name == "stores.ProductAdded") {
          EDA_ASSIGN_OR_RETURN(auto p, Parse<storespb::ProductAdded>(s.payload, s.name));
          return domain::ProductEvent(
              domain::ProductAdded{p.store_id(), p.name(), p.description(), p.sku(), p.price()});
        }
        if (s.name == "stores.ProductRebranded") {
          EDA_ASSIGN_OR_RETURN(auto p, Parse<storespb::ProductRebranded>(s.payload, s.name));
          return domain::ProductEvent(domain::ProductRebranded{p.name(), p.description()});
        }
        if (s.name == "stores.ProductPriceIncreased" || s.name == "stores.ProductPriceDecreased") {
          EDA_ASSIGN_OR_RETURN(auto p, Parse<storespb::ProductPriceChanged>(s.payload, s.name));
          if (s.name == "stores.ProductPriceIncreased") {
            return domain::ProductEvent(domain::ProductPriceIncreased{p.delta()});
          }
          return domain::ProductEvent(domain::ProductPriceDecreased{p.delta()});
        }
        if (s.name == "stores.ProductRemoved")
          return domain::ProductEvent(domain::ProductRemoved{});
        return absl::DataLossError("unknown product event " + s.name);
      }};
}

eda::es::SnapshotCodec<domain::ProductState> ProductSnapshots() {
  return {.encode =
              [](const domain::ProductState& s) {
                storespb::ProductSnapshot p;
                p.set_store_id(s.store_id);
                p.set_name(s.name);
                p.set_description(s.description);
                p.set_sku(s.sku);
                p.set_price(s.price);
                p.set_removed(s.removed);
                return StoredSnapshot{.name = "stores.ProductV1", .payload = p.SerializeAsString()};
              },
          .decode = [](const StoredSnapshot& s) -> absl::StatusOr<domain::ProductState> {
            EDA_ASSIGN_OR_RETURN(auto p, Parse<storespb::ProductSnapshot>(s.payload, s.name));
            return domain::ProductState{p.store_id(), p.name(),  p.description(),
                                        p.sku(),      p.price(), p.removed()};
          }};
}

const eda::es::Repository<domain::Product>& Products() {
  static const auto* repo = new eda::es::Repository<domain::Product>(
      ProductCodec(), ProductSnapshots(), {.snapshot_every = kSnapshotEvery});
  return *repo;
}

const eda::es::EventDispatcher<domain::ProductEvent, UnitOfWork>& ProductHandlers() {
  static const auto* d = [] {
    auto* dispatcher = new eda::es::EventDispatcher<domain::ProductEvent, UnitOfWork>();
    dispatcher->Subscribe([](UnitOfWork& uow, const std::string& id,
                             const domain::ProductEvent& e) {
      std::visit(
          Overloaded{
              [&](const domain::ProductAdded& a) {
                uow.Defer(
                    "INSERT INTO products (id, store_id, name, description, sku, price) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
                    {id, a.store_id, a.name, a.description, a.sku, a.price},
                    [store_id = a.store_id](absl::Status s) {
                      // products_store_id_fkey: the store does not exist.
                      if (eda::pg::SqlStateOf(s) != "23503") return s;
                      return absl::NotFoundError(absl::StrCat("store ", store_id, " not found"));
                    });
              },
              [&](const domain::ProductRebranded& r) {
                uow.Defer(
                    "UPDATE products SET name = $2, description = $3, updated_at = now() "
                    "WHERE id = $1",
                    {id, r.name, r.description});
              },
              [&](const domain::ProductPriceIncreased& c) {
                uow.Defer(
                    "UPDATE products SET price = price + $2, updated_at = now() WHERE id = $1",
                    {id, c.delta});
              },
              [&](const domain::ProductPriceDecreased& c) {
                uow.Defer(
                    "UPDATE products SET price = price + $2, updated_at = now() WHERE id = $1",
                    {id, c.delta});
              },
              [&](const domain::ProductRemoved&) {
                uow.Defer("DELETE FROM products WHERE id = $1", {id});
              },
          },
          e);
      return absl::OkStatus();
    });
    dispatcher->Subscribe([](UnitOfWork& uow, const std::string& id,
                             const domain::ProductEvent& e) {
      return uow.Publish(std::visit(
          Overloaded{
              [&](const domain::ProductAdded& a) {
                storespb::ProductAdded p;
                p.set_id(id);
                p.set_store_id(a.store_id);
                p.set_name(a.name);
                p.set_description(a.description);
                p.set_sku(a.sku);
                p.set_price(a.price);
                return Integration(api::kProductSubject, api::kProductAdded, p.SerializeAsString());
              },
              [&](const domain::ProductRebranded& r) {
                storespb::ProductRebranded p;
                p.set_id(id);
                p.set_name(r.name);
                p.set_description(r.description);
                return Integration(api::kProductSubject, api::kProductRebranded,
                                   p.SerializeAsString());
              },
              [&](const domain::ProductPriceIncreased& c) {
                storespb::ProductPriceChanged p;
                p.set_id(id);
                p.set_delta(c.delta);
                return Integration(api::kProductSubject, api::kProductPriceIncreased,
                                   p.SerializeAsString());
              },
              [&](const domain::ProductPriceDecreased& c) {
                storespb::ProductPriceChanged p;
                p.set_id(id);
                p.set_delta(c.delta);
                return Integration(api::kProductSubject, api::kProductPriceDecreased,
                                   p.SerializeAsString());
              },
              [&](const domain::ProductRemoved&) {
                storespb::ProductRemoved p;
                p.set_id(id);
                return Integration(api::kProductSubject, api::kProductRemoved,
                                   p.SerializeAsString());
              },
          },
          e));
    });
    return dispatcher;
  }();
  return *d;
}

domain::StoreView StoreRow(const eda::pg::Result& r, int i) {
  return {std::string(r.Text(i, 0)), std::string(r.Text(i, 1)), std::string(r.Text(i, 2)),
          r.Bool(i, 3)};
}

absl::StatusOr<domain::ProductView> ProductRow(const eda::pg::Result& r, int i) {
  EDA_ASSIGN_OR_RETURN(double price, r.Double(i, 5));
  return domain::ProductView{std::string(r.Text(i, 0)), std::string(r.Text(i, 1)),
                             std::string(r.Text(i, 2)), std::string(r.Text(i, 3)),
                             std::string(r.Text(i, 4)), price};
}

constexpr char kProductColumns[] = "id, store_id, name, description, sku, price::float8";

}  // namespace

absl::StatusOr<domain::Store> StoreRepository::Load(const std::string& id) {
  return Stores().Load(uow_.tx(), id);
}

absl::Status StoreRepository::Save(domain::Store& store) {
  const std::vector<domain::StoreEvent> events = store.pending();
  EDA_RETURN_IF_ERROR(Stores().Save(uow_.Deferred(), store));
  return StoreHandlers().Publish(uow_, store.id(), events);
}

absl::StatusOr<domain::Product> ProductRepository::Load(const std::string& id) {
  return Products().Load(uow_.tx(), id);
}

absl::Status ProductRepository::Save(domain::Product& product) {
  const std::vector<domain::ProductEvent> events = product.pending();
  EDA_RETURN_IF_ERROR(Products().Save(uow_.Deferred(), product));
  return ProductHandlers().Publish(uow_, product.id(), events);
}

absl::StatusOr<domain::StoreView> Catalog::FindStore(const std::string& id) {
  EDA_ASSIGN_OR_RETURN(
      eda::pg::Result r,
      uow_.tx().Exec("SELECT id, name, location, participating FROM stores WHERE id = $1", {id}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("store ", id, " not found"));
  return StoreRow(r, 0);
}

absl::StatusOr<std::vector<domain::StoreView>> Catalog::Stores(bool participating_only) {
  EDA_ASSIGN_OR_RETURN(
      eda::pg::Result r,
      uow_.tx().Exec(
          participating_only
              ? "SELECT id, name, location, participating FROM stores WHERE participating "
                "ORDER BY created_at, id"
              : "SELECT id, name, location, participating FROM stores ORDER BY created_at, id"));
  std::vector<domain::StoreView> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(StoreRow(r, i));
  return out;
}

absl::StatusOr<domain::ProductView> Catalog::FindProduct(const std::string& id) {
  EDA_ASSIGN_OR_RETURN(
      eda::pg::Result r,
      uow_.tx().Exec(absl::StrCat("SELECT ", kProductColumns, " FROM products WHERE id = $1"),
                     {id}));
  if (r.rows() == 0) return absl::NotFoundError("product with that ID does not exist");
  return ProductRow(r, 0);
}

absl::StatusOr<std::vector<domain::ProductView>> Catalog::ProductsOf(const std::string& store_id) {
  EDA_ASSIGN_OR_RETURN(eda::pg::Result r,
                       uow_.tx().Exec(absl::StrCat("SELECT ", kProductColumns,
                                                   " FROM products WHERE store_id = $1 "
                                                   "ORDER BY created_at, id"),
                                      {store_id}));
  std::vector<domain::ProductView> out;
  for (int i = 0; i < r.rows(); ++i) {
    EDA_ASSIGN_OR_RETURN(domain::ProductView p, ProductRow(r, i));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace stores::postgres
