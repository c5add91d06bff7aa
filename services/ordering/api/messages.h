// File: messages.h
// The ordering context's messages as other contexts and tools see them (spec §11): subjects,
// wire names, and their registration in a TypeRegistry for decoding.
#pragma once

#include "libs/messaging/registry.h"

namespace ordering::api {

inline constexpr char kOrderSubject[] = "mallbots.ordering.events.Order";
inline constexpr char kCommandsSubject[] = "mallbots.ordering.commands";

// Wire names, as proto/ordering/ordering_api.proto declares them.
inline constexpr char kOrderCreated[] = "ordersapi.OrderCreated";
inline constexpr char kOrderRejected[] = "ordersapi.OrderRejected";
inline constexpr char kOrderApproved[] = "ordersapi.OrderApproved";
inline constexpr char kOrderReadied[] = "ordersapi.OrderReadied";
inline constexpr char kOrderCanceled[] = "ordersapi.OrderCanceled";
inline constexpr char kOrderCompleted[] = "ordersapi.OrderCompleted";
inline constexpr char kRejectOrder[] = "ordersapi.RejectOrder";
inline constexpr char kApproveOrder[] = "ordersapi.ApproveOrder";

// Registers the messages of proto/ordering/ordering_api.proto under the names their
// (eda.wire_name) options declare: the names above (messages_test.cc checks that they agree).
void RegisterMessages(eda::messaging::TypeRegistry& registry);

}  // namespace ordering::api
