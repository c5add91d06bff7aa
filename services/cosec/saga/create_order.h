// File: create_order.h
// The CreateOrder saga (spec §6.1, with its intended fixes): one saga per order, its id the order
// id; steps Authorize customer, Create shopping list, Confirm payment, Initiate shopping, Approve
// order; compensations Cancel shopping list (by order), Release payment (once confirmed) and
// Reject order. Compensations are addressed by order or payment id, never by a reply's contents.
#pragma once

#include "libs/saga/saga.h"
#include "proto/ordering/ordering_api.pb.h"
#include "services/cosec/domain/cosec_domain.pb.h"

namespace cosec {

inline constexpr char kSagaName[] = "cosec.CreateOrder";
inline constexpr char kReplyChannel[] = "mallbots.cosec.replies.CreateOrder";

// The steps, in order: 0 (compensation: RejectOrder), 1 AuthorizeCustomer, 2 CreateShoppingList
// (compensation: CancelShoppingList by order), 3 ConfirmPayment (compensation: ReleasePayment),
// 4 InitiateShopping, 5 ApproveOrder.
eda::saga::Definition<domain::CreateOrderData> CreateOrderSaga();

// The saga's data from the OrderCreated event that starts it (total = sum of quantity x price,
// rounded to 4 decimals as money is).
domain::CreateOrderData DataFrom(const orderingpb::OrderCreated& created);

}  // namespace cosec
