#include "libs/saga/saga.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/observability/logging.h"
#include "libs/outbox/commands.h"

namespace eda::saga {
namespace {

constexpr char kColumns[] =
    "id, data, step, step_name, compensating, done, status, command_id, command_name, attempts, "
    "extract(epoch from step_started_at)::float8, extract(epoch from sent_at)::float8, "
    "extract(epoch from deadline)::float8, extract(epoch from step_due)::float8, last_error";

std::string MetadataValue(const messaging::Message& m, const char* key) {
  auto it = m.metadata.find(key);
  return it == m.metadata.end() ? "" : it->second;
}

std::optional<double> Epoch(std::optional<absl::Time> t) {
  if (!t.has_value()) return std::nullopt;
  return absl::ToDoubleSeconds(*t - absl::UnixEpoch());
}

std::optional<absl::Time> TimeAt(const pg::Result& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  absl::StatusOr<double> seconds = r.Double(row, col);
  if (!seconds.ok()) return std::nullopt;
  return absl::UnixEpoch() + absl::Seconds(*seconds);
}

}  // namespace

struct Engine::Instance {
  std::string id;
  std::string data;
  int step = -1;
  std::string step_name;
  bool compensating = false;
  bool done = false;
  std::string status = "running";
  std::string command_id;  // the command whose reply it waits for ("": none)
  std::string command_name;
  int attempts = 0;
  absl::Time step_started_at;
  std::optional<absl::Time> sent_at;
  std::optional<absl::Time> deadline;
  std::optional<absl::Time> step_due;
  std::string last_error;

  static absl::StatusOr<Instance> FromRow(const pg::Result& r, int row) {
    Instance s;
    s.id = std::string(r.Text(row, 0));
    EDA_ASSIGN_OR_RETURN(s.data, r.Bytes(row, 1));
    EDA_ASSIGN_OR_RETURN(int64_t step, r.Int(row, 2));
    s.step = static_cast<int>(step);
    s.step_name = std::string(r.Text(row, 3));
    s.compensating = r.Bool(row, 4);
    s.done = r.Bool(row, 5);
    s.status = std::string(r.Text(row, 6));
    s.command_id = std::string(r.Text(row, 7));
    s.command_name = std::string(r.Text(row, 8));
    EDA_ASSIGN_OR_RETURN(int64_t attempts, r.Int(row, 9));
    s.attempts = static_cast<int>(attempts);
    s.step_started_at = TimeAt(r, row, 10).value_or(absl::Now());
    s.sent_at = TimeAt(r, row, 11);
    s.deadline = TimeAt(r, row, 12);
    s.step_due = TimeAt(r, row, 13);
    s.last_error = std::string(r.Text(row, 14));
    return s;
  }
};

struct Engine::Metrics {
  Metrics(obs::MetricsRegistry& registry, const std::string& saga)
      : started(registry.Counter("sagas_started_total", "Sagas started.").Add({{"saga", saga}})),
        completed(registry.Counter("sagas_completed_total", "Sagas that ran every step.")
                      .Add({{"saga", saga}})),
        compensated(registry.Counter("sagas_compensated_total", "Sagas that finished compensating.")
                        .Add({{"saga", saga}})),
        failed(registry
                   .Counter("sagas_failed_total",
                            "Sagas whose step failed or timed out, so that they compensate.")
                   .Add({{"saga", saga}})),
        timeouts(registry.Counter("saga_step_timeouts_total", "Steps whose reply came too late.")
                     .Add({{"saga", saga}})),
        retries(registry
                    .Counter("saga_compensation_retries_total",
                             "Compensation commands sent again after a failure or no reply.")
                    .Add({{"saga", saga}})),
        ignored(
            registry
                .Counter("saga_replies_ignored_total",
                         "Replies not awaited: late, duplicate, foreign, or to a finished saga.")
                .Add({{"saga", saga}})),
        in_flight(registry.Gauge("sagas_in_flight", "Sagas not finished.").Add({{"saga", saga}})),
        stuck(registry.Gauge("sagas_stuck", "Sagas whose current step has run past its deadline.")
                  .Add({{"saga", saga}})),
        step_seconds(registry.Histogram(
            "saga_step_seconds",
            "From a saga's command to its reply, by step and kind (action, compensation).")),
        saga_(saga) {}

  void ObserveStep(const std::string& step, bool compensation, double seconds) {
    step_seconds
        .Add({{"saga", saga_}, {"step", step}, {"kind", compensation ? "compensation" : "action"}},
             obs::MetricsRegistry::LatencyBuckets())
        .Observe(seconds);
  }

  prometheus::Counter& started;
  prometheus::Counter& completed;
  prometheus::Counter& compensated;
  prometheus::Counter& failed;
  prometheus::Counter& timeouts;
  prometheus::Counter& retries;
  prometheus::Counter& ignored;
  prometheus::Gauge& in_flight;
  prometheus::Gauge& stuck;
  prometheus::Family<prometheus::Histogram>& step_seconds;
  const std::string saga_;
};

Engine::Engine(std::string name, std::string reply_channel, std::vector<ErasedStep> steps,
               Options options, pg::Pool& pool, obs::MetricsRegistry* metrics)
    : name_(std::move(name)),
      reply_channel_(std::move(reply_channel)),
      steps_(std::move(steps)),
      options_(options),
      pool_(pool),
      metrics_(metrics != nullptr ? std::make_unique<Metrics>(*metrics, name_) : nullptr) {}

Engine::~Engine() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (sweeper_ != nullptr) sweeper_->join();
}

absl::StatusOr<bool> Engine::Start(outbox::UnitOfWork& uow, const std::string& id,
                                   std::string data) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(name_, ": a saga needs an id"));
  const absl::Time now = absl::Now();
  Instance s;
  s.id = id;
  s.data = std::move(data);
  s.step_started_at = now;
  // The row is claimed first: a second start of the same saga stops here, before any command.
  EDA_ASSIGN_OR_RETURN(
      pg::Result claimed,
      uow.tx().Exec("INSERT INTO saga_instances (name, id, data, step, status, step_started_at) "
                    "VALUES ($1, $2, $3, -1, 'running', now()) ON CONFLICT DO NOTHING",
                    {name_, id, pg::Param::Bytes(s.data)}));
  if (claimed.affected() == 0) {
    Record(uow, s, "ignored", "", "", "", "started again: the saga exists already");
    return false;
  }
  Record(uow, s, "started");
  if (metrics_ != nullptr) uow.AfterCommit([m = metrics_.get()] { m->started.Increment(); });
  EDA_RETURN_IF_ERROR(Advance(uow, s, 0, now));
  EDA_RETURN_IF_ERROR(Save(uow, s));
  return true;
}

absl::Status Engine::HandleReply(outbox::UnitOfWork& uow, const messaging::Message& reply) {
  if (MetadataValue(reply, kReplySagaName) != name_) return absl::OkStatus();  // not ours
  const std::string id = MetadataValue(reply, kReplySagaId);
  auto ignored = [&] {
    if (metrics_ != nullptr) uow.AfterCommit([m = metrics_.get()] { m->ignored.Increment(); });
  };
  if (id.empty()) {
    ignored();
    return absl::OkStatus();
  }
  EDA_ASSIGN_OR_RETURN(std::optional<Instance> found, Load(uow, id));
  if (!found.has_value()) {
    LOG_WARN() << "reply to an unknown saga ignored" << KV("saga", name_) << KV("id", id)
               << KV("reply", reply.name) << KV("message_id", reply.id);
    ignored();
    return absl::OkStatus();
  }
  Instance& s = *found;
  const std::string outcome = MetadataValue(reply, messaging::kReplyOutcome);
  if (s.done || s.command_id.empty() ||
      MetadataValue(reply, kReplySagaStep) != absl::StrCat(s.step) ||
      MetadataValue(reply, kReplySagaCommandId) != s.command_id) {
    Record(uow, s, "ignored", reply.name, reply.id, outcome,
           s.done ? "the saga has finished" : "not the reply the saga waits for");
    ignored();
    return absl::OkStatus();
  }
  const absl::Time now = absl::Now();
  if (metrics_ != nullptr && s.sent_at.has_value()) {
    uow.AfterCommit([m = metrics_.get(), step = s.step_name, compensation = s.compensating,
                     seconds = absl::ToDoubleSeconds(now - *s.sent_at)] {
      m->ObserveStep(step, compensation, seconds);
    });
  }
  std::string error = MetadataValue(reply, kReplyError);
  bool success = outcome == "SUCCESS";
  Record(uow, s, "reply", reply.name, reply.id, outcome.empty() ? "FAILURE" : outcome, error);
  if (!s.compensating) {
    const ErasedStep& step = steps_[s.step];
    // A failed step did nothing to undo: compensation starts with the step before it. A step
    // that succeeded with a reply the saga cannot use is undone too.
    int undo_from = s.step - 1;
    if (step.on_reply) {
      if (absl::Status handled = step.on_reply(s.data, reply); !handled.ok()) {
        if (success) undo_from = s.step;
        success = false;
        error = absl::StrCat("reply not understood: ", handled.message());
      }
    }
    if (success) {
      EDA_RETURN_IF_ERROR(Advance(uow, s, s.step + 1, now));
    } else {
      EDA_RETURN_IF_ERROR(
          BeginCompensating(uow, s, undo_from, absl::StrCat(s.step_name, " failed: ", error), now));
    }
  } else if (success) {
    EDA_RETURN_IF_ERROR(Advance(uow, s, s.step - 1, now));
  } else {
    // A compensation must happen: sent again after a pause, until it succeeds.
    s.last_error = absl::StrCat(s.command_name, " failed: ", error);
    s.command_id.clear();
    s.deadline = now + Backoff(s.attempts);
    Record(uow, s, "retry", s.command_name, "", "",
           absl::StrCat("again in ", absl::FormatDuration(*s.deadline - now)));
  }
  return Save(uow, s);
}

absl::StatusOr<int> Engine::Sweep() {
  int moved = 0;
  auto sweep = [&](outbox::UnitOfWork& uow) -> absl::Status {
    moved = 0;
    // Deadlines are set on this process's clock: compared with it too, not the database's.
    const absl::Time now = absl::Now();
    EDA_ASSIGN_OR_RETURN(
        pg::Result due,
        uow.tx().Exec(absl::StrCat("SELECT ", kColumns,
                                   " FROM saga_instances WHERE name = $1 AND NOT done "
                                   "AND deadline <= to_timestamp($3) ORDER BY deadline LIMIT $2 "
                                   "FOR UPDATE SKIP LOCKED"),
                      {name_, options_.sweep_batch, *Epoch(now)}));
    for (int row = 0; row < due.rows(); ++row) {
      EDA_ASSIGN_OR_RETURN(Instance s, Instance::FromRow(due, row));
      if (!s.compensating) {
        // Its command may still succeed late: its own compensation runs too.
        Record(uow, s, "timeout", s.command_name, s.command_id, "",
               absl::StrCat("no reply within ", absl::FormatDuration(options_.step_deadline)));
        if (metrics_ != nullptr) uow.AfterCommit([m = metrics_.get()] { m->timeouts.Increment(); });
        EDA_RETURN_IF_ERROR(BeginCompensating(
            uow, s, s.step, absl::StrCat(s.step_name, ": no reply in time"), now));
      } else {
        if (!s.command_id.empty()) {
          Record(uow, s, "timeout", s.command_name, s.command_id, "",
                 absl::StrCat("no reply within ", absl::FormatDuration(options_.step_deadline)));
          s.last_error = absl::StrCat(s.command_name, ": no reply in time");
        }
        if (metrics_ != nullptr) uow.AfterCommit([m = metrics_.get()] { m->retries.Increment(); });
        EDA_RETURN_IF_ERROR(Send(uow, s, now));
      }
      EDA_RETURN_IF_ERROR(Save(uow, s));
      ++moved;
    }
    return absl::OkStatus();
  };
  if (absl::Status s = outbox::RunUnitOfWork(pool_, sweep); !s.ok()) return s;
  return moved;
}

absl::StatusOr<int> Engine::Prune(int limit) {
  int pruned = 0;
  auto prune = [&](outbox::UnitOfWork& uow) -> absl::Status {
    EDA_ASSIGN_OR_RETURN(
        pg::Result gone,
        uow.tx().Exec("WITH gone AS (DELETE FROM saga_instances WHERE (name, id) IN (SELECT name, "
                      "id FROM saga_instances WHERE name = $1 AND done AND updated_at < now() - "
                      "make_interval(secs => $2) LIMIT $3) RETURNING id), "
                      "history AS (DELETE FROM saga_history WHERE name = $1 AND saga_id IN "
                      "(SELECT id FROM gone)) SELECT count(*) FROM gone",
                      {name_, absl::ToDoubleSeconds(options_.retention), limit}));
    EDA_ASSIGN_OR_RETURN(int64_t n, gone.Int(0, 0));
    pruned = static_cast<int>(n);
    return absl::OkStatus();
  };
  if (absl::Status s = outbox::RunUnitOfWork(pool_, prune); !s.ok()) return s;
  return pruned;
}

void Engine::StartSweeper() {
  if (sweeper_ != nullptr) return;
  sweeper_ = std::make_unique<std::thread>([this] {
    absl::Time last_gauges = absl::InfinitePast();
    absl::Time last_prune = absl::Now();
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto stop = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
        mu_.AwaitWithTimeout(absl::Condition(&stop), options_.sweep_interval);
        if (stopping_) return;
      }
      // A full batch: more may be due, swept at once.
      absl::StatusOr<int> moved = options_.sweep_batch;
      while (moved.ok() && *moved == options_.sweep_batch) {
        moved = Sweep();
        if (!moved.ok()) {
          LOG_WARN() << "saga sweep failed" << KV("saga", name_) << KV("error", moved.status());
        }
        if (metrics_ != nullptr && absl::Now() - last_gauges >= absl::Seconds(5)) {
          if (absl::Status s = UpdateGauges(); s.ok()) last_gauges = absl::Now();
        }
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
      }
      if (absl::Now() - last_prune >= absl::Minutes(1)) {
        absl::StatusOr<int> pruned = Prune();
        if (!pruned.ok()) {
          LOG_WARN() << "saga pruning failed" << KV("saga", name_) << KV("error", pruned.status());
        } else if (*pruned < 1000) {
          last_prune = absl::Now();  // a full chunk: more are due, pruned on the next pass
        }
      }
    }
  });
}

absl::Status Engine::UpdateGauges() {
  EDA_ASSIGN_OR_RETURN(pg::Lease conn, pool_.Acquire());
  EDA_ASSIGN_OR_RETURN(pg::Result r,
                       conn->Exec("SELECT count(*), count(*) FILTER (WHERE step_due < "
                                  "to_timestamp($2)) FROM saga_instances WHERE name = $1 AND "
                                  "NOT done",
                                  {name_, *Epoch(absl::Now())}));
  EDA_ASSIGN_OR_RETURN(int64_t in_flight, r.Int(0, 0));
  EDA_ASSIGN_OR_RETURN(int64_t stuck, r.Int(0, 1));
  metrics_->in_flight.Set(static_cast<double>(in_flight));
  metrics_->stuck.Set(static_cast<double>(stuck));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Engine::Instance>> Engine::Load(outbox::UnitOfWork& uow,
                                                             const std::string& id) {
  EDA_ASSIGN_OR_RETURN(pg::Result r,
                       uow.tx().Exec(absl::StrCat("SELECT ", kColumns,
                                                  " FROM saga_instances WHERE name = $1 AND "
                                                  "id = $2 FOR UPDATE"),
                                     {name_, id}));
  if (r.rows() == 0) return std::nullopt;
  EDA_ASSIGN_OR_RETURN(Instance s, Instance::FromRow(r, 0));
  return s;
}

absl::Status Engine::Save(outbox::UnitOfWork& uow, const Instance& s) {
  uow.Defer(
      "UPDATE saga_instances SET data = $3, step = $4, step_name = $5, compensating = $6, "
      "done = $7, status = $8, command_id = $9, command_name = $10, attempts = $11, "
      "step_started_at = to_timestamp($12), sent_at = to_timestamp($13), "
      "deadline = to_timestamp($14), step_due = to_timestamp($15), last_error = $16, "
      "updated_at = now() WHERE name = $1 AND id = $2",
      {name_, s.id, pg::Param::Bytes(s.data), s.step, s.step_name, s.compensating, s.done, s.status,
       s.command_id, s.command_name, s.attempts, Epoch(s.step_started_at), Epoch(s.sent_at),
       Epoch(s.deadline), Epoch(s.step_due), s.last_error});
  return absl::OkStatus();
}

absl::Status Engine::Advance(outbox::UnitOfWork& uow, Instance& s, int from, absl::Time now) {
  const int direction = s.compensating ? -1 : 1;
  for (int i = from; i >= 0 && i < static_cast<int>(steps_.size()); i += direction) {
    const ErasedStep& step = steps_[i];
    if (!(s.compensating ? step.compensation : step.action)) continue;
    s.step = i;
    s.step_name = step.name;
    s.attempts = 0;
    s.step_started_at = now;
    s.step_due = now + options_.step_deadline;
    return Send(uow, s, now);
  }
  s.done = true;
  s.status = s.compensating ? "compensated" : "completed";
  s.command_id.clear();
  s.command_name.clear();
  s.deadline.reset();
  s.step_due.reset();
  Record(uow, s, s.status);
  if (metrics_ != nullptr) {
    uow.AfterCommit([m = metrics_.get(), compensated = s.compensating] {
      (compensated ? m->compensated : m->completed).Increment();
    });
  }
  return absl::OkStatus();
}

absl::Status Engine::Send(outbox::UnitOfWork& uow, Instance& s, absl::Time now) {
  const ErasedStep& step = steps_[s.step];
  const CommandSpec spec = s.compensating ? step.compensation(s.data) : step.action(s.data);
  const std::string command_id = NewUuid();
  EDA_RETURN_IF_ERROR(
      outbox::SendCommand(uow, {.subject = spec.subject,
                                .name = spec.name,
                                .payload = spec.payload,
                                .reply_channel = reply_channel_,
                                .saga_id = s.id,
                                .saga_name = name_,
                                .metadata = {{kCommandSagaStep, absl::StrCat(s.step)},
                                             {kCommandSagaCommandId, command_id}},
                                .id = command_id})
          .status());
  s.command_id = command_id;
  s.command_name = spec.name;
  ++s.attempts;
  s.sent_at = now;
  s.deadline = now + options_.step_deadline;
  Record(uow, s, "command", spec.name, command_id, "",
         s.attempts > 1 ? absl::StrCat("attempt ", s.attempts) : "");
  return absl::OkStatus();
}

absl::Status Engine::BeginCompensating(outbox::UnitOfWork& uow, Instance& s, int from,
                                       const std::string& why, absl::Time now) {
  s.compensating = true;
  s.status = "compensating";
  s.last_error = why;
  Record(uow, s, "compensating", "", "", "", why);
  if (metrics_ != nullptr) uow.AfterCommit([m = metrics_.get()] { m->failed.Increment(); });
  return Advance(uow, s, from, now);
}

void Engine::Record(outbox::UnitOfWork& uow, const Instance& s, const std::string& event,
                    const std::string& message, const std::string& message_id,
                    const std::string& outcome, const std::string& detail) {
  uow.Defer(
      "INSERT INTO saga_history (name, saga_id, step, step_name, event, message, message_id, "
      "outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {name_, s.id, s.step, s.step_name, event, message, message_id, outcome, detail});
}

absl::Duration Engine::Backoff(int attempts) const {
  absl::Duration pause = options_.retry_initial;
  for (int i = 1; i < attempts && pause < options_.retry_max; ++i) pause *= 2;
  return std::min(pause, options_.retry_max);
}

}  // namespace eda::saga
