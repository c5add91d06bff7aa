// File: service_fuzz.h
// A service driven in process by a fuzz target: its Wire() (services/<ctx>/service.h) on a real
// Runtime, started once on the harness's PostgreSQL and stack-configured nats-server as `make up`
// starts it (its own role and database, its own NATS user, the topology's durables), its gRPC
// API served by the real server (limits included) on a loopback port; peers it calls are
// refused (a closed port), so their fallbacks fail as they do when a peer is down.
//
// An input is one request or one message. Its first byte picks an entry: every method of the
// service's gRPC API, then every (durable, subject) the service consumes; the rest is the
// request's protobuf bytes, sent through a gRPC channel, or a message body (the envelope of
// messaging/envelope.h) handed to the durable's batch handler as its consumer would hand it
// (name filter, inbox, transaction, the service's handler), without NATS.
//
// Findings abort the process (libFuzzer keeps the input): a call answered UNKNOWN or INTERNAL
// (the server's "unexpected" codes; a body that does not decode as the request must only be
// refused, as gRPC's decoder does), a call or a message taking longer than 10 s (a hang), a
// message whose handler failed unexpectedly (retried with Internal or Unknown); and a crash or
// sanitizer report, as anywhere.
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     static eda::fuzz::ServiceTarget& target = eda::fuzz::ServiceTarget::StartOrDie(
//         "stores", stores::postgres::Migrations(),
//         [](eda::service::Runtime& rt) { return stores::Wire(rt); });
//     return target.Run(data, size);
//   }
//
// FUZZ_WRITE_SEEDS=<dir>: the first input also writes a seed per entry into <dir> (a request or
// message with every field set, ids the same UUID throughout), which `make fuzz` does for the
// corpus it starts from (a run of no inputs, `-runs=0`, before fuzzing). Each message is handed
// over with a new id, so the inbox never takes it for one already handled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/runtime.h"

namespace eda::fuzz {

class ServiceTarget final {
 public:
  using WireFn = std::function<service::Wired(service::Runtime&)>;

  // Starts `service` (its name in the topology) with `migrations`, wired by `wire`, once per
  // process; exits with the reason when anything fails to start.
  static ServiceTarget& StartOrDie(const std::string& service,
                                   std::vector<pg::Migration> migrations, const WireFn& wire);
  // Handles one input as described above. Always returns 0 (libFuzzer's convention).
  int Run(const uint8_t* data, size_t size);

  struct Impl;

 private:
  explicit ServiceTarget(std::unique_ptr<Impl> impl);
  ~ServiceTarget() = delete;  // lives as long as the process

  std::unique_ptr<Impl> impl_;
};

}  // namespace eda::fuzz
