// File: endpoints.h
// Where mallctl finds the system: the local stack's state directory (stack.env, written by
// `make up`), overridden by flags.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace mallctl {

struct Endpoints {
  std::string state_dir;  // where stack.env was read (its secrets/ beside it)
  std::string topology;   // the topology the stack runs on (MALLBOTS_STACK_TOPOLOGY)
  // What applying a subscriber account to the running stack takes (stack.sh nats-reload): the
  // script, the stack's own state directory, the topology it was started from, its NATS port.
  std::string stack_script;
  std::string stack_home;
  std::string source_topology;
  std::string nats_port;
  std::map<std::string, std::string> grpc;   // service name ("stores") -> host:port
  std::map<std::string, std::string> admin;  // service name -> host:port of its admin API
  std::string nats_url;
  std::string nats_user;
  std::string nats_password;
};

// Reads <state_dir>/stack.env. An empty `state_dir` means $MALLBOTS_HOME, else the nearest
// `.mallbots` directory in the working directory or one of its parents. Errors: NotFound naming
// the places looked at, when there is no stack.env (run `make up`, or pass the flags).
absl::StatusOr<Endpoints> LoadEndpoints(const std::string& state_dir);

}  // namespace mallctl
