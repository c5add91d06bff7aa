// File: consumer.h
// Workers that fetch from a durable pull consumer in batches and settle every message:
// acknowledged, redelivered later (nak with a growing delay), or dead-lettered.
//
// Per fetched batch: each message's envelope is decoded (an undecodable one is dead-lettered and
// terminated at once); the decoded deliveries go to the BatchHandler, which answers one Outcome
// per delivery; then:
//   kAck        -> ack
//   kRetry      -> the handler rejected the message (a bug, a failed precondition that may pass
//                  later): nak with delay retry_base * 2^(attempt-1) (capped at retry_max), or,
//                  on the last allowed attempt (max_deliver), dead-letter + term
//   kWait       -> the infrastructure failed (database unreachable, pool exhausted, conflict,
//                  timeout): nak with delay retry_base * 2^(delivered-1) capped at wait_max,
//                  for as long as it takes; never counts towards max_deliver
//   kDeadLetter -> dead-letter + term (a permanent failure)
// JetStream counts every delivery, infrastructure failures included, so the attempt that
// max_deliver limits is the handler's own count (Outcome::attempt; the transactional handler
// keeps it in the database), not the server's delivery count.
// While `ready` says no (the service's database does not answer), the workers do not fetch.
// A message is terminated only after its copy is stored in the DEADLETTER stream; if that
// publish fails it is nak'ed instead, so nothing is ever dropped. While a batch is being
// handled, its messages' ack deadlines are extended (in-progress) every ack_wait / 3.
//
// Dead letters go to mallbots.deadletter.<service>.<durable> with the original body and headers
// and the headers Mallbots-Dead-Reason, -Consumer, -Stream, -Stream-Seq, -Subject, -Deliveries,
// -Original-Msg-Id.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"

namespace eda::obs {
class MetricsRegistry;
}  // namespace eda::obs

namespace eda::messaging {

// Set on a replayed dead letter: the durable it is for. Every other durable on its subject acks
// it without handling it (they handled the original, and their inbox rows may be pruned since).
inline constexpr char kReplayForHeader[] = "Mallbots-Replay-For";

// Publishes the dead letter `dead` (sequence `seq` of the DEADLETTER stream) again on its
// original subject, for the durable that failed it only (kReplayForHeader), then deletes it from
// the DEADLETTER stream. Its Nats-Msg-Id is <original id>:replay:<seq>, so the stream does not
// drop it as a duplicate of the original, and replaying one entry twice within the duplicate
// window stores it once. Errors: FailedPrecondition when it names no subject or consumer; NATS's.
absl::Status ReplayDeadLetter(jsCtx* js, uint64_t seq, natsMsg* dead);

struct Delivery {
  Message message;
  uint64_t stream_seq = 0;
  uint64_t delivered = 1;  // 1 on the first delivery
  absl::Time stored_at;    // when the stream stored the message (the server's clock)
};

struct Outcome {
  enum Kind { kAck, kRetry, kWait, kDeadLetter };
  Kind kind = kAck;
  absl::Status status;     // why (retry / wait / dead letter)
  bool duplicate = false;  // acked without effects (already processed)
  // For kRetry: which attempt of the handler this was (1 = the first), when the handler counts
  // them; 0 = use the server's delivery count.
  uint64_t attempt = 0;

  static Outcome Ack() { return {}; }
  static Outcome Duplicate() { return {kAck, absl::OkStatus(), true}; }
  static Outcome Retry(absl::Status s, uint64_t attempt = 0) {
    return {kRetry, std::move(s), false, attempt};
  }
  static Outcome Wait(absl::Status s) { return {kWait, std::move(s)}; }
  static Outcome DeadLetter(absl::Status s) { return {kDeadLetter, std::move(s)}; }
  // Wait for failures of the infrastructure (Unavailable, Aborted, DeadlineExceeded,
  // ResourceExhausted, Cancelled); Retry for the handler's own unexpected failures (Internal,
  // Unknown) and for messages that came too early (OutOfRange); dead-letter for the rest (bad
  // input, missing entities, ...).
  static Outcome ForError(absl::Status s);
  static bool IsInfrastructure(const absl::Status& s);
};

// Returns exactly one outcome per delivery, in order. Runs on a worker thread.
using BatchHandler = std::function<std::vector<Outcome>(const std::vector<Delivery>&)>;

struct PullConsumerOptions {
  std::string service;  // owner, for the dead-letter subject
  ConsumerSpec consumer;
  int batch = 64;
  // A fetch also stops at this many bytes (0: only `batch` bounds it). A single message larger
  // than the bound is still fetched, alone.
  int64_t fetch_bytes = int64_t{8} << 20;
  int workers = 1;
  absl::Duration fetch_wait = absl::Seconds(1);  // longest idle fetch (shutdown latency)
  absl::Duration retry_base = absl::Milliseconds(200);
  absl::Duration retry_max = absl::Seconds(30);
  absl::Duration wait_max = absl::Seconds(5);  // longest delay after an infrastructure failure
  // When set and false, no fetching (the messages stay on the server for later, or for another
  // replica). Checked before each fetch.
  std::function<bool()> ready;
  absl::Duration not_ready_poll = absl::Milliseconds(100);
};

class PullConsumer final {
 public:
  // Ensures the durable exists (EnsureConsumer), binds `workers` pull subscriptions to it and
  // starts them. When its stream does not exist yet (its owner is deployed later), it retries
  // every 2 s in the background until it does, and starts then. `conn` and `metrics` must
  // outlive the consumer.
  static absl::StatusOr<std::unique_ptr<PullConsumer>> Start(Connection& conn,
                                                             PullConsumerOptions options,
                                                             BatchHandler handler,
                                                             obs::MetricsRegistry& metrics);
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Stops fetching, lets every worker settle the batch it holds, and joins. Idempotent.
  void Stop();
  bool running() const { return !stopping_.load(); }
  const PullConsumerOptions& options() const { return options_; }

 private:
  struct Instruments;
  PullConsumer(Connection& conn, PullConsumerOptions options, BatchHandler handler,
               obs::MetricsRegistry& metrics);
  // EnsureConsumer, then the subscriptions and the threads. Errors: EnsureConsumer's (NotFound
  // when the stream does not exist), NATS's.
  absl::Status Bind();
  void Work(natsSubscription* sub);
  void Settle(natsMsg* msg, const Delivery& delivery, const Outcome& outcome);
  // Publishes the dead letter, then terms; on a failed publish, naks instead.
  void DeadLetter(natsMsg* msg, const std::string& name, uint64_t stream_seq, uint64_t delivered,
                  const absl::Status& why);
  void KeepAlive();
  static absl::Duration Backoff(absl::Duration base, uint64_t n, absl::Duration max);

  Connection& conn_;
  const PullConsumerOptions options_;
  const BatchHandler handler_;
  std::unique_ptr<Instruments> instruments_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> keep_alive_stop_{false};

  absl::Mutex mu_;
  // Messages being handled, per worker, for in-progress extensions.
  std::vector<std::vector<natsMsg*>> in_flight_ ABSL_GUARDED_BY(mu_);

  std::vector<NatsSubPtr> subs_;
  std::vector<std::thread> workers_;  // last: joined before the members above go away
  std::thread keep_alive_;
  std::thread binder_;  // while the stream does not exist yet
};

}  // namespace eda::messaging
