#include "services/notifications/senders/senders.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/observability/logging.h"

namespace notifications::senders {
namespace {

using eda::log::KV;

class Log final : public application::Sender {
 public:
  absl::Status Send(const domain::Sms& sms, const std::string& key) override {
    LOG_INFO() << "sms" << KV("notice", domain::NoticeName(sms.notice()))
               << KV("order_id", sms.order_id()) << KV("customer_id", sms.customer_id())
               << KV("to", sms.to()) << KV("text", sms.text()) << KV("idempotency_key", key);
    return absl::OkStatus();
  }
};

class Http final : public application::Sender {
 public:
  Http(std::string origin, std::string path, absl::Duration timeout)
      : origin_(std::move(origin)), path_(std::move(path)), timeout_(timeout) {}

  absl::Status Send(const domain::Sms& sms, const std::string& key) override {
    std::string body;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_enums_as_ints = false;
    if (!google::protobuf::util::MessageToJsonString(sms, &body, options).ok()) {
      return absl::InternalError("sms: unprintable message");
    }
    // One client per message: a connection to the gateway is not kept across messages.
    httplib::Client client(origin_);
    const auto seconds = absl::ToInt64Seconds(timeout_);
    const auto micros = absl::ToInt64Microseconds(timeout_ - absl::Seconds(seconds));
    client.set_connection_timeout(seconds, micros);
    client.set_read_timeout(seconds, micros);
    client.set_write_timeout(seconds, micros);
    httplib::Result res =
        client.Post(path_, {{kIdempotencyKeyHeader, key}}, body, "application/json");
    if (!res) {
      return absl::UnavailableError(absl::StrCat(
          "sms endpoint ", origin_, path_, " did not answer: ", httplib::to_string(res.error())));
    }
    if (res->status >= 200 && res->status < 300) return absl::OkStatus();
    const std::string what =
        absl::StrCat("sms endpoint ", origin_, path_, " answered ", res->status);
    if (res->status == 408 || res->status == 429 || res->status >= 500) {
      return absl::UnavailableError(what);
    }
    return absl::FailedPreconditionError(what);
  }

 private:
  std::string origin_;
  std::string path_;
  absl::Duration timeout_;
};

}  // namespace

std::unique_ptr<application::Sender> LogSender() { return std::make_unique<Log>(); }

absl::StatusOr<std::unique_ptr<application::Sender>> HttpSender(const std::string& url,
                                                                absl::Duration timeout) {
  constexpr absl::string_view kScheme = "http://";
  if (!absl::StartsWith(url, kScheme) || url.size() == kScheme.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sms endpoint '", url, "' is not http://host[:port][/path]"));
  }
  const size_t slash = url.find('/', kScheme.size());
  std::string origin = url.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  return std::make_unique<Http>(std::move(origin), std::move(path), timeout);
}

}  // namespace notifications::senders
