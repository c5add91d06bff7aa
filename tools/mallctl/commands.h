// File: commands.h
// mallctl's subcommands. Each prints its results on stdout, its errors on stderr, and returns the
// process exit code: 0 success, 1 the operation failed (an RPC error, a NATS error), 2 bad usage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/mallctl/endpoints.h"

namespace mallctl {

inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct CallArgs {
  std::string service;       // "stores", or a full name
  std::string method;        // empty: list the service's methods
  std::string request_json;  // empty: {}
  std::string address;       // host:port of the service (of its admin API with `admin`)
  absl::Duration timeout = absl::Seconds(10);
  bool admin = false;       // call adminpb.AdminService on the service's admin port
  std::string admin_token;  // sent as `authorization: Bearer <token>` when set
};
int Call(const CallArgs& args);

struct TailArgs {
  std::string pattern = "mallbots.>";
  bool from_start = false;
  int64_t count = 0;                                  // stop after this many messages (0: never)
  absl::Duration timeout = absl::InfiniteDuration();  // stop after this long
};
int Tail(const Endpoints& nats, const TailArgs& args);

// dlq list | show SEQ | replay SEQ...|all | discard SEQ...|all
int DeadLetters(const Endpoints& nats, const std::vector<std::string>& args);

}  // namespace mallctl
