// File: nats.h
// RAII over nats.c: a connection with its JetStream context, and natsStatus -> absl::Status.
//
// A Connection is safe to use from several threads (nats.c's connection and JetStream context
// are); subscriptions are not shared between threads.
#pragma once

#include <nats/nats.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/common/c_handle.h"

namespace eda::messaging {

using NatsConnPtr = std::unique_ptr<natsConnection, CFree<&natsConnection_Destroy>>;
using JsCtxPtr = std::unique_ptr<jsCtx, CFree<&jsCtx_Destroy>>;
using NatsSubPtr = std::unique_ptr<natsSubscription, CFree<&natsSubscription_Destroy>>;
using NatsMsgPtr = std::unique_ptr<natsMsg, CFree<&natsMsg_Destroy>>;
using NatsOptionsPtr = std::unique_ptr<natsOptions, CFree<&natsOptions_Destroy>>;

// Maps a nats.c status (and JetStream error code, when known) to an absl::Status with the
// library's text: timeouts -> DeadlineExceeded, not found -> NotFound, no server / closed ->
// Unavailable, permission -> PermissionDenied, everything else -> Internal.
absl::Status FromNats(natsStatus s, absl::string_view context, jsErrCode jerr = jsErrCode(0));

// Opens nats.c without lock spinning: its default spins up to 2 000 times on a held lock before
// sleeping, which with more busy threads than cores (a pod with a CPU limit) only burns the time
// the holder needs. Takes effect only as the process's first nats.c call (the library is opened
// once); Connection::Connect calls it, and so should a program that uses nats.c directly first.
absl::Status OpenNatsLibrary();

struct ConnectOptions {
  std::string url;   // or several, comma-separated (the servers of a cluster)
  std::string user;  // empty: no authentication
  std::string password;
  std::string name;  // connection name shown by the server
  // Replies (JetStream API, PubAcks, fetches) arrive on <inbox_prefix>.<id>; the local stack lets
  // each service subscribe only to _INBOX_<service>. Empty: the default _INBOX.
  std::string inbox_prefix;
  // Flush every protocol message at once instead of after ~1 ms (request/reply, acks, fetches).
  bool send_asap = true;
  int64_t js_wait_ms = 5000;  // JetStream API and sync publish timeout
  // TLS: the server's certificate must chain to the CAs in this PEM file (and name the URL's
  // host). Empty: plain, unless the URL says tls:// (then the system's CAs).
  std::string tls_ca_file;
};

class Connection final {
 public:
  // Connects (retrying the initial connect is the caller's business) and creates the JetStream
  // context. Reconnects after a lost link happen in the background, forever.
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  natsConnection* nc() const { return nc_.get(); }
  jsCtx* js() const { return js_.get(); }
  // True while the link to the server is up.
  bool Connected() const;
  const ConnectOptions& options() const { return options_; }

 private:
  Connection() = default;

  ConnectOptions options_;
  NatsConnPtr nc_;  // declared before js_: destroyed after it
  JsCtxPtr js_;
};

// What JetStream's reply to a publish (a PubAck) reports: OK when a stream stored the message,
// or had it already (a duplicate within the stream's window); Unavailable when no stream takes
// the subject or JetStream refused it (its description, e.g. a full stream); Internal when the
// reply cannot be read.
absl::Status PubAckStatus(natsMsg* reply);

// Reads a header value of a message ("" if absent).
std::string Header(natsMsg* msg, const char* key);

// Copies every value of every header of `from` whose name `keep` accepts onto `to`.
void CopyHeaders(natsMsg* from, natsMsg* to, const std::function<bool(absl::string_view)>& keep);

}  // namespace eda::messaging
