// File: service.h
// The notifications service wired to a started Runtime: notificationspb.NotificationsService over
// gRPC, a customers cache kept from the customers' events (asking the customers service on a
// miss), and a text message for each order created, ready, canceled and completed through
// `sender`. main.cc serves it; its fuzz target (tests/fuzz) drives it in process.
#pragma once

#include <memory>

#include "libs/service/runtime.h"
#include "services/notifications/application/application.h"

namespace notifications {

// Builds the use cases and the gRPC service, starts the consumers and declares the read models.
// Exits the process when the topology does not give notifications what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt, std::unique_ptr<application::Sender> sender);

}  // namespace notifications
