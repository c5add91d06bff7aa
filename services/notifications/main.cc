// The notifications service: notificationspb.NotificationsService over gRPC, a customers cache
// kept from the customers' events (asking the customers service on a miss), and a text message
// to the customer for each order created, ready, canceled and completed, through the configured
// sender (NOTIFICATIONS_SENDER=log, the default, or http with NOTIFICATIONS_HTTP_URL).
#include <memory>
#include <string>
#include <utility>

#include "services/notifications/postgres/adapters.h"
#include "services/notifications/senders/senders.h"
#include "services/notifications/service.h"

int main(int argc, char** argv) {
  std::unique_ptr<notifications::application::Sender> sender;
  auto rt = eda::service::Runtime::StartOrExit(
      "notifications", argc, argv, notifications::postgres::Migrations(), [&](eda::Config& c) {
        const std::string kind = c.String("NOTIFICATIONS_SENDER", "log");
        const std::string url = c.String("NOTIFICATIONS_HTTP_URL", "");
        const absl::Duration timeout = c.Duration("NOTIFICATIONS_HTTP_TIMEOUT", absl::Seconds(5));
        if (timeout <= absl::ZeroDuration()) {
          c.Invalid("NOTIFICATIONS_HTTP_TIMEOUT", "must be a positive duration");
        }
        if (kind == "log") {
          sender = notifications::senders::LogSender();
        } else if (kind != "http") {
          c.Invalid("NOTIFICATIONS_SENDER", "must be log or http");
        } else if (auto http = notifications::senders::HttpSender(url, timeout); http.ok()) {
          sender = *std::move(http);
        } else {
          c.Invalid("NOTIFICATIONS_HTTP_URL", http.status().message());
        }
      });
  eda::service::Wired service = notifications::Wire(*rt, std::move(sender));
  return rt->Serve(service.grpc);
}
