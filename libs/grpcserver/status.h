// File: status.h
// absl::Status <-> grpc::Status, and what a client sees when a call fails. Both follow
// google.rpc.Code, so the code number carries over; the message does for the errors a client
// can act on (validation, not found, preconditions, unauthenticated, a conflict). A failure of
// the infrastructure (database or broker unavailable, a pool timeout, an SQL error, undecodable
// data) reaches the client as UNAVAILABLE (retryable) or INTERNAL with a generic message naming
// the call's trace id; its detail is logged with that trace id, never sent.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/call_scope.h"
#include "libs/grpcserver/limits.h"

namespace eda::grpcserver {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// An RPC handler's reply: the status of a use case that returns nothing (`done()`, e.g.
// counting it, runs when it succeeded)...
inline grpc::Status Reply(const absl::Status& status) { return ToGrpcStatus(status); }
template <typename Done>
grpc::Status Reply(const absl::Status& status, Done&& done) {
  if (status.ok()) std::forward<Done>(done)();
  return ToGrpcStatus(status);
}
// ...or `fill(value)` (which writes the response) when the use case succeeded.
template <typename T, typename Fill>
grpc::Status Reply(absl::StatusOr<T> result, Fill&& fill) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  std::forward<Fill>(fill)(*std::move(result));
  return grpc::Status::OK;
}

// A `fill` for Reply that moves a query's answer into a response field (a message, or a repeated
// field from a vector).
template <typename T>
auto Into(T* field) {
  return [field](auto value) { *field = std::move(value); };
}
template <typename T>
auto Into(google::protobuf::RepeatedPtrField<T>* field) {
  return [field](std::vector<T> values) {
    for (T& v : values) *field->Add() = std::move(v);
  };
}

}  // namespace eda::grpcserver

// Declares, in a class deriving from a generated pkg::XService::Service, the handler of its RPC
// `Name` (and its body, which runs in the call's CallScope: its deadline and cancellation bound
// the work done for it) ...
#define EDA_RPC_DECLARE(pkg, Name)                                                             \
  ::grpc::Status Name(::grpc::ServerContext*, const pkg::Name##Request*, pkg::Name##Response*) \
      override;                                                                                \
  ::grpc::Status Name##Body(const pkg::Name##Request*, pkg::Name##Response*);
// ...and defines it, with the request as `req` and the response as `resp`:
//   EDA_RPC(StoresServer, storespb, GetStore) {
//     return Reply(app_.Run([&](Ports& p) { return GetStore(p, req->id()); }), Into(resp->...));
//   }
#define EDA_RPC(Server, pkg, Name)                                                       \
  ::grpc::Status Server::Name(::grpc::ServerContext* ctx, const pkg::Name##Request* req, \
                              pkg::Name##Response* resp) {                               \
    return ::eda::grpcserver::RunCall(ctx, [&] { return Name##Body(req, resp); });       \
  }                                                                                      \
  ::grpc::Status Server::Name##Body([[maybe_unused]] const pkg::Name##Request* req,      \
                                    [[maybe_unused]] pkg::Name##Response* resp)
