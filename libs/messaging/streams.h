// File: streams.h
// Idempotent provisioning of JetStream streams and durable pull consumers, and the messaging
// topology (deploy/topology.conf) that says which service owns which.
#pragma once

#include <nats/nats.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace eda::messaging {

struct StreamSpec {
  std::string name;                              // e.g. "STORES"
  std::vector<std::string> subjects;             // e.g. {"mallbots.stores.>"}
  absl::Duration duplicates = absl::Minutes(2);  // de-duplication window for Nats-Msg-Id
  int replicas = 1;
  // Retention limits (topology options max_age=, max_bytes=, discard=). Zero is no limit: event
  // streams are kept in full by default, since read models are rebuilt from them.
  absl::Duration max_age = absl::ZeroDuration();
  int64_t max_bytes = 0;
  // At max_bytes: refuse new messages (the publisher's outbox keeps them) instead of dropping
  // the oldest.
  bool discard_new = false;
};

// Creates the stream, or updates it when its subjects, duplicate window, replicas or limits
// differ. Errors: FailedPrecondition when the server refuses the update (e.g. fewer replicas
// than nodes), naming the difference; PermissionDenied/Unavailable from NATS.
// With update = false an existing stream is left as it is.
absl::Status EnsureStream(jsCtx* js, const StreamSpec& spec, bool update = true);

struct ConsumerSpec {
  std::string stream;
  std::string durable;
  std::string filter_subject;
  absl::Duration ack_wait = absl::Seconds(30);
  int max_deliver = 5;  // enforced by the consumer (the server's limit is unlimited)
  std::vector<absl::Duration> backoff;  // redelivery delays after ack timeouts (optional)
  int max_ack_pending = 1000;
};

// Creates the durable pull consumer with js_AddConsumer, or checks an existing one: settings
// that can change in place are updated; a different filter subject, ack policy or a push
// consumer of that name is FailedPrecondition with both configurations in the message (the
// consumer is never deleted here: its position is data).
absl::Status EnsureConsumer(jsCtx* js, const ConsumerSpec& spec);

// The messaging topology of the system (format in deploy/topology.conf).
struct Topology {
  // The owner of a stream every consuming service ensures (the dead-letter stream).
  static constexpr char kShared[] = "*";

  struct Stream {
    std::string owner;
    StreamSpec spec;
  };
  struct Consumer {
    std::string service;
    ConsumerSpec spec;
  };
  // A subscriber account (`subscriber` lines): a NATS user that may only read through its
  // durables, which the stream's owner provisions.
  struct Subscriber {
    std::string name;
    ConsumerSpec spec;
  };
  std::vector<Stream> streams;
  std::vector<std::pair<std::string, std::string>> publishes;  // (service, subject)
  std::vector<Consumer> consumers;
  std::vector<Subscriber> subscribers;
  std::vector<std::pair<std::string, std::string>> calls;  // (service, peer it calls over gRPC)

  // Errors: NotFound (no file), InvalidArgument naming the line that does not parse, or a
  // subscriber line naming an unknown stream, a filter outside it, a durable taken on that
  // stream, or a service's name (or admin) as its account.
  static absl::StatusOr<Topology> Load(const std::string& path);

  std::vector<StreamSpec> StreamsOwnedBy(const std::string& service) const;
  // The streams of `stream * ...` lines, or when there is none the default DeadLetterStream().
  std::vector<StreamSpec> SharedStreams() const;
  std::vector<ConsumerSpec> ConsumersOf(const std::string& service) const;
  // The subscribers' durables on the streams `service` owns (it provisions them).
  std::vector<ConsumerSpec> SubscriberDurablesOn(const std::string& service) const;
  // The peers `service` calls synchronously (its `call` lines).
  std::vector<std::string> PeersOf(const std::string& service) const;
  // Where `service` may send replies to commands: the reply subjects (a `replies` token, as in
  // mallbots.cosec.replies.CreateOrder) it may publish that none of its own streams takes.
  std::vector<std::string> ReplyChannelsOf(const std::string& service) const;

 private:
  absl::Status CheckSubscriber(const Subscriber& sub) const;
};

// The stream holding every service's dead letters (subjects mallbots.deadletter.<service>.>),
// without limits; the topology's `stream * DEADLETTER ...` line gives its retention.
StreamSpec DeadLetterStream();

// Parses a stream line's options (max_age=168h, max_bytes=1GiB with B/KiB/MiB/GiB/TiB,
// discard=old|new) into `spec`. Errors: InvalidArgument naming the option.
absl::Status ParseStreamOption(absl::string_view option, StreamSpec& spec);

}  // namespace eda::messaging
