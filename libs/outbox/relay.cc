#include "libs/outbox/relay.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/observability/logging.h"
#include "libs/observability/metrics.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/pg/connection.h"
#include "libs/pg/listener.h"

namespace eda::outbox {
namespace {

// All replicas of one service share the database, hence the lock.
constexpr int64_t kRelayLockKey = 0x6f7574626f78;  // "outbox"

// How soon the next chunk is pruned after a prune deleted a full one.
constexpr absl::Duration kPruneCatchUp = absl::Milliseconds(100);

struct Row {
  int64_t seq;
  std::string id;
  std::string subject;
  std::string data;
  std::string aggregate_id;  // "" for none
  std::string aggregate_seq;
  std::string txn;  // the transaction that wrote it (xmin)
};

// Whether the rows were written by more than one transaction: commits came faster than the
// relay went round (one transaction writing several rows is not load).
bool SeveralCommits(const std::vector<Row>& rows) {
  return std::any_of(rows.begin(), rows.end(),
                     [&](const Row& row) { return row.txn != rows.front().txn; });
}

// What became of a batch's rows.
struct BatchResult {
  std::vector<int64_t> acked;
  // Refused or unanswered while connected: (seq, why).
  std::vector<std::pair<int64_t, std::string>> failed;
  int postponed = 0;  // not sent: NATS unreachable, or behind a failed row of their aggregate
};

}  // namespace

class Relay::Impl final : public RelayWaker {
 public:
  void Wake() override { Poke(); }

  Impl(RelayOptions options, obs::MetricsRegistry& metrics)
      : options_(std::move(options)),
        pending_(
            metrics.Gauge("outbox_pending_messages", "Outbox rows not yet published.").Add({})),
        oldest_(metrics
                    .Gauge("outbox_oldest_unpublished_seconds",
                           "Age of the oldest unpublished outbox row (0 when none).")
                    .Add({})),
        published_total_(
            metrics.Counter("outbox_published_total", "Outbox rows published and acknowledged.")
                .Add({})),
        errors_total_(metrics
                          .Counter("outbox_publish_errors_total",
                                   "Publish attempts that failed (row kept and retried).")
                          .Add({})),
        scans_total_(metrics
                         .Counter("outbox_scans_total",
                                  "Scans for unpublished rows (none while NATS is unreachable).")
                         .Add({})),
        batch_rows_(
            metrics
                .Histogram("outbox_batch_rows",
                           "Rows per scan that found some (bounded in "
                           "rows and in bytes).")
                .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 50, 100, 500, 1000})),
        dead_total_(metrics
                        .Counter("outbox_dead_rows_total",
                                 "Rows moved to outbox_dead after max_attempts failed publishes.")
                        .Add({})),
        leader_gauge_(
            metrics.Gauge("outbox_relay_leader", "1 while this process's relay holds the lock.")
                .Add({})) {}

  void Run();
  void Stop() {
    stopping_ = true;
    Poke();
  }
  // Every commit that wrote rows pokes: only a relay blocked in Wait is interrupted (once); a
  // busy one finds poked_ set when it next waits.
  void Poke() {
    absl::MutexLock lock(&listener_mu_);
    poked_ = true;
    if (waiting_ && listener_ != nullptr) listener_->Interrupt();
    waiting_ = false;
  }

  std::atomic<bool> leader{false};
  std::atomic<int64_t> published{0};
  std::thread thread;

 private:
  absl::Status EnsureConnections();
  void DropDatabase();
  absl::StatusOr<std::vector<Row>> Scan();
  absl::StatusOr<std::vector<Row>> Rows(const pg::Result& r);
  // Marks the acknowledged rows and scans for the next batch, in one round trip.
  absl::StatusOr<std::vector<Row>> MarkAndScan(const std::vector<int64_t>& seqs);
  // Publishes the rows in waves that keep each aggregate's order.
  BatchResult PublishBatch(const std::vector<Row>& rows);
  // Publishes rows of distinct aggregates at once; one status per row (DeadlineExceeded when
  // unanswered in time, FailedPrecondition when NATS is unreachable and it was not sent).
  std::vector<absl::Status> PublishWave(const std::vector<const Row*>& rows);
  // Counts the failed rows' attempts; moves those out of attempts to outbox_dead.
  absl::Status RecordFailures(const std::vector<std::pair<int64_t, std::string>>& failed);
  // Whether JetStream answers (its account info), so that failures are the rows' own.
  bool JetStreamAnswers();
  absl::Status Mark(const std::vector<int64_t>& seqs);
  void MaybePrune();
  void UpdateLag();
  void Wait(absl::Duration d);
  // Counts a streak of batches that could not reach JetStream from `failing_since`; once it is
  // give_up_after long, releases the lead (true).
  bool MaybeGiveUpLead(absl::Time failing_since);
  // Reads the replies to a wave's `publishes` (numbered 0..publishes-1 in `batch`) until all
  // came or the publish timeout passed; nullopt for a publish left unanswered. `unattributed`:
  // how many "no responders" replies came that could not be told apart (see there). The replies
  // read are kept in spent_.
  std::vector<std::optional<absl::Status>> AwaitReplies(uint64_t batch, size_t publishes,
                                                        size_t* unattributed);
  // Keeps a message that was sent or read, to be destroyed with others (see spent_).
  natsMsg* Keep(natsMsg* msg);

  const RelayOptions options_;
  prometheus::Gauge& pending_;
  prometheus::Gauge& oldest_;
  prometheus::Counter& published_total_;
  prometheus::Counter& errors_total_;
  prometheus::Counter& scans_total_;
  prometheus::Histogram& batch_rows_;
  prometheus::Counter& dead_total_;
  prometheus::Gauge& leader_gauge_;
  std::atomic<bool> stopping_{false};

  std::optional<pg::Connection> db_;
  // JetStream's replies to the publishes arrive on <reply_prefix_>.<batch>.<publish>, to a
  // synchronous subscription that this thread reads while it waits for them (no delivery thread
  // in between).
  std::string reply_prefix_;
  uint64_t batch_number_ = 0;
  std::unique_ptr<messaging::Connection> nats_;
  messaging::NatsSubPtr replies_;
  absl::Mutex listener_mu_;
  std::unique_ptr<pg::Listener> listener_ ABSL_GUARDED_BY(listener_mu_);
  bool poked_ ABSL_GUARDED_BY(listener_mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(listener_mu_) = false;  // blocked in listener_->Wait
  absl::Time last_prune_ = absl::InfinitePast();
  bool prune_more_ = false;  // the last prune deleted a full chunk
  absl::Time last_lag_ = absl::InfinitePast();
  absl::Time failing_since_ = absl::InfiniteFuture();  // the first batch of a failing streak
  absl::Time no_lead_until_ = absl::InfinitePast();    // after giving the lock up
  absl::Time last_failure_log_ = absl::InfinitePast();
  // nats.c frees a message on its collector thread, and wakes that thread for a message destroyed
  // while it waits, which it does again as soon as it has freed the last one: destroying each
  // wave's messages, even together, woke it about twice per wave (a thread switch each, per
  // message at low load). The messages sent and read are kept here and destroyed in bulk instead,
  // once there are kSpentMessages of them or their payloads reach kSpentBytes.
  static constexpr size_t kSpentMessages = 256;
  static constexpr size_t kSpentBytes = 1 << 20;
  std::vector<messaging::NatsMsgPtr> spent_;
  size_t spent_bytes_ = 0;
};

natsMsg* Relay::Impl::Keep(natsMsg* msg) {
  spent_.emplace_back(msg);
  spent_bytes_ += static_cast<size_t>(natsMsg_GetDataLength(msg));
  return msg;
}

std::vector<std::optional<absl::Status>> Relay::Impl::AwaitReplies(uint64_t batch, size_t publishes,
                                                                   size_t* unattributed) {
  std::vector<std::optional<absl::Status>> replies(publishes);
  size_t answered = 0;
  // nats.c hands a "no responders" reply (the subject no stream takes) over as a status, without
  // the message, so which publish it answered is not known: only how many there were.
  size_t no_responders = 0;
  const absl::Time deadline = absl::Now() + options_.publish_timeout;
  while (answered + no_responders < publishes) {
    const int64_t wait_ms = absl::ToInt64Milliseconds(
        absl::Ceil(std::max(deadline - absl::Now(), absl::ZeroDuration()), absl::Milliseconds(1)));
    if (wait_ms <= 0) break;
    natsMsg* raw = nullptr;
    const natsStatus s = natsSubscription_NextMsg(&raw, replies_.get(), wait_ms);
    if (s == NATS_NO_RESPONDERS) {
      ++no_responders;
      continue;
    }
    if (s == NATS_SLOW_CONSUMER) continue;  // some replies were dropped: theirs time out
    if (s != NATS_OK) break;                // the timeout, or the connection closed
    Keep(raw);
    // <prefix>.<batch>.<publish>; a reply to an earlier wave (one that came after its wave timed
    // out) is dropped: its rows are published again, and JetStream drops the copy by Nats-Msg-Id.
    absl::string_view rest = natsMsg_GetSubject(raw);
    uint64_t reply_batch = 0;
    size_t index = 0;
    if (!absl::ConsumePrefix(&rest, reply_prefix_) || !absl::ConsumePrefix(&rest, ".")) continue;
    const size_t dot = rest.find('.');
    if (dot == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, dot), &reply_batch) ||
        !absl::SimpleAtoi(rest.substr(dot + 1), &index) || reply_batch != batch ||
        index >= publishes || replies[index].has_value()) {
      continue;
    }
    replies[index] = messaging::PubAckStatus(raw);
    ++answered;
  }
  // Every publish without a reply got "no responders" when their counts agree; otherwise some
  // also went unanswered, and each of them is left unanswered (all of them count a failed
  // attempt) with the count for its error.
  *unattributed = 0;
  if (no_responders > 0 && answered + no_responders == publishes) {
    for (std::optional<absl::Status>& reply : replies) {
      if (!reply.has_value()) {
        reply = absl::UnavailableError("no stream takes the subject (no responders)");
      }
    }
  } else {
    *unattributed = no_responders;
  }
  return replies;
}

absl::Status Relay::Impl::EnsureConnections() {
  if (!db_.has_value() || !db_->Connected()) {
    DropDatabase();
    EDA_ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(options_.pg_dsn));
    // The relay only writes published_at marks. Losing one in a crash means publishing the row
    // again (de-duplicated downstream), so they need not wait for the WAL flush.
    EDA_RETURN_IF_ERROR(conn.Exec("SET synchronous_commit = off").status());
    // The scan for unpublished rows must be a plain index scan: it marks the index entries of
    // rows published since (dead to the partial index) as dead, so the next scan skips them
    // without visiting the heap. A bitmap scan marks nothing and revisits every published row
    // until VACUUM comes, which made each scan cost milliseconds under load.
    EDA_RETURN_IF_ERROR(conn.Exec("SET enable_bitmapscan = off").status());
    db_.emplace(std::move(conn));
  }
  bool need_listener;
  {
    absl::MutexLock lock(&listener_mu_);
    need_listener = listener_ == nullptr;
  }
  if (need_listener) {
    EDA_ASSIGN_OR_RETURN(std::unique_ptr<pg::Listener> listener,
                         pg::Listener::Create(options_.pg_dsn, {kOutboxChannel}));
    absl::MutexLock lock(&listener_mu_);
    listener_ = std::move(listener);
  }
  if (nats_ == nullptr) {
    messaging::ConnectOptions nats = options_.nats;
    if (nats.name.empty()) nats.name = "outbox-relay";
    EDA_ASSIGN_OR_RETURN(std::unique_ptr<messaging::Connection> conn,
                         messaging::Connection::Connect(nats));
    // The replies come to a subscription of the relay's own (nats.c resubscribes it after a
    // reconnect); their subjects name the batch, so the link is never torn down to get rid of
    // late replies.
    reply_prefix_ =
        absl::StrCat(nats.inbox_prefix.empty() ? "_INBOX" : nats.inbox_prefix, ".", NewUuid());
    natsSubscription* sub = nullptr;
    EDA_RETURN_IF_ERROR(messaging::FromNats(
        natsConnection_SubscribeSync(&sub, conn->nc(), absl::StrCat(reply_prefix_, ".>").c_str()),
        "subscribe to publish replies"));
    replies_.reset(sub);
    nats_ = std::move(conn);
  }
  if (!leader && absl::Now() >= no_lead_until_ && nats_->Connected()) {
    EDA_ASSIGN_OR_RETURN(pg::Result r,
                         db_->Exec("SELECT pg_try_advisory_lock($1)", {kRelayLockKey}));
    leader = r.Bool(0, 0);
    leader_gauge_.Set(leader ? 1 : 0);
    if (leader) {
      LOG_INFO() << "outbox relay is the leader";
      RelayWaker::Register(options_.pg_dsn, this);
    }
  }
  return absl::OkStatus();
}

void Relay::Impl::DropDatabase() {
  if (leader) RelayWaker::Unregister(options_.pg_dsn, this);
  db_.reset();
  leader = false;
  leader_gauge_.Set(0);
}

// The relay's statements are prepared once, and after their first few runs PostgreSQL keeps a
// generic plan for them (planning each batch afresh would cost as much as running it).
// Each statement is written so that its generic plan is the right one: here a generic plan cannot
// tell that the array is small, so the batch's seq range bounds the index scan; the prune
// statements below order by their cutoff column so that their index is used whatever the cutoff.
constexpr char kMarkSql[] =
    "UPDATE outbox SET published_at = now() "
    "WHERE seq BETWEEN $1 AND $2 AND seq = ANY($3::bigint[])";

std::vector<pg::Param> MarkParams(const std::vector<int64_t>& seqs) {
  const auto [lo, hi] = std::minmax_element(seqs.begin(), seqs.end());
  return {*lo, *hi, absl::StrCat("{", absl::StrJoin(seqs, ","), "}")};
}

// Rows of an aggregate with a row in outbox_dead wait behind it.
// A batch is bounded in rows ($1) and in bytes ($2; its first row always goes, whatever its size).
constexpr char kScanSql[] =
    "SELECT seq, id, subject, data, aggregate_id, aggregate_seq, txn FROM ("
    "SELECT seq, id, subject, data, aggregate_id, aggregate_seq, xmin::text AS txn, "
    "sum(octet_length(data)) OVER (ORDER BY seq) - octet_length(data) AS before "
    "FROM outbox o WHERE published_at IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM outbox_dead d WHERE d.aggregate_id = o.aggregate_id) "
    "ORDER BY seq LIMIT $1) batch WHERE before < $2 ORDER BY seq";

absl::StatusOr<std::vector<Row>> Relay::Impl::Scan() {
  EDA_ASSIGN_OR_RETURN(pg::Result r, db_->Exec(kScanSql, {options_.batch, options_.batch_bytes}));
  return Rows(r);
}

absl::StatusOr<std::vector<Row>> Relay::Impl::Rows(const pg::Result& r) {
  scans_total_.Increment();
  if (r.rows() > 0) batch_rows_.Observe(r.rows());
  std::vector<Row> rows;
  rows.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    EDA_ASSIGN_OR_RETURN(int64_t seq, r.Int(i, 0));
    EDA_ASSIGN_OR_RETURN(std::string data, r.Bytes(i, 3));
    rows.push_back(Row{seq, std::string(r.Text(i, 1)), std::string(r.Text(i, 2)), std::move(data),
                       std::string(r.Text(i, 4)), std::string(r.Text(i, 5)),
                       std::string(r.Text(i, 6))});
  }
  return rows;
}

BatchResult Relay::Impl::PublishBatch(const std::vector<Row>& rows) {
  BatchResult result;
  // Wave k holds the k-th row of each aggregate (rows about no aggregate are all in wave 0).
  std::map<absl::string_view, size_t> seen;
  std::vector<std::vector<const Row*>> waves(1);
  for (const Row& row : rows) {
    const size_t wave = row.aggregate_id.empty() ? 0 : seen[row.aggregate_id]++;
    if (wave >= waves.size()) waves.resize(wave + 1);
    waves[wave].push_back(&row);
  }
  std::set<absl::string_view> held;  // aggregates with a failed row in this batch
  for (const std::vector<const Row*>& wave : waves) {
    std::vector<const Row*> send;
    for (const Row* row : wave) {
      if (!row->aggregate_id.empty() && held.count(row->aggregate_id) > 0) {
        ++result.postponed;
      } else {
        send.push_back(row);
      }
    }
    const std::vector<absl::Status> status = PublishWave(send);
    for (size_t i = 0; i < send.size(); ++i) {
      if (status[i].ok()) {
        result.acked.push_back(send[i]->seq);
        continue;
      }
      if (!send[i]->aggregate_id.empty()) held.insert(send[i]->aggregate_id);
      if (absl::IsFailedPrecondition(status[i])) {
        ++result.postponed;
      } else {
        result.failed.emplace_back(send[i]->seq, status[i].ToString());
      }
    }
  }
  // Logged at most every 5 s (a row failing among others that flow fails on every batch).
  if ((!result.failed.empty() || result.postponed > 0) &&
      absl::Now() - last_failure_log_ >= absl::Seconds(5)) {
    last_failure_log_ = absl::Now();
    LOG_WARN() << "outbox publish failed; rows kept for retry" << KV("failed", result.failed.size())
               << KV("postponed", result.postponed) << KV("acked", result.acked.size())
               << KV("error", result.failed.empty() ? "not connected to NATS"
                                                    : result.failed.front().second);
  }
  return result;
}

std::vector<absl::Status> Relay::Impl::PublishWave(const std::vector<const Row*>& rows) {
  std::vector<absl::Status> out(rows.size());
  if (rows.empty()) return out;
  if (!nats_->Connected()) {
    // Publishing now would only fill nats.c's reconnect buffer; the rows wait for the link.
    out.assign(rows.size(), absl::FailedPreconditionError("not connected to NATS"));
    return out;
  }
  // Each publish carries a reply subject naming this wave and the publish, so a reply that
  // arrives after its wave timed out is recognised and dropped (its rows are published again,
  // and JetStream drops the copy by Nats-Msg-Id).
  const uint64_t batch = ++batch_number_;
  const std::string batch_prefix = absl::StrCat(reply_prefix_, ".", batch, ".");
  std::vector<size_t> publish_of_row(rows.size(), SIZE_MAX);
  std::map<absl::string_view, size_t> publish_of;  // message id -> its publish in this wave
  size_t publishes = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = *rows[i];
    // A copy of a message already out (written twice) is marked by that publish's ack.
    if (auto it = publish_of.find(row.id); it != publish_of.end()) {
      publish_of_row[i] = it->second;
      continue;
    }
    const std::string reply = absl::StrCat(batch_prefix, publishes);
    natsMsg* raw = nullptr;
    natsMsg_Create(&raw, row.subject.c_str(), reply.c_str(), row.data.data(),
                   static_cast<int>(row.data.size()));
    natsMsg* msg = Keep(raw);
    natsMsgHeader_Set(msg, "Nats-Msg-Id", row.id.c_str());
    if (!row.aggregate_id.empty()) {
      natsMsgHeader_Set(msg, messaging::kAggregateIdHeader, row.aggregate_id.c_str());
      natsMsgHeader_Set(msg, messaging::kAggregateSeqHeader, row.aggregate_seq.c_str());
    }
    if (natsStatus s = natsConnection_PublishMsg(nats_->nc(), msg); s != NATS_OK) {
      // Not sent: the link went down (the row waits), or the row itself is refused here (e.g.
      // larger than the server's max_payload: an attempt).
      out[i] = nats_->Connected() ? messaging::FromNats(s, "publish")
                                  : absl::FailedPreconditionError("not connected to NATS");
      continue;
    }
    publish_of.emplace(row.id, publishes);
    publish_of_row[i] = publishes++;
  }

  size_t no_responders = 0;
  const std::vector<std::optional<absl::Status>> replies =
      AwaitReplies(batch, publishes, &no_responders);
  if (spent_.size() >= kSpentMessages || spent_bytes_ >= kSpentBytes) {
    spent_.clear();
    spent_bytes_ = 0;
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t p = publish_of_row[i];
    if (p == SIZE_MAX) continue;  // not sent: `out` says why
    out[i] =
        replies[p].has_value()
            ? *replies[p]
            : absl::DeadlineExceededError(absl::StrCat(
                  "no reply to the publish on ", rows[i]->subject, " within ",
                  absl::FormatDuration(options_.publish_timeout),
                  no_responders == 0 ? ""
                                     : absl::StrCat(" (", no_responders,
                                                    " publishes of its wave got no responders)")));
  }
  return out;
}

bool Relay::Impl::JetStreamAnswers() {
  jsAccountInfo* info = nullptr;
  jsErrCode jerr = jsErrCode(0);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 1000;
  const natsStatus s = js_GetAccountInfo(&info, nats_->js(), &jo, &jerr);
  jsAccountInfo_Destroy(info);
  return s == NATS_OK;
}

absl::Status Relay::Impl::RecordFailures(
    const std::vector<std::pair<int64_t, std::string>>& failed) {
  std::vector<std::string> seqs, errors;
  for (const auto& [seq, why] : failed) {
    seqs.push_back(std::to_string(seq));
    errors.push_back(why);
  }
  std::vector<pg::Result> results;
  EDA_RETURN_IF_ERROR(db_->ExecPipeline(
      {{"UPDATE outbox SET attempts = attempts + 1, last_error = x.error, "
        "first_failed_at = COALESCE(first_failed_at, now()) "
        "FROM unnest($1::bigint[], $2::text[]) AS x (seq, error) WHERE outbox.seq = x.seq",
        {pg::TextArray(seqs), pg::TextArray(errors)}},
       {"WITH moved AS (DELETE FROM outbox WHERE seq = ANY($1::bigint[]) AND attempts >= $2 "
        "AND first_failed_at <= now() - $3::interval "
        "RETURNING seq, id, name, subject, data, sent_at, aggregate_id, aggregate_seq, attempts, "
        "last_error) "
        "INSERT INTO outbox_dead (seq, id, name, subject, data, sent_at, aggregate_id, "
        "aggregate_seq, attempts, last_error) SELECT * FROM moved "
        "RETURNING seq, id, name, subject, aggregate_id, last_error",
        {pg::TextArray(seqs), options_.max_attempts,
         absl::StrCat(absl::ToInt64Milliseconds(options_.isolate_after), " milliseconds")}}},
      &results));
  const pg::Result& moved = results.back();
  for (int i = 0; i < moved.rows(); ++i) {
    LOG_ERROR() << "outbox row moved to outbox_dead after failed publishes"
                << KV("seq", moved.Text(i, 0)) << KV("id", moved.Text(i, 1))
                << KV("name", moved.Text(i, 2)) << KV("subject", moved.Text(i, 3))
                << KV("aggregate_id", moved.Text(i, 4)) << KV("attempts", options_.max_attempts)
                << KV("error", moved.Text(i, 5));
  }
  dead_total_.Increment(moved.rows());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Row>> Relay::Impl::MarkAndScan(const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return Scan();
  std::vector<pg::Result> results;
  EDA_RETURN_IF_ERROR(db_->ExecPipeline(
      {{kMarkSql, MarkParams(seqs)}, {kScanSql, {options_.batch, options_.batch_bytes}}},
      &results));
  return Rows(results.back());
}

absl::Status Relay::Impl::Mark(const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return absl::OkStatus();
  // One statement, one round trip (the session does not wait for the WAL flush, see above).
  return db_->Exec(kMarkSql, MarkParams(seqs)).status();
}

void Relay::Impl::MaybePrune() {
  const absl::Time now = absl::Now();
  if (now - last_prune_ < (prune_more_ ? kPruneCatchUp : options_.prune_every)) return;
  last_prune_ = now;
  const std::string outbox_cutoff =
      absl::FormatTime(absl::RFC3339_full, now - options_.retention, absl::UTCTimeZone());
  const std::string inbox_cutoff =
      absl::FormatTime(absl::RFC3339_full, now - options_.inbox_retention, absl::UTCTimeZone());
  auto outbox = db_->Exec(
      "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE published_at < "
      "$1::timestamptz "
      "ORDER BY published_at LIMIT $2)",
      {outbox_cutoff, options_.prune_chunk});
  auto inbox = db_->Exec(
      "DELETE FROM inbox WHERE ctid IN (SELECT ctid FROM inbox WHERE received_at < $1::timestamptz "
      "ORDER BY received_at LIMIT $2)",
      {inbox_cutoff, options_.prune_chunk});
  // Attempts of messages that were dead-lettered (handled ones are removed at once).
  (void)db_->Exec("DELETE FROM inbox_attempts WHERE updated_at < $1::timestamptz", {inbox_cutoff});
  prune_more_ = false;
  if (!outbox.ok() || !inbox.ok()) {
    LOG_WARN() << "outbox/inbox pruning failed"
               << KV("error", !outbox.ok() ? outbox.status() : inbox.status());
    return;
  }
  // A full chunk: more rows are due, and go in the next chunk shortly.
  prune_more_ =
      outbox->affected() >= options_.prune_chunk || inbox->affected() >= options_.prune_chunk;
  if (outbox->affected() + inbox->affected() > 0) {
    LOG_DEBUG() << "pruned" << KV("outbox_rows", outbox->affected())
                << KV("inbox_rows", inbox->affected());
  }
}

void Relay::Impl::UpdateLag() {
  if (absl::Now() - last_lag_ < absl::Seconds(1)) return;
  last_lag_ = absl::Now();
  auto r = db_->Exec(
      "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(sent_at)), 0) FROM outbox "
      "WHERE published_at IS NULL");
  if (!r.ok()) return;
  pending_.Set(static_cast<double>(r->Int(0, 0).value_or(0)));
  oldest_.Set(r->Double(0, 1).value_or(0));
}

bool Relay::Impl::MaybeGiveUpLead(absl::Time failing_since) {
  failing_since_ = std::min(failing_since_, failing_since);
  if (absl::Now() - failing_since_ < options_.give_up_after) return false;
  LOG_WARN() << "outbox relay gives up the lead: nothing published"
             << KV("for", absl::Now() - failing_since_) << KV("nats_connected", nats_->Connected());
  (void)db_->Exec("SELECT pg_advisory_unlock($1)", {kRelayLockKey});
  RelayWaker::Unregister(options_.pg_dsn, this);
  leader = false;
  leader_gauge_.Set(0);
  failing_since_ = absl::InfiniteFuture();
  no_lead_until_ = absl::Now() + options_.give_up_after;
  return true;
}

void Relay::Impl::Wait(absl::Duration d) {
  pg::Listener* listener;
  {
    absl::MutexLock lock(&listener_mu_);
    if (poked_) {
      poked_ = false;
      return;
    }
    listener = listener_.get();
    waiting_ = listener != nullptr;
  }
  if (listener == nullptr) {
    absl::SleepFor(std::min(d, absl::Milliseconds(100)));
    return;
  }
  auto got = listener->Wait(d);
  if (!got.ok()) {
    // Lost the link: notifications may have been missed, so scan now; the next Wait reconnects.
    LOG_WARN() << "outbox listener lost its connection" << KV("error", got.status());
  }
  absl::MutexLock lock(&listener_mu_);
  waiting_ = false;
  poked_ = false;
}

void Relay::Impl::Run() {
  pthread_setname_np(pthread_self(), "outbox-relay");
  if (options_.batch_scheduling) {
    const sched_param param{};  // SCHED_BATCH has no priority levels
    if (sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
      LOG_WARN() << "outbox relay: cannot run under SCHED_BATCH"
                 << KV("error", std::strerror(errno));
    }
  }
  absl::Duration backoff = options_.initial_backoff;
  auto fail = [&](const absl::Status& s, absl::string_view what) {
    errors_total_.Increment();
    LOG_WARN() << "outbox relay: " << what << KV("error", s) << KV("retry_in", backoff);
    const absl::Time until = absl::Now() + backoff;
    while (!stopping_ && absl::Now() < until) absl::SleepFor(absl::Milliseconds(10));
    backoff = std::min(backoff * 2, options_.max_backoff);
  };
  // Rows fetched together with the previous batch's marks, if any.
  std::optional<std::vector<Row>> prefetched;
  while (!stopping_) {
    if (absl::Status s = EnsureConnections(); !s.ok()) {
      DropDatabase();
      prefetched.reset();
      fail(s, "cannot connect");
      continue;
    }
    if (!leader) {  // stand by; the leader's session ending frees the lock
      Wait(options_.poll_interval);
      continue;
    }
    if (!nats_->Connected()) {
      // Nothing can go out: no scans (and no counting of the backlog) until the link is back.
      prefetched.reset();
      if (!MaybeGiveUpLead(absl::Now())) Wait(options_.poll_interval);
      continue;
    }
    absl::StatusOr<std::vector<Row>> rows =
        prefetched.has_value() ? std::move(*prefetched) : Scan();
    prefetched.reset();
    if (!rows.ok()) {
      DropDatabase();
      fail(rows.status(), "scan failed");
      continue;
    }
    if (rows->empty()) {
      backoff = options_.initial_backoff;
      failing_since_ = absl::InfiniteFuture();
      pending_.Set(0);
      oldest_.Set(0);
      MaybePrune();
      Wait(prune_more_ ? kPruneCatchUp : options_.poll_interval);
      continue;
    }
    const absl::Time batch_start = absl::Now();
    BatchResult batch = PublishBatch(*rows);
    const std::vector<int64_t>& acked = batch.acked;
    const int failed = static_cast<int>(batch.failed.size()) + batch.postponed;
    published += static_cast<int64_t>(acked.size());
    published_total_.Increment(static_cast<double>(acked.size()));
    // Whether the link to JetStream works: then failures are the rows' own (they count their
    // attempts); else this relay cannot publish, and after a while leaves the lead to another.
    const bool link_works =
        !acked.empty() || failed == 0 || (nats_->Connected() && JetStreamAnswers());
    if (link_works) {
      failing_since_ = absl::InfiniteFuture();
    } else {
      if (MaybeGiveUpLead(batch_start)) continue;
    }
    if (!batch.failed.empty() && link_works) {
      if (absl::Status s = RecordFailures(batch.failed); !s.ok()) {
        DropDatabase();
        fail(s, "recording failed publishes failed");
        continue;
      }
    }
    if (failed == 0) {
      // Rows committed meanwhile wake the relay (a poke or a NOTIFY, already waiting if they came
      // during the publish). A batch that was not full leaves no rows behind, so its marks wait
      // for that wake-up and go with the scan for the new rows, in one round trip: one per batch
      // instead of a mark-and-scan that finds nothing and then a scan after the wake-up.
      if (rows->size() < static_cast<size_t>(options_.batch) && SeveralCommits(*rows)) {
        // Commits came faster than one per round: let more gather, for a larger next batch.
        absl::SleepFor(options_.linger);
      }
      if (rows->size() < static_cast<size_t>(options_.batch)) Wait(options_.mark_delay);
      absl::StatusOr<std::vector<Row>> next = MarkAndScan(acked);
      if (!next.ok()) {
        DropDatabase();
        fail(next.status(), "marking published rows failed (they will be published again)");
        continue;
      }
      prefetched = *std::move(next);
    } else if (absl::Status s = Mark(acked); !s.ok()) {
      DropDatabase();
      fail(s, "marking published rows failed (they will be published again)");
      continue;
    }
    UpdateLag();
    MaybePrune();  // also under a backlog that never leaves the relay idle
    if (failed > 0 && !acked.empty()) {
      // Others went out: no pause for the rest (the failed rows count their attempts, and are
      // moved out of the way in the end); the next batch goes at once.
      errors_total_.Increment(failed);
      backoff = options_.initial_backoff;
    } else if (failed > 0 && link_works) {
      // Only rows failing on their own are left: try them again with the next rows written (a
      // wake-up) or after the poll interval, never making new rows wait for a back-off.
      errors_total_.Increment(failed);
      backoff = options_.initial_backoff;
      Wait(options_.poll_interval);
    } else if (failed > 0) {
      errors_total_.Increment(failed - 1);  // fail() counts one
      fail(absl::UnavailableError(absl::StrCat(failed, " messages not acknowledged")),
           "publish failed");
    } else {
      backoff = options_.initial_backoff;
    }
  }
  if (replies_ != nullptr) natsSubscription_Unsubscribe(replies_.get());  // no more replies
  // Release the lock promptly so a standby takes over without waiting for a timeout.
  RelayWaker::Unregister(options_.pg_dsn, this);
  if (db_.has_value() && leader) (void)db_->Exec("SELECT pg_advisory_unlock($1)", {kRelayLockKey});
}

namespace {

std::vector<std::string> SeqTexts(const std::vector<int64_t>& seqs) {
  std::vector<std::string> out;
  for (int64_t seq : seqs) out.push_back(std::to_string(seq));
  return out;
}

}  // namespace

absl::StatusOr<int64_t> ResendDeadRows(pg::Connection& conn, const std::vector<int64_t>& seqs) {
  std::vector<pg::Result> results;
  EDA_RETURN_IF_ERROR(conn.ExecPipeline(
      {{"WITH moved AS (DELETE FROM outbox_dead WHERE $1::bigint[] = '{}' OR seq = ANY($1) "
        "RETURNING seq, id, name, subject, data, sent_at, aggregate_id, aggregate_seq) "
        "INSERT INTO outbox (seq, id, name, subject, data, sent_at, aggregate_id, aggregate_seq) "
        "SELECT * FROM moved",
        {pg::TextArray(SeqTexts(seqs))}},
       {absl::StrCat("SELECT pg_notify('", kOutboxChannel, "', '')"), {}}},
      &results));
  return results.front().affected();
}

absl::StatusOr<int64_t> DiscardDeadRows(pg::Connection& conn, const std::vector<int64_t>& seqs) {
  std::vector<pg::Result> results;
  EDA_RETURN_IF_ERROR(
      conn.ExecPipeline({{"DELETE FROM outbox_dead WHERE $1::bigint[] = '{}' OR seq = ANY($1)",
                          {pg::TextArray(SeqTexts(seqs))}},
                         {absl::StrCat("SELECT pg_notify('", kOutboxChannel, "', '')"), {}}},
                        &results));
  return results.front().affected();
}

std::unique_ptr<Relay> Relay::Start(RelayOptions options, obs::MetricsRegistry& metrics) {
  auto impl = std::make_unique<Impl>(std::move(options), metrics);
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<Relay>(new Relay(std::move(impl)));
}

Relay::Relay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Relay::~Relay() { Stop(); }

void Relay::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->Stop();
  impl_->thread.join();
}

void Relay::Poke() { impl_->Poke(); }
bool Relay::leader() const { return impl_->leader.load(); }
int64_t Relay::published() const { return impl_->published.load(); }

}  // namespace eda::outbox
