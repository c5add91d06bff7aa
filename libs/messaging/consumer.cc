#include "libs/messaging/consumer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/observability/logging.h"
#include "libs/observability/metrics.h"

namespace eda::messaging {

bool Outcome::IsInfrastructure(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

Outcome Outcome::ForError(absl::Status s) {
  if (IsInfrastructure(s)) return Wait(std::move(s));
  switch (s.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kOutOfRange:  // e.g. a message that came before its predecessor
      return Retry(std::move(s));
    default:
      return DeadLetter(std::move(s));
  }
}

namespace {

// natsSubscription_Fetch with a byte bound, in its two steps: take what the consumer has
// without waiting, and only when it has nothing, wait up to `wait_ms` for the first messages.
// When the next message alone exceeds the bound (the server ends the request with 409 "Message
// Size Exceeds MaxBytes"), it is fetched alone.
natsStatus Fetch(natsMsgList* list, natsSubscription* sub, int batch, int64_t max_bytes,
                 int64_t wait_ms) {
  const auto request = [&](int n, int64_t bytes, bool no_wait) {
    jsFetchRequest req;
    jsFetchRequest_Init(&req);
    req.Batch = n;
    req.MaxBytes = bytes;
    req.NoWait = no_wait;
    req.Expires = wait_ms * 1'000'000;
    return natsSubscription_FetchRequest(list, sub, &req);
  };
  natsStatus s = request(batch, max_bytes, /*no_wait=*/batch > 1);
  if (s == NATS_NOT_FOUND && batch > 1) s = request(batch, max_bytes, /*no_wait=*/false);
  if (s == NATS_ERR && max_bytes > 0 && list->Count == 0 &&
      absl::StrContains(nats_GetLastError(nullptr), "MaxBytes")) {
    s = request(1, 0, /*no_wait=*/true);
  }
  return s;
}

}  // namespace

struct PullConsumer::Instruments {
  Instruments(obs::MetricsRegistry& m, std::string consumer)
      : durable(std::move(consumer)),
        received(m.Counter("messaging_consumer_received_total", "Messages fetched.")),
        handled(m.Counter("messaging_consumer_handled_total", "Messages handled and acked.")),
        failed(m.Counter("messaging_consumer_failed_total",
                         "Handler failures (message naked for redelivery or dead-lettered).")),
        waits(m.Counter("messaging_consumer_waits_total",
                        "Messages naked because the infrastructure failed (not counted as "
                        "attempts).")),
        paused(m.Gauge("messaging_consumer_paused",
                       "1 while the consumer does not fetch because its service is not ready.")),
        duplicates(m.Counter("messaging_consumer_duplicates_total",
                             "Messages acked without effects because they were already handled.")),
        dead_lettered(m.Counter("messaging_consumer_dead_lettered_total",
                                "Messages copied to the dead-letter stream and terminated.")),
        dead_letter_failures(
            m.Counter("messaging_consumer_dead_letter_failures_total",
                      "Dead-letter publishes that failed (the message was naked to come back).")),
        latency(m.Histogram("messaging_consumer_handler_seconds",
                            "Handler time per message (batch time divided by its size).")),
        fetched(m.Histogram("messaging_consumer_fetch_messages",
                            "Messages per fetch that returned some (bounded in count and bytes).")
                    .Add({{"consumer", durable}},
                         prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 50, 100, 500})) {}
  prometheus::Labels L(const std::string& name) const {
    return {{"consumer", durable}, {"name", name}};
  }
  std::string durable;
  prometheus::Family<prometheus::Counter>& received;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Counter>& failed;
  prometheus::Family<prometheus::Counter>& waits;
  prometheus::Family<prometheus::Gauge>& paused;
  prometheus::Family<prometheus::Counter>& duplicates;
  prometheus::Family<prometheus::Counter>& dead_lettered;
  prometheus::Family<prometheus::Counter>& dead_letter_failures;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Histogram& fetched;
};

PullConsumer::PullConsumer(Connection& conn, PullConsumerOptions options, BatchHandler handler,
                           obs::MetricsRegistry& metrics)
    : conn_(conn),
      options_(std::move(options)),
      handler_(std::move(handler)),
      instruments_(std::make_unique<Instruments>(metrics, options_.consumer.durable)) {}

absl::StatusOr<std::unique_ptr<PullConsumer>> PullConsumer::Start(Connection& conn,
                                                                  PullConsumerOptions options,
                                                                  BatchHandler handler,
                                                                  obs::MetricsRegistry& metrics) {
  std::unique_ptr<PullConsumer> c(
      new PullConsumer(conn, std::move(options), std::move(handler), metrics));
  absl::Status bound = c->Bind();
  if (bound.ok()) return c;
  if (!absl::IsNotFound(bound)) return bound;
  // The stream's owner has not created it yet (a context deployed later): bind once it exists.
  const ConsumerSpec& spec = c->options_.consumer;
  LOG_WARN() << "stream does not exist yet; the consumer starts when it does"
             << KV("durable", spec.durable) << KV("stream", spec.stream) << KV("error", bound);
  c->binder_ = std::thread([raw = c.get()] {
    // Every 2 s, in steps short enough for Stop to end it at once.
    for (int tick = 1; !raw->stopping_.load(); ++tick) {
      absl::SleepFor(absl::Milliseconds(100));
      if (tick % 20 != 0) continue;
      absl::Status s = raw->Bind();
      if (s.ok()) return;
      if (!absl::IsNotFound(s)) {
        LOG_WARN() << "consumer not started" << KV("durable", raw->options_.consumer.durable)
                   << KV("error", s);
      }
    }
  });
  return c;
}

absl::Status PullConsumer::Bind() {
  const ConsumerSpec& spec = options_.consumer;
  EDA_RETURN_IF_ERROR(EnsureConsumer(conn_.js(), spec));
  std::vector<NatsSubPtr> subs;
  for (int i = 0; i < options_.workers; ++i) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = spec.stream.c_str();
    so.Consumer = spec.durable.c_str();
    natsSubscription* sub = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_PullSubscribe(&sub, conn_.js(), spec.filter_subject.c_str(),
                                    spec.durable.c_str(), nullptr, &so, &jerr);
    EDA_RETURN_IF_ERROR(FromNats(s, absl::StrCat("bind to ", spec.durable), jerr));
    subs.emplace_back(sub);
  }
  subs_ = std::move(subs);
  {
    absl::MutexLock lock(&mu_);
    in_flight_.resize(options_.workers);
  }
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this, i] { Work(subs_[i].get()); });
  }
  keep_alive_ = std::thread([this] { KeepAlive(); });
  LOG_INFO() << "consumer started" << KV("durable", spec.durable) << KV("stream", spec.stream)
             << KV("filter", spec.filter_subject) << KV("workers", options_.workers);
  return absl::OkStatus();
}

PullConsumer::~PullConsumer() { Stop(); }

void PullConsumer::Stop() {
  if (stopping_.exchange(true)) return;
  if (binder_.joinable()) binder_.join();  // it binds no more: the workers below are all there are
  // Workers settle the batch in hand first; their messages stay extended meanwhile.
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  keep_alive_stop_ = true;
  if (keep_alive_.joinable()) keep_alive_.join();
  // Unsubscribing a bound durable leaves the consumer (and its position) on the server.
  for (NatsSubPtr& sub : subs_) natsSubscription_Unsubscribe(sub.get());
  subs_.clear();
  LOG_INFO() << "consumer stopped" << KV("durable", options_.consumer.durable);
}

absl::Duration PullConsumer::Backoff(absl::Duration base, uint64_t n, absl::Duration max) {
  absl::Duration d = base;
  for (uint64_t i = 1; i < n && d < max; ++i) d *= 2;
  return std::min(d, max);
}

void PullConsumer::Work(natsSubscription* sub) {
  const int worker =
      static_cast<int>(std::find_if(subs_.begin(), subs_.end(),
                                    [sub](const NatsSubPtr& p) { return p.get() == sub; }) -
                       subs_.begin());
  const int64_t wait_ms = absl::ToInt64Milliseconds(options_.fetch_wait);
  prometheus::Gauge& paused = instruments_->paused.Add({{"consumer", options_.consumer.durable}});
  absl::Time last_error_log = absl::InfinitePast();
  while (!stopping_.load()) {
    // No pull requests while the connection is down: nats.c would buffer each one and send them
    // all at once on reconnect, and the server would answer every one that has not expired. Those
    // requests are useless, and with nats.c 3.4.1 their burst of late answers corrupts the heap
    // (the outbox pipeline's repeated-outage test covers it).
    if (!conn_.Connected()) {
      absl::SleepFor(absl::Milliseconds(50));
      continue;
    }
    // Nor while the service is not ready (its database does not answer): every message fetched
    // now would only be naked again.
    if (options_.ready && !options_.ready()) {
      paused.Set(1);
      absl::SleepFor(options_.not_ready_poll);
      continue;
    }
    paused.Set(0);
    natsMsgList list = {nullptr, 0};
    natsStatus s = Fetch(&list, sub, options_.batch, options_.fetch_bytes, wait_ms);
    if (s != NATS_OK && s != NATS_TIMEOUT && absl::Now() - last_error_log > absl::Seconds(10)) {
      LOG_WARN() << "fetch failed" << KV("durable", options_.consumer.durable)
                 << KV("error", FromNats(s, "fetch"));
      last_error_log = absl::Now();
    }
    if (list.Count == 0) {  // messages handed back with an error are handled like any others
      natsMsgList_Destroy(&list);
      if (s != NATS_OK && s != NATS_TIMEOUT) absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    instruments_->fetched.Observe(list.Count);
    std::vector<Delivery> deliveries;
    std::vector<natsMsg*> msgs;
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* msg = list.Msgs[i];
      jsMsgMetaData* meta = nullptr;
      uint64_t stream_seq = 0, delivered = 1;
      absl::Time stored_at;
      if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        stream_seq = meta->Sequence.Stream;
        delivered = meta->NumDelivered;
        stored_at = absl::FromUnixNanos(meta->Timestamp);
        jsMsgMetaData_Destroy(meta);
      }
      absl::StatusOr<Message> decoded = DecodeEnvelope(
          natsMsg_GetSubject(msg),
          absl::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
      if (!decoded.ok()) {
        instruments_->received.Add(instruments_->L("")).Increment();
        LOG_ERROR() << "undecodable message dead-lettered"
                    << KV("durable", options_.consumer.durable) << KV("stream_seq", stream_seq)
                    << KV("error", decoded.status());
        DeadLetter(msg, "", stream_seq, delivered, decoded.status());
        continue;
      }
      instruments_->received.Add(instruments_->L(decoded->name)).Increment();
      if (const std::string for_durable = Header(msg, kReplayForHeader);
          !for_durable.empty() && for_durable != options_.consumer.durable) {
        natsMsg_Ack(msg, nullptr);  // a replay for another durable of this subject
        instruments_->duplicates.Add(instruments_->L(decoded->name)).Increment();
        continue;
      }
      decoded->aggregate_id = Header(msg, kAggregateIdHeader);
      if (!absl::SimpleAtoi(Header(msg, kAggregateSeqHeader), &decoded->aggregate_seq)) {
        decoded->aggregate_seq = 0;
      }
      deliveries.push_back(Delivery{*std::move(decoded), stream_seq, delivered, stored_at});
      msgs.push_back(msg);
    }
    if (!deliveries.empty()) {
      {
        absl::MutexLock lock(&mu_);
        in_flight_[worker] = msgs;
      }
      const absl::Time start = absl::Now();
      std::vector<Outcome> outcomes = handler_(deliveries);
      const double per_message =
          absl::ToDoubleSeconds(absl::Now() - start) / static_cast<double>(deliveries.size());
      for (size_t i = 0; i < deliveries.size(); ++i) {
        {
          absl::MutexLock lock(&mu_);  // no in-progress for a message while it is settled
          in_flight_[worker][i] = nullptr;
        }
        const Outcome outcome =
            i < outcomes.size() ? outcomes[i]
                                : Outcome::Retry(absl::InternalError("handler gave no outcome"));
        instruments_->latency
            .Add(instruments_->L(deliveries[i].message.name),
                 obs::MetricsRegistry::LatencyBuckets())
            .Observe(per_message);
        Settle(msgs[i], deliveries[i], outcome);
      }
      absl::MutexLock lock(&mu_);  // extended until settled, then no longer
      in_flight_[worker].clear();
    }
    natsMsgList_Destroy(&list);
  }
}

void PullConsumer::Settle(natsMsg* msg, const Delivery& d, const Outcome& outcome) {
  const prometheus::Labels labels = instruments_->L(d.message.name);
  switch (outcome.kind) {
    case Outcome::kAck:
      natsMsg_Ack(msg, nullptr);
      (outcome.duplicate ? instruments_->duplicates : instruments_->handled)
          .Add(labels)
          .Increment();
      return;
    case Outcome::kRetry: {
      instruments_->failed.Add(labels).Increment();
      const uint64_t attempt = outcome.attempt > 0 ? outcome.attempt : d.delivered;
      if (options_.consumer.max_deliver > 0 &&
          attempt >= static_cast<uint64_t>(options_.consumer.max_deliver)) {
        LOG_ERROR() << "message failed on its last attempt; dead-lettered"
                    << KV("durable", options_.consumer.durable) << KV("id", d.message.id)
                    << KV("name", d.message.name) << KV("attempts", attempt)
                    << KV("deliveries", d.delivered) << KV("error", outcome.status);
        DeadLetter(msg, d.message.name, d.stream_seq, attempt, outcome.status);
      } else {
        const absl::Duration delay = Backoff(options_.retry_base, attempt, options_.retry_max);
        LOG_WARN() << "message failed; redelivery scheduled"
                   << KV("durable", options_.consumer.durable) << KV("id", d.message.id)
                   << KV("name", d.message.name) << KV("attempts", attempt) << KV("delay", delay)
                   << KV("error", outcome.status);
        natsMsg_NakWithDelay(msg, absl::ToInt64Milliseconds(delay), nullptr);
      }
      return;
    }
    case Outcome::kWait: {
      instruments_->waits.Add(labels).Increment();
      const absl::Duration delay = Backoff(options_.retry_base, d.delivered, options_.wait_max);
      LOG_WARN() << "infrastructure failed; message redelivered later"
                 << KV("durable", options_.consumer.durable) << KV("id", d.message.id)
                 << KV("name", d.message.name) << KV("delay", delay) << KV("error", outcome.status);
      natsMsg_NakWithDelay(msg, absl::ToInt64Milliseconds(delay), nullptr);
      return;
    }
    case Outcome::kDeadLetter:
      instruments_->failed.Add(labels).Increment();
      LOG_ERROR() << "message failed permanently; dead-lettered"
                  << KV("durable", options_.consumer.durable) << KV("id", d.message.id)
                  << KV("name", d.message.name) << KV("error", outcome.status);
      DeadLetter(msg, d.message.name, d.stream_seq, d.delivered, outcome.status);
      return;
  }
}

void PullConsumer::DeadLetter(natsMsg* msg, const std::string& name, uint64_t stream_seq,
                              uint64_t delivered, const absl::Status& why) {
  const ConsumerSpec& spec = options_.consumer;
  const std::string subject =
      absl::StrCat("mallbots.deadletter.", options_.service, ".", spec.durable);
  natsMsg* raw = nullptr;
  natsMsg_Create(&raw, subject.c_str(), nullptr, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  NatsMsgPtr dead(raw);
  CopyHeaders(msg, dead.get(), [](absl::string_view key) { return key != "Nats-Msg-Id"; });
  const std::string original_id = Header(msg, "Nats-Msg-Id");
  const std::string reason(why.ToString());
  natsMsgHeader_Set(dead.get(), "Mallbots-Dead-Reason", reason.c_str());
  natsMsgHeader_Set(dead.get(), "Mallbots-Dead-Consumer", spec.durable.c_str());
  natsMsgHeader_Set(dead.get(), "Mallbots-Dead-Stream", spec.stream.c_str());
  natsMsgHeader_Set(dead.get(), "Mallbots-Dead-Stream-Seq", std::to_string(stream_seq).c_str());
  natsMsgHeader_Set(dead.get(), "Mallbots-Dead-Subject", natsMsg_GetSubject(msg));
  natsMsgHeader_Set(dead.get(), "Mallbots-Dead-Deliveries", std::to_string(delivered).c_str());
  natsMsgHeader_Set(dead.get(), "Mallbots-Dead-Original-Msg-Id", original_id.c_str());
  // One dead letter per (consumer, stream sequence), even if this is retried.
  const std::string dead_id = absl::StrCat(spec.stream, ":", stream_seq, ":", spec.durable);
  natsMsgHeader_Set(dead.get(), "Nats-Msg-Id", dead_id.c_str());
  jsPubAck* ack = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_PublishMsg(&ack, conn_.js(), dead.get(), nullptr, &jerr);
  jsPubAck_Destroy(ack);
  if (s != NATS_OK) {
    LOG_ERROR() << "dead-letter publish failed; message naked instead"
                << KV("durable", spec.durable) << KV("stream_seq", stream_seq)
                << KV("error", FromNats(s, "dead letter", jerr));
    natsMsg_NakWithDelay(msg, absl::ToInt64Milliseconds(options_.retry_max), nullptr);
    instruments_->dead_letter_failures.Add(instruments_->L(name)).Increment();
    return;
  }
  natsMsg_Term(msg, nullptr);
  instruments_->dead_lettered.Add(instruments_->L(name)).Increment();
}

absl::Status ReplayDeadLetter(jsCtx* js, uint64_t seq, natsMsg* dead) {
  const std::string subject = Header(dead, "Mallbots-Dead-Subject");
  const std::string consumer = Header(dead, "Mallbots-Dead-Consumer");
  if (subject.empty() || consumer.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("dead letter ", seq, " names no subject or no consumer"));
  }
  natsMsg* raw = nullptr;
  natsMsg_Create(&raw, subject.c_str(), nullptr, natsMsg_GetData(dead),
                 natsMsg_GetDataLength(dead));
  NatsMsgPtr msg(raw);
  CopyHeaders(dead, msg.get(), [](absl::string_view key) {
    return !absl::StartsWith(key, "Mallbots-Dead-") && key != "Nats-Msg-Id" &&
           key != kReplayForHeader;
  });
  const std::string id =
      absl::StrCat(Header(dead, "Mallbots-Dead-Original-Msg-Id"), ":replay:", seq);
  natsMsgHeader_Set(msg.get(), "Nats-Msg-Id", id.c_str());
  natsMsgHeader_Set(msg.get(), kReplayForHeader, consumer.c_str());
  jsPubAck* ack = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_PublishMsg(&ack, js, msg.get(), nullptr, &jerr);
  jsPubAck_Destroy(ack);
  if (s != NATS_OK) {
    return FromNats(s, absl::StrCat("republishing dead letter ", seq, " on ", subject), jerr);
  }
  // Only once the copy is stored: a failure here leaves the entry for another try.
  s = js_DeleteMsg(js, DeadLetterStream().name.c_str(), seq, nullptr, &jerr);
  if (s != NATS_OK) {
    return FromNats(s, absl::StrCat("deleting dead letter ", seq, " after its replay"), jerr);
  }
  return absl::OkStatus();
}

void PullConsumer::KeepAlive() {
  const absl::Duration every = std::max(options_.consumer.ack_wait / 3, absl::Milliseconds(100));
  while (!keep_alive_stop_.load()) {
    // Sleep in small steps so Stop() is not delayed by a long ack wait.
    const absl::Time until = absl::Now() + every;
    while (!keep_alive_stop_.load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(50));
    absl::MutexLock lock(&mu_);
    for (const std::vector<natsMsg*>& batch : in_flight_) {
      for (natsMsg* msg : batch) {
        if (msg != nullptr) natsMsg_InProgress(msg, nullptr);
      }
    }
  }
}

}  // namespace eda::messaging
