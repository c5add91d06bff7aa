// File: server.h
// notificationspb.NotificationsService over gRPC: each RPC gives its notice (once per order).
#pragma once

#include "libs/grpcserver/status.h"
#include "libs/service/use_cases.h"
#include "proto/notifications/notifications_service.grpc.pb.h"
#include "services/notifications/application/application.h"

namespace notifications::grpc_api {

class NotificationsServer final : public notificationspb::NotificationsService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  explicit NotificationsServer(const UseCases& app) : app_(app) {}

  EDA_RPC_DECLARE(notificationspb, NotifyOrderCreated)
  EDA_RPC_DECLARE(notificationspb, NotifyOrderCanceled)
  EDA_RPC_DECLARE(notificationspb, NotifyOrderReady)

 private:
  // The notice for the request's order and customer, keyed by the notice and the order.
  template <typename Req>
  grpc::Status Notify(domain::Notice notice, const Req& req) {
    return eda::grpcserver::Reply(app_.Run([&](application::Ports& p) {
      return application::Notify(p, notice, application::RequestKey(notice, req.order_id()),
                                 req.order_id(), req.customer_id());
    }));
  }

  const UseCases& app_;
};

}  // namespace notifications::grpc_api
