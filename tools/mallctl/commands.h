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
  std::string mentioning;  // only the messages whose JSON line contains it (empty: all)
  bool in_order = false;   // the stored messages of every stream in the order they were stored
};
int Tail(const Endpoints& nats, const TailArgs& args);

// saga list [--status S] [--stuck] | saga show ID, through cosec's admin API at `address`.
struct SagaArgs {
  std::string address;
  std::string admin_token;
  absl::Duration timeout = absl::Seconds(10);
  std::string id;      // show this one; empty: list
  std::string status;  // list: only this status
  bool stuck = false;  // list: only the stuck ones
  int limit = 50;
};
int Sagas(const SagaArgs& args);

// rebuild SERVICE [READ_MODEL], through the service's admin API at `address`: lists its read
// models, or rebuilds one, printing its progress.
struct RebuildArgs {
  std::string address;
  std::string admin_token;
  std::string read_model;  // empty: list them
};
int Rebuild(const RebuildArgs& args);

// follow ID: every stored and new message whose envelope or payload mentions ID (an order's
// events, the saga's commands and replies), as tail prints them.
int Follow(const Endpoints& nats, const std::string& id, absl::Duration timeout);

// dlq list | show SEQ | replay SEQ...|all | discard SEQ...|all
int DeadLetters(const Endpoints& nats, const std::vector<std::string>& args);

// subscriber [NAME]: the subscriber accounts of the topology at `e.topology`, or one account's
// connection settings (URL, user, password file, inbox prefix, durables); with `env`, as shell
// exports of NATS_URL, NATS_USER and NATS_PASSWORD.
int Subscribers(const Endpoints& e, const std::string& name, bool env = false);
// subscriber add NAME DURABLE STREAM FILTER: declares the account in the stack's topology (the
// line is appended once the topology accepts it), applies it to the running nats-server (the
// stack's nats-reload), provisions the durable as the admin (the stream's owner also does at its
// next start), then prints the connection settings.
int AddSubscriber(const Endpoints& e, const std::vector<std::string>& args);

}  // namespace mallctl
