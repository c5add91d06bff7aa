// File: service.cc
#include "services/notifications/service.h"

#include <memory>
#include <utility>

#include "services/notifications/grpc/server.h"
#include "services/notifications/handlers/handlers.h"
#include "services/notifications/postgres/adapters.h"

namespace notifications {
namespace {

struct Objects {
  Objects(eda::service::Runtime& rt, std::unique_ptr<application::Sender> s)
      : sender(std::move(s)),
        app(rt.pool(), postgres::PortsFactory(rt.OpenPeerOrExit("customers"), *sender)),
        grpc(app) {}
  std::unique_ptr<application::Sender> sender;
  grpc_api::NotificationsServer::UseCases app;
  grpc_api::NotificationsServer grpc;
};

}  // namespace

eda::service::Wired Wire(eda::service::Runtime& rt, std::unique_ptr<application::Sender> sender) {
  auto o = std::make_shared<Objects>(rt, std::move(sender));
  rt.ConsumeOrExit("notification-customers", handlers::CustomerEvents(o->app));
  rt.ConsumeOrExit("notification-orders", handlers::OrderEvents(o->app),
                   {.names = handlers::OrderEventNames()});
  for (eda::service::ReadModel& model : handlers::ReadModels(o->app)) {
    rt.AddReadModelOrExit(std::move(model));
  }
  return {{{&o->grpc, "notificationspb.NotificationsService"}}, o};
}

}  // namespace notifications
