#include "services/cosec/saga/create_order.h"

#include "libs/common/validation.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/payments/payments_api.pb.h"
#include "services/customers/api/messages.h"
#include "services/depot/api/messages.h"
#include "services/ordering/api/messages.h"
#include "services/payments/api/messages.h"

namespace cosec {
namespace {

using domain::CreateOrderData;
using eda::saga::CommandSpec;

CommandSpec Command(const char* subject, const char* name,
                    const google::protobuf::Message& payload) {
  return {.subject = subject, .name = name, .payload = payload.SerializeAsString()};
}

CommandSpec AuthorizeCustomer(const CreateOrderData& d) {
  customerspb::AuthorizeCustomer cmd;
  cmd.set_id(d.customer_id());
  return Command(customers::api::kCommandsSubject, customers::api::kAuthorizeCustomer, cmd);
}

CommandSpec CreateShoppingList(const CreateOrderData& d) {
  depotpb::CreateShoppingList cmd;
  cmd.set_order_id(d.order_id());
  for (const CreateOrderData::Item& item : d.items()) {
    depotpb::CreateShoppingList::Item* out = cmd.add_items();
    out->set_product_id(item.product_id());
    out->set_store_id(item.store_id());
    out->set_quantity(item.quantity());
  }
  return Command(depot::api::kCommandsSubject, depot::api::kCreateShoppingList, cmd);
}

// By order: the list may exist even when its reply never came.
CommandSpec CancelShoppingList(const CreateOrderData& d) {
  depotpb::CancelShoppingList cmd;
  cmd.set_order_id(d.order_id());
  return Command(depot::api::kCommandsSubject, depot::api::kCancelShoppingList, cmd);
}

absl::Status KeepShoppingId(CreateOrderData& d, const eda::messaging::Message& reply) {
  depotpb::CreatedShoppingList created;
  if (!created.ParseFromString(reply.payload)) {
    return absl::InvalidArgumentError("undecodable depotapi.CreatedShoppingListReply");
  }
  if (!created.id().empty()) d.set_shopping_id(created.id());
  return absl::OkStatus();
}

CommandSpec ConfirmPayment(const CreateOrderData& d) {
  paymentspb::ConfirmPayment cmd;
  cmd.set_id(d.payment_id());
  cmd.set_amount(d.total());
  return Command(payments::api::kCommandsSubject, payments::api::kConfirmPayment, cmd);
}

CommandSpec ReleasePayment(const CreateOrderData& d) {
  paymentspb::ReleasePayment cmd;
  cmd.set_id(d.payment_id());
  return Command(payments::api::kCommandsSubject, payments::api::kReleasePayment, cmd);
}

CommandSpec InitiateShopping(const CreateOrderData& d) {
  depotpb::InitiateShopping cmd;
  cmd.set_id(d.shopping_id());
  return Command(depot::api::kCommandsSubject, depot::api::kInitiateShopping, cmd);
}

CommandSpec ApproveOrder(const CreateOrderData& d) {
  orderingpb::ApproveOrder cmd;
  cmd.set_id(d.order_id());
  cmd.set_shopping_id(d.shopping_id());
  return Command(ordering::api::kCommandsSubject, ordering::api::kApproveOrder, cmd);
}

CommandSpec RejectOrder(const CreateOrderData& d) {
  orderingpb::RejectOrder cmd;
  cmd.set_id(d.order_id());
  return Command(ordering::api::kCommandsSubject, ordering::api::kRejectOrder, cmd);
}

}  // namespace

eda::saga::Definition<CreateOrderData> CreateOrderSaga() {
  return {.name = kSagaName,
          .reply_channel = kReplyChannel,
          .steps = {
              {.name = "RejectOrder", .compensation = RejectOrder},
              {.name = "AuthorizeCustomer", .action = AuthorizeCustomer},
              {.name = "CreateShoppingList",
               .action = CreateShoppingList,
               .compensation = CancelShoppingList,
               .on_reply = {{depot::api::kCreatedShoppingList, KeepShoppingId}}},
              {.name = "ConfirmPayment", .action = ConfirmPayment, .compensation = ReleasePayment},
              {.name = "InitiateShopping", .action = InitiateShopping},
              {.name = "ApproveOrder", .action = ApproveOrder},
          }};
}

CreateOrderData DataFrom(const orderingpb::OrderCreated& created) {
  CreateOrderData d;
  d.set_order_id(created.id());
  d.set_customer_id(created.customer_id());
  d.set_payment_id(created.payment_id());
  double total = 0;
  for (const orderingpb::OrderCreated::Item& item : created.items()) {
    CreateOrderData::Item* out = d.add_items();
    out->set_product_id(item.product_id());
    out->set_store_id(item.store_id());
    out->set_price(item.price());
    out->set_quantity(item.quantity());
    total += item.price() * item.quantity();
  }
  d.set_total(eda::validate::RoundMoney(total));
  return d;
}

}  // namespace cosec
