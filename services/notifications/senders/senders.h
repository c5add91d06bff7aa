// File: senders.h
// Where text messages go: the log (one JSON line per message, the default) or an HTTP endpoint
// of an SMS gateway (one POST per message, the idempotency key in a header).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/notifications/application/application.h"

namespace notifications::senders {

// The header carrying the idempotency key of a POSTed message.
inline constexpr char kIdempotencyKeyHeader[] = "Idempotency-Key";

// Writes each message as an info log line "sms" with fields notice, order_id, customer_id, to,
// text and idempotency_key. Never fails.
std::unique_ptr<application::Sender> LogSender();

// POSTs each message to `url` (http://host[:port][/path]) as a JSON object {"notice",
// "order_id", "customer_id", "to", "text"} with the key in the Idempotency-Key header. A 2xx
// answer is sent; 408, 429 and 5xx answers or no answer within `timeout` are Unavailable
// (retried); other answers FailedPrecondition (the receiver refuses the message).
// Errors: InvalidArgument for a url that is not http://host[:port][/path].
absl::StatusOr<std::unique_ptr<application::Sender>> HttpSender(const std::string& url,
                                                                absl::Duration timeout);

}  // namespace notifications::senders
