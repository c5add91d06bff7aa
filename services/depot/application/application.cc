#include "services/depot/application/application.h"

#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace depot::application {

using eda::es::Change;
namespace validate = eda::validate;

namespace {

constexpr char kBuilding[] = "building shopping list";

absl::Status CheckId(const std::string& id) { return validate::Id(id, "shopping list"); }

depotpb::ShoppingList ToApi(const domain::ShoppingList& list) {
  depotpb::ShoppingList out;
  out.set_id(list.id());
  out.set_order_id(list.state().order_id());
  out.set_assigned_bot_id(list.state().assigned_bot_id());
  out.set_status(list.StatusName());
  for (const auto& [store_id, stop] : list.state().stops().stops()) {
    depotpb::Stop& s = (*out.mutable_stops())[store_id];
    s.set_store_name(stop.store_name());
    s.set_store_location(stop.store_location());
    for (const auto& [product_id, item] : stop.items()) {
      depotpb::Item& i = (*s.mutable_items())[product_id];
      i.set_name(item.name());
      i.set_quantity(item.quantity());
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> CreateShoppingList(Ports& p, std::string order_id,
                                               const std::vector<OrderItem>& items) {
  std::vector<domain::Line> lines;
  for (const OrderItem& item : items) {
    EDA_RETURN_IF_ERROR(eda::Annotate(validate::Id(item.store_id, "store"), kBuilding));
    EDA_RETURN_IF_ERROR(eda::Annotate(validate::Id(item.product_id, "product"), kBuilding));
    absl::StatusOr<storespb::Store> store = p.catalog.FindStore(item.store_id);
    EDA_RETURN_IF_ERROR(eda::Annotate(store.status(), kBuilding));
    absl::StatusOr<storespb::Product> product = p.catalog.FindProduct(item.product_id);
    EDA_RETURN_IF_ERROR(eda::Annotate(product.status(), kBuilding));
    lines.push_back({.store_id = store->id(),
                     .store_name = store->name(),
                     .store_location = store->location(),
                     .product_id = product->id(),
                     .product_name = product->name(),
                     .quantity = item.quantity});
  }
  EDA_ASSIGN_OR_RETURN(domain::ShoppingList list,
                       domain::ShoppingList::Create(eda::NewUuid(), std::move(order_id), lines));
  EDA_RETURN_IF_ERROR(p.lists.Save(list));
  return list.id();
}

absl::Status CancelShoppingList(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.lists, id, [](domain::ShoppingList& l) { return l.Cancel(); });
}

absl::Status CancelShoppingListFor(Ports& p, const std::string& id, const std::string& order_id) {
  std::string list_id = id;
  if (list_id.empty()) {
    EDA_RETURN_IF_ERROR(validate::NotBlank(order_id, "order id"));
    EDA_ASSIGN_OR_RETURN(std::optional<std::string> found, p.queries.OfOrder(order_id));
    // No list: the saga compensates a CreateShoppingList that never took effect (it failed, or
    // timed out before it ran). Nothing to undo.
    if (!found.has_value()) return absl::OkStatus();
    list_id = *found;
  }
  EDA_RETURN_IF_ERROR(CheckId(list_id));
  return Change(p.lists, list_id,
                [](domain::ShoppingList& l) { return l.Cancel(/*repeat_ok=*/true); });
}

absl::Status InitiateShopping(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.lists, id, [](domain::ShoppingList& l) { return l.Initiate(); });
}

absl::Status AssignShoppingList(Ports& p, const std::string& id, std::string bot_id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.lists, id, [&](domain::ShoppingList& l) { return l.Assign(std::move(bot_id)); });
}

absl::Status CompleteShoppingList(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.lists, id, [](domain::ShoppingList& l) { return l.Complete(); });
}

absl::StatusOr<depotpb::ShoppingList> GetShoppingList(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  EDA_ASSIGN_OR_RETURN(domain::ShoppingList list, p.lists.Load(id));
  return ToApi(list);
}

absl::StatusOr<depotpb::ShoppingList> ClaimShoppingList(Ports& p, std::string bot_id) {
  EDA_RETURN_IF_ERROR(validate::NotBlank(bot_id, "bot id"));
  // A robot that claims again has lost the answer to its claim (a timeout, a restart): its list
  // first, so that no list stays assigned to a robot that does not know it has it.
  EDA_ASSIGN_OR_RETURN(std::optional<std::string> own, p.queries.AssignedTo(bot_id));
  if (own.has_value()) {
    EDA_ASSIGN_OR_RETURN(domain::ShoppingList list, p.lists.Load(*own));
    return ToApi(list);
  }
  EDA_ASSIGN_OR_RETURN(std::optional<std::string> id, p.queries.LockOldestAvailable());
  if (!id.has_value()) return absl::NotFoundError("no shopping list is available");
  EDA_ASSIGN_OR_RETURN(domain::ShoppingList list, p.lists.Load(*id));
  EDA_RETURN_IF_ERROR(list.Assign(std::move(bot_id)));
  EDA_RETURN_IF_ERROR(p.lists.Save(list));
  return ToApi(list);
}

}  // namespace depot::application
