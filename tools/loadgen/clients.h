// File: clients.h
// The load generator's view of the mall: a gRPC client of each service it calls, the failures it
// treats as transient (the outcome of the call is unknown), and the retry of calls that may be
// repeated. Thread-safe: every simulated customer shares one Clients.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/service/peers.h"
#include "proto/baskets/baskets_service.grpc.pb.h"
#include "proto/customers/customers_service.grpc.pb.h"
#include "proto/depot/depot_service.grpc.pb.h"
#include "proto/ordering/ordering_service.grpc.pb.h"
#include "proto/payments/payments_service.grpc.pb.h"
#include "proto/stores/stores_service.grpc.pb.h"
#include "tools/shopper/shopper.h"

namespace mallbots::loadgen {

struct Clients {
  Clients(const Endpoints& e, absl::Duration timeout)
      : stores(eda::service::Peer("stores", e.stores, timeout)),
        customers(eda::service::Peer("customers", e.customers, timeout)),
        baskets(eda::service::Peer("baskets", e.baskets, timeout)),
        ordering(eda::service::Peer("ordering", e.ordering, timeout)),
        payments(eda::service::Peer("payments", e.payments, timeout)),
        depot(eda::service::Peer("depot", e.depot, timeout)) {}

  eda::service::PeerClient<storespb::StoresService> stores;
  eda::service::PeerClient<customerspb::CustomersService> customers;
  eda::service::PeerClient<basketspb::BasketService> baskets;
  eda::service::PeerClient<orderingpb::OrderingService> ordering;
  eda::service::PeerClient<paymentspb::PaymentsService> payments;
  eda::service::PeerClient<depotpb::DepotService> depot;
};

// A failure after which the call's outcome is unknown: the service was unreachable, did not
// answer in time, or failed for a reason of its own (PeerClient reports every answer that is not
// about the request, e.g. ABORTED or INTERNAL, as Internal). NotFound, InvalidArgument and
// FailedPrecondition are answers about the request: the call was refused.
inline bool IsTransient(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// The transient failures seen, by service and code ("stores UNAVAILABLE"). Thread-safe.
class Failures final {
 public:
  void Add(const absl::Status& s) {
    // PeerClient's messages start "peer <service> at <address> ...".
    absl::string_view m = s.message();
    std::string what(absl::StatusCodeToString(s.code()));
    if (absl::ConsumePrefix(&m, "peer ")) {
      what = absl::StrCat(m.substr(0, m.find(' ')), " ", what);
    }
    absl::MutexLock lock(&mu_);
    ++total_;
    ++by_what_[what];
  }
  int64_t total() const {
    absl::MutexLock lock(&mu_);
    return total_;
  }
  std::map<std::string, int64_t> by_what() const {
    absl::MutexLock lock(&mu_);
    return by_what_;
  }

 private:
  mutable absl::Mutex mu_;
  int64_t total_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> by_what_ ABSL_GUARDED_BY(mu_);
};

// Calls `call` again after each transient failure (backing off from 50 ms to 1 s) until it gives
// another answer or `deadline` passes; returns the last answer. Only for calls that may be
// repeated as they are: reads, and writes whose repetition the caller has made harmless. Each
// failure followed by a repetition is recorded in `*failures` (may be null).
template <typename F>
auto Retry(F&& call, absl::Time deadline, Failures* failures) -> decltype(call()) {
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    auto result = call();
    if (!IsTransient(StatusOf(result)) || absl::Now() >= deadline) return result;
    if (failures != nullptr) failures->Add(StatusOf(result));
    absl::SleepFor(std::min(backoff, std::max(absl::ZeroDuration(), deadline - absl::Now())));
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
}

// Requests of the form {id}.
template <typename Req>
Req WithId(const std::string& id) {
  Req req;
  req.set_id(id);
  return req;
}

}  // namespace mallbots::loadgen
