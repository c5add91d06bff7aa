// File: limits.h
// What a service process lets its API's callers have at once, and for how long: every call of
// the API (EDA_RPC) goes through RunCall, which refuses a call beyond `max_calls` in progress
// with RESOURCE_EXHAUSTED (the service stays responsive for the calls it took) and gives a call
// that carries no deadline the default one. The server of the API installs them (ServerOptions::
// calls); the health service and reflection are not counted.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace eda::grpcserver {

struct CallLimits {
  int max_calls = 256;                                  // calls of the API in progress at once
  absl::Duration default_deadline = absl::Seconds(30);  // for calls that carry none
};

// Installs `limits` for the process's API calls (Server::Start, for the server of the API).
// Thread-safe.
void SetCallLimits(const CallLimits& limits);

// Runs `body` as one call of the API: RESOURCE_EXHAUSTED "the service is busy: <n> calls in
// progress, the most it takes at once; try again" when the limit is reached, else `body` in a
// CallScope with the caller's deadline (or the default deadline when it has none) and its
// cancellation (asked once the call has run 10 ms: asking costs a poll of the call's queue).
// A call that fails once its deadline has passed is DEADLINE_EXCEEDED "the call's deadline
// passed" (naming the default when the call carried none).
grpc::Status RunCall(grpc::ServerContext* context, absl::FunctionRef<grpc::Status()> body);

}  // namespace eda::grpcserver
