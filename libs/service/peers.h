// File: peers.h
// Synchronous calls to peer services: the cache-miss fallbacks of the spec (baskets, depot and
// search ask stores for a store or a product, notifications and search ask customers for a
// customer). Which peers a service calls is declared in the topology (`call <service> <peer>`);
// their addresses come from RPC_SERVICES (`STORES=host:port,CUSTOMERS=host:port`).
//
//   EDA_ASSIGN_OR_RETURN(Peer stores, rt.OpenPeer("stores"));       // main.cc
//   PeerClient<storespb::StoresService> client(stores);
//   CachedLookup<storespb::Product> products({.what = "product", .find = ..., .remember = ...,
//       .fetch = [&](const std::string& id) -> absl::StatusOr<storespb::Product> {
//         storespb::GetProductRequest req;  req.set_id(id);
//         EDA_ASSIGN_OR_RETURN(auto resp, client.Call(&Stub::GetProduct, req));
//         return resp.product();
//       }});
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/unit_of_work.h"

namespace eda::service {

// Parses RPC_SERVICES: comma-separated NAME=host:port pairs; names are case-insensitive and
// returned in lower case ("STORES" -> "stores"). An empty value is an empty map. Errors:
// InvalidArgument naming the malformed entry.
absl::StatusOr<std::map<std::string, std::string>> ParseRpcServices(absl::string_view value);

// A peer service reached over gRPC: its name, address and the deadline of each call. Cheap to
// copy (the copies share one channel); thread-safe.
class Peer final {
 public:
  Peer(std::string name, std::string address, absl::Duration timeout);

  const std::string& name() const { return name_; }
  const std::string& address() const { return address_; }
  absl::Duration timeout() const { return timeout_; }
  // The channel to call it on (a new one after it was found unreachable; see CallError).
  std::shared_ptr<grpc::Channel> channel() const;

  // A client context with the peer's deadline and the calling thread's trace (traceparent).
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  // The status of a call that failed: the peer's own answer (its code and message) when it is
  // about the request (NotFound, InvalidArgument, FailedPrecondition); Internal "peer <name> at
  // <address> answered <CODE>: ..." for any other answer; Unavailable "peer <name> at <address>
  // is unreachable: ..." or DeadlineExceeded "peer <name> at <address> did not answer within
  // <timeout>" when it did not answer; Unavailable "peer <name> at <address> is busy: ..." when
  // it refused the call for its load (RESOURCE_EXHAUSTED). When it was unreachable and the
  // channel is not connected, the next call goes through a new channel (at most one a second): a
  // channel that failed to connect waits seconds before it tries again, whatever its back-off
  // settings, while a new one connects at once.
  absl::Status CallError(const grpc::Status& status) const;

 private:
  struct Shared {
    absl::Mutex mu;
    std::shared_ptr<grpc::Channel> channel ABSL_GUARDED_BY(mu);
    absl::Time renewed ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  };

  std::string name_;
  std::string address_;
  absl::Duration timeout_;
  std::shared_ptr<Shared> shared_;
};

// Typed calls to a peer of gRPC service S (a generated service class, e.g.
// storespb::StoresService).
template <typename S>
class PeerClient final {
 public:
  explicit PeerClient(Peer peer) : peer_(std::move(peer)) {}

  // Calls `method` (e.g. &storespb::StoresService::Stub::GetStore). Errors: Peer::CallError.
  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(grpc::Status (S::Stub::*method)(grpc::ClientContext*, const Req&,
                                                            Resp*),
                            const Req& request) const {
    std::unique_ptr<grpc::ClientContext> ctx = peer_.NewContext();
    Resp response;
    std::shared_ptr<typename S::Stub> stub = Stub();
    grpc::Status status = (stub.get()->*method)(ctx.get(), request, &response);
    if (!status.ok()) return peer_.CallError(status);
    return response;
  }

  const Peer& peer() const { return peer_; }

 private:
  // The stub of the peer's current channel (made again when the channel is new).
  std::shared_ptr<typename S::Stub> Stub() const {
    std::shared_ptr<grpc::Channel> channel = peer_.channel();
    absl::MutexLock lock(&mu_);
    if (channel != channel_) {
      channel_ = channel;
      stub_ = S::NewStub(channel);
    }
    return stub_;
  }

  Peer peer_;
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<grpc::Channel> channel_ ABSL_GUARDED_BY(mu_);
  mutable std::shared_ptr<typename S::Stub> stub_ ABSL_GUARDED_BY(mu_);
};

// A local cache of a peer's entities (kept up to date by its events) with a fallback to the peer
// on a miss; what the fallback returns is remembered in the same unit of work. The unit of work
// keeps its database connection during the peer call, which is bounded by the peer's deadline.
template <typename T>
class CachedLookup final {
 public:
  struct Options {
    std::string what;  // e.g. "product", for messages
    // The cached entity, nullopt on a miss.
    std::function<absl::StatusOr<std::optional<T>>(outbox::UnitOfWork&, const std::string& id)>
        find;
    // The peer's answer (PeerClient::Call).
    std::function<absl::StatusOr<T>(const std::string& id)> fetch;
    // Queues the cache insert (ignoring a row inserted meanwhile).
    std::function<void(outbox::UnitOfWork&, const T&)> remember;
  };
  explicit CachedLookup(Options options) : options_(std::move(options)) {}

  // Errors: NotFound "<what> fallback failed: <what> was not located" when the peer does not
  // know `id`; other fallback errors keep their code: "<what> fallback failed: <message>".
  absl::StatusOr<T> Get(outbox::UnitOfWork& uow, const std::string& id) const {
    EDA_ASSIGN_OR_RETURN(std::optional<T> cached, options_.find(uow, id));
    if (cached.has_value()) return *std::move(cached);
    absl::StatusOr<T> fetched = options_.fetch(id);
    if (fetched.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(
          absl::StrCat(options_.what, " fallback failed: ", options_.what, " was not located"));
    }
    if (!fetched.ok()) return Annotate(fetched.status(), options_.what + " fallback failed");
    options_.remember(uow, *fetched);
    return fetched;
  }

 private:
  Options options_;
};

}  // namespace eda::service
