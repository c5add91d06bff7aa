#include "libs/service/peers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/grpcserver/status.h"
#include "libs/observability/trace_context.h"

namespace eda::service {

absl::StatusOr<std::map<std::string, std::string>> ParseRpcServices(absl::string_view value) {
  std::map<std::string, std::string> out;
  for (absl::string_view entry : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(entry, '=');
    const size_t colon = kv.second.rfind(':');
    int port = 0;
    if (kv.first.empty() || colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(kv.second.substr(colon + 1), &port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("RPC_SERVICES: '", entry, "' is not NAME=host:port"));
    }
    const std::string name = absl::AsciiStrToLower(kv.first);
    if (out.count(name) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("RPC_SERVICES: ", name, " is given twice"));
    }
    out[name] = std::string(kv.second);
  }
  return out;
}

namespace {

// A peer that restarts is back within seconds, but a channel left alone takes far longer to
// notice: gRPC's reconnect back-off grows to two minutes, and after a failure the address is
// resolved again at most every 30 s. Peers are tried again at most a second apart and resolved
// again as often; each channel keeps its connection to itself (not in the process-wide pool,
// where channels to one address share one connection and its state), so that a new channel
// (Peer::CallError) starts afresh. (The minimum back-off is also each connection attempt's
// timeout: it stays at gRPC's 20 s.)
std::shared_ptr<grpc::Channel> PeerChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 1000);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

Peer::Peer(std::string name, std::string address, absl::Duration timeout)
    : name_(std::move(name)),
      address_(std::move(address)),
      timeout_(timeout),
      shared_(std::make_shared<Shared>()) {
  absl::MutexLock lock(&shared_->mu);
  shared_->channel = PeerChannel(address_);
}

std::shared_ptr<grpc::Channel> Peer::channel() const {
  absl::MutexLock lock(&shared_->mu);
  return shared_->channel;
}

std::unique_ptr<grpc::ClientContext> Peer::NewContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  if (const obs::SpanContext* span = obs::CurrentSpan()) {
    ctx->AddMetadata("traceparent", span->NewChild().Traceparent());
  }
  return ctx;
}

absl::Status Peer::CallError(const grpc::Status& status) const {
  const std::string where = absl::StrCat("peer ", name_, " at ", address_);
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE: {
      // Not connected (rather than an answer of a connected peer): the next call, on a new channel.
      absl::MutexLock lock(&shared_->mu);
      if (absl::Now() - shared_->renewed >= absl::Seconds(1) &&
          shared_->channel->GetState(false) != GRPC_CHANNEL_READY) {
        shared_->channel = PeerChannel(address_);
        shared_->renewed = absl::Now();
      }
      return absl::UnavailableError(
          absl::StrCat(where, " is unreachable: ", status.error_message()));
    }
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // busy (RPC_MAX_CALLS): worth a retry
      return absl::UnavailableError(absl::StrCat(where, " is busy: ", status.error_message()));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat(where, " did not answer within ", absl::FormatDuration(timeout_)));
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return grpcserver::FromGrpcStatus(status);  // about what was asked: the caller's to judge
    default:  // about the peer itself (e.g. UNAUTHENTICATED, INTERNAL): not the caller's client's
      return absl::InternalError(
          absl::StrCat(where, " answered ",
                       absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                       ": ", status.error_message()));
  }
}

}  // namespace eda::service
