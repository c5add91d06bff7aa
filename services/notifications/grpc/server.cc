#include "services/notifications/grpc/server.h"

namespace notifications::grpc_api {

EDA_RPC(NotificationsServer, notificationspb, NotifyOrderCreated) {
  return Notify(domain::ORDER_CREATED, *req);
}

EDA_RPC(NotificationsServer, notificationspb, NotifyOrderCanceled) {
  return Notify(domain::ORDER_CANCELED, *req);
}

EDA_RPC(NotificationsServer, notificationspb, NotifyOrderReady) {
  return Notify(domain::ORDER_READY, *req);
}

}  // namespace notifications::grpc_api
