// File: relay.h
// The outbox relay: moves committed outbox rows to JetStream, in insertion order, and marks a
// row published only after JetStream acknowledged it.
//
// - Woken when a unit of work that wrote rows commits (directly in the same process, by
//   LISTEN/NOTIFY from others); polls every poll_interval as a fallback. Under load it lingers
//   briefly between batches (`linger`) so that they grow; a commit that comes alone never waits.
// - Publishes a batch without waiting in between (each publish names the batch and itself in its
//   reply subject), collects JetStream's PubAcks on a subscription of its own, and marks the
//   acknowledged rows in one UPDATE. Rows that failed or timed out stay unpublished and are sent
//   again after a back-off that grows to max_backoff; a late PubAck for an earlier batch is
//   recognised and dropped. It never gives up and never stops on errors (lost database or NATS
//   links are reconnected; while NATS is unreachable nothing is published).
// - Safe with several replicas: only the holder of a PostgreSQL advisory lock relays (the others
//   stand by and take over when its session ends), so each row is normally published by one
//   relay; a row published but not yet marked when a relay dies is published again, which
//   JetStream de-duplicates by Nats-Msg-Id within the stream's duplicate window, and consumers
//   by their inbox after that.
// - Per-aggregate order: a row about an aggregate is published only once every earlier row of
//   that aggregate is acknowledged (a batch goes out in waves: the first row of each aggregate,
//   then the second, ...; a failed row holds back the rest of its aggregate). Rows carry the
//   headers Mallbots-Aggregate-Id and Mallbots-Aggregate-Seq.
// - A row JetStream refuses or never answers while it accepts others (or answers its account
//   info: the failure is the row's, not the server's) counts an attempt; after `max_attempts`,
//   and `isolate_after` after its first failure, it is moved to `outbox_dead`, out of every later
//   scan, and its aggregate's later rows wait until an operator re-sends or discards it (admin API,
//   `mallctl`). Metric outbox_dead_rows_total.
// - Yields the CPU to the calls it is woken by (`batch_scheduling`).
// - Prunes published rows older than `retention`, and inbox rows older than `inbox_retention`.
// - Metrics: outbox_pending_messages, outbox_oldest_unpublished_seconds, outbox_published_total,
//   outbox_publish_errors_total, outbox_relay_leader.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/messaging/nats.h"
#include "libs/pg/connection.h"

namespace eda::obs {
class MetricsRegistry;
}  // namespace eda::obs

namespace eda::outbox {

struct RelayOptions {
  std::string pg_dsn;
  messaging::ConnectOptions nats;  // the relay opens its own connection with these
  int batch = 1000;                // rows per scan = PubAcks pending at most
  int64_t batch_bytes = 8 << 20;   // and bytes per scan (its first row always goes)
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration publish_timeout = absl::Seconds(5);
  // After a batch that was not full, its published_at marks wait up to this long for the next
  // wake-up, to travel with the next scan in one round trip instead of taking one of their own.
  absl::Duration mark_delay = absl::Milliseconds(20);
  // After a batch that was not full but held rows of several transactions (commits came faster
  // than the relay went round, but there is no backlog), the next scan waits this long, so that
  // it takes more rows at once: fewer, larger batches under load. The rows of a commit that
  // comes alone never wait, however many it wrote.
  absl::Duration linger = absl::Milliseconds(1);
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration retention = absl::Hours(24);
  absl::Duration inbox_retention = absl::Hours(24 * 7);
  absl::Duration prune_every = absl::Minutes(1);
  // Rows deleted per statement when pruning. While a prune finds a full chunk, the next follows
  // 100 ms later: pruning keeps up with sustained rates up to 10 chunks (10 000 rows) a second per
  // table, and publishing stalls only for one short statement at a time.
  int prune_chunk = 1000;
  // A row is moved to outbox_dead after `max_attempts` failed publishes (while JetStream works)
  // once its first failure is `isolate_after` old: a stream created a little after its first
  // publisher started (e.g. the saga's replies stream) costs nothing.
  int max_attempts = 5;
  absl::Duration isolate_after = absl::Seconds(30);
  // A leader that has published nothing for this long while it had rows to publish and could
  // not reach JetStream (NATS unreachable, or no answer coming back) gives the lock up, and takes
  // no lock for as long again, so that a standby with a working link relays.
  absl::Duration give_up_after = absl::Seconds(5);
  // The relay's thread (named outbox-relay) runs under Linux's SCHED_BATCH policy: woken by a
  // commit, it does not preempt a running thread, such as the one answering that commit's call,
  // but waits for a core to come free; under load its share of the CPU is the same as others'.
  // The threads it starts (its NATS connection's) inherit the policy, and the name.
  // At one client on two cores, commands answer 0.08 ms sooner (bench/commands_bench.cc
  // --compare-bin). false: the process's default policy.
  bool batch_scheduling = true;
};

// The rows of outbox_dead (the operator's side; the admin API calls these).
// Puts rows back into the outbox under their old position and with their attempts reset, and
// wakes the relay; returns how many were moved. An empty list means every row.
absl::StatusOr<int64_t> ResendDeadRows(pg::Connection& conn, const std::vector<int64_t>& seqs);
// Deletes rows for good; the later rows of their aggregates then go out (an order-sensitive
// consumer will wait on the gap, and dead-letter those messages in the end). Returns how many.
absl::StatusOr<int64_t> DiscardDeadRows(pg::Connection& conn, const std::vector<int64_t>& seqs);

class Relay final {
 public:
  // Starts the relay thread. It connects (and reconnects) by itself, so Start succeeds even when
  // PostgreSQL or NATS is down; readiness tells. `metrics` must outlive the relay.
  static std::unique_ptr<Relay> Start(RelayOptions options, obs::MetricsRegistry& metrics);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Stops after the batch in hand (its acks are awaited and marked). Idempotent.
  void Stop();
  // Wakes the relay now (e.g. from a producer in this process).
  void Poke();

  // Whether this relay holds the lock and relays.
  bool leader() const;
  // Rows this relay published and JetStream acknowledged (their marks follow within mark_delay).
  int64_t published() const;

 private:
  class Impl;
  explicit Relay(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace eda::outbox
