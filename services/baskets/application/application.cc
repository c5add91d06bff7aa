#include "services/baskets/application/application.h"

#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace baskets::application {

using eda::es::Change;
namespace validate = eda::validate;

absl::StatusOr<std::string> StartBasket(Ports& p, std::string customer_id) {
  EDA_ASSIGN_OR_RETURN(domain::Basket basket,
                       domain::Basket::Start(eda::NewUuid(), std::move(customer_id)));
  EDA_RETURN_IF_ERROR(p.baskets.Save(basket));
  return basket.id();
}

absl::Status CancelBasket(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "basket"));
  return Change(p.baskets, id, [](domain::Basket& b) { return b.Cancel(); });
}

absl::Status CheckoutBasket(Ports& p, const std::string& id, std::string payment_id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "basket"));
  return Change(p.baskets, id,
                [&](domain::Basket& b) { return b.Checkout(std::move(payment_id)); });
}

absl::Status AddItem(Ports& p, const std::string& id, const std::string& product_id, int quantity) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "basket"));
  EDA_RETURN_IF_ERROR(validate::Id(product_id, "product"));
  return Change(p.baskets, id, [&](domain::Basket& b) -> absl::Status {
    EDA_ASSIGN_OR_RETURN(storespb::Product product, p.catalog.FindProduct(product_id));
    EDA_ASSIGN_OR_RETURN(storespb::Store store, p.catalog.FindStore(product.store_id()));
    return b.AddItem({.store_id = store.id(),
                      .store_name = store.name(),
                      .product_id = product.id(),
                      .product_name = product.name(),
                      .price = product.price()},
                     quantity);
  });
}

absl::Status RemoveItem(Ports& p, const std::string& id, const std::string& product_id,
                        int quantity) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "basket"));
  return Change(p.baskets, id,
                [&](domain::Basket& b) { return b.RemoveItem(product_id, quantity); });
}

absl::StatusOr<basketspb::Basket> GetBasket(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "basket"));
  EDA_ASSIGN_OR_RETURN(domain::Basket basket, p.baskets.Load(id));
  basketspb::Basket out;
  out.set_id(id);
  for (const domain::Item& line : basket.state().items()) {
    basketspb::Item& item = *out.add_items();
    item.set_store_id(line.store_id());
    item.set_product_id(line.product_id());
    item.set_store_name(line.store_name());
    item.set_product_name(line.product_name());
    item.set_product_price(line.price());
    item.set_quantity(line.quantity());
  }
  return out;
}

}  // namespace baskets::application
