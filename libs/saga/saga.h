// File: saga.h
// An orchestrator of sagas declared as a list of steps (spec §6, with its intended fixes): each
// step has an action command, reply handlers and a compensation command. The saga's state lives
// in the coordinator's database (table saga_instances, with its history in saga_history) and
// changes in the same unit of work as the consumed message and the next command.
//
//   struct Data { ... };  // a protobuf message: the saga's data
//   eda::saga::Orchestrator<Data> saga(
//       {.name = "cosec.CreateOrder", .reply_channel = "mallbots.cosec.replies.CreateOrder",
//        .steps = {{.name = "RejectOrder", .compensation = Reject},
//                  {.name = "AuthorizeCustomer", .action = Authorize}, ...}},
//       {.step_deadline = absl::Minutes(3)}, pool, &metrics);
//   saga.Start(uow, order_id, data);        // in the handler of the event that starts it
//   rt->Consume("cosec-replies", saga.ReplyHandler());
//   saga.StartSweeper();                    // deadlines and compensation retries
//
// Rules (beyond the spec's algorithm):
// - one saga per id: Start is idempotent, whatever message started it;
// - each command carries its step (COMMAND_SAGA_STEP) and its own id (COMMAND_SAGA_COMMAND_ID),
//   which replies echo as REPLY_*; a reply is applied only when it answers the command the saga
//   waits for: late, duplicate and foreign replies, and replies to a finished saga, are ignored
//   (and recorded in the history);
// - a step whose reply does not come before the step deadline fails, and the saga compensates,
//   starting with the timed-out step's own compensation (its command may still succeed late);
// - a compensation that fails is sent again with back-off (retry_initial doubling up to
//   retry_max), one that goes unanswered again at each step deadline, until it succeeds; a saga
//   whose current step has run past its deadline counts as stuck (metric, inspection).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/messaging/envelope.h"
#include "libs/observability/metrics.h"
#include "libs/outbox/inbox.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/pg/pool.h"

namespace eda::saga {

inline constexpr char kCommandSagaStep[] = "COMMAND_SAGA_STEP";
inline constexpr char kCommandSagaCommandId[] = "COMMAND_SAGA_COMMAND_ID";
inline constexpr char kReplySagaId[] = "REPLY_SAGA_ID";
inline constexpr char kReplySagaName[] = "REPLY_SAGA_NAME";
inline constexpr char kReplySagaStep[] = "REPLY_SAGA_STEP";
inline constexpr char kReplySagaCommandId[] = "REPLY_SAGA_COMMAND_ID";
inline constexpr char kReplyError[] = "REPLY_ERROR";

// A command a step sends: its subject, wire name and payload.
struct CommandSpec {
  std::string subject;
  std::string name;
  std::string payload;
};

template <typename Data>
struct Step {
  std::string name;
  std::function<CommandSpec(const Data&)> action;        // empty: the step has no action
  std::function<CommandSpec(const Data&)> compensation;  // empty: nothing to undo
  // Handlers of the action's replies by reply name, run for either outcome before the saga moves
  // on (e.g. keep the id a reply carries). An error counts as a failed step.
  std::map<std::string, std::function<absl::Status(Data&, const messaging::Message&)>> on_reply;
};

template <typename Data>
struct Definition {
  std::string name;           // COMMAND_SAGA_NAME, e.g. "cosec.CreateOrder"
  std::string reply_channel;  // COMMAND_REPLY_CHANNEL
  std::vector<Step<Data>> steps;
};

struct Options {
  // How long a step waits for its reply. Long enough that a restart of the service that handles
  // the command does not trip it.
  absl::Duration step_deadline = absl::Minutes(3);
  // Back-off of a failed compensation: doubles from `retry_initial` up to `retry_max`.
  absl::Duration retry_initial = absl::Seconds(1);
  absl::Duration retry_max = absl::Minutes(1);
  absl::Duration sweep_interval = absl::Seconds(1);  // deadlines checked this often
  int sweep_batch = 100;
  // Finished sagas and their history are deleted this long after they ended (by the sweeper,
  // every minute, in chunks).
  absl::Duration retention = absl::Hours(24 * 7);
};

// The orchestrator's engine, on the data in its serialized form (Orchestrator<Data> is the typed
// face of it).
class Engine final {
 public:
  struct ErasedStep {
    std::string name;
    std::function<CommandSpec(const std::string& data)> action;
    std::function<CommandSpec(const std::string& data)> compensation;
    std::function<absl::Status(std::string& data, const messaging::Message&)> on_reply;
  };
  // `pool` (and `metrics`, when given) must outlive the engine.
  Engine(std::string name, std::string reply_channel, std::vector<ErasedStep> steps,
         Options options, pg::Pool& pool, obs::MetricsRegistry* metrics);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts saga `id` in the caller's unit of work: its first command is sent with the commit.
  // Returns false when saga `id` exists already (its history records the attempt; nothing else
  // changes).
  absl::StatusOr<bool> Start(outbox::UnitOfWork& uow, const std::string& id, std::string data);
  // Applies a reply (see the rules above). Errors: only the database's (the reply is retried).
  absl::Status HandleReply(outbox::UnitOfWork& uow, const messaging::Message& reply);
  // One pass over the sagas past a deadline, in its own unit of work: returns how many it moved.
  absl::StatusOr<int> Sweep();
  // Deletes up to `limit` sagas that finished more than `retention` ago, with their history;
  // returns how many.
  absl::StatusOr<int> Prune(int limit = 1000);
  // Runs Sweep every `sweep_interval` on a thread of its own until the engine goes, and keeps the
  // in-flight and stuck gauges up to date.
  void StartSweeper();

  const std::string& name() const { return name_; }

 private:
  struct Instance;
  absl::StatusOr<std::optional<Instance>> Load(outbox::UnitOfWork& uow, const std::string& id);
  absl::Status Save(outbox::UnitOfWork& uow, const Instance& s);
  absl::Status Advance(outbox::UnitOfWork& uow, Instance& s, int from, absl::Time now);
  absl::Status Send(outbox::UnitOfWork& uow, Instance& s, absl::Time now);
  absl::Status BeginCompensating(outbox::UnitOfWork& uow, Instance& s, int from,
                                 const std::string& why, absl::Time now);
  void Record(outbox::UnitOfWork& uow, const Instance& s, const std::string& event,
              const std::string& message = "", const std::string& message_id = "",
              const std::string& outcome = "", const std::string& detail = "");
  absl::Status UpdateGauges();
  absl::Duration Backoff(int attempts) const;

  const std::string name_;
  const std::string reply_channel_;
  const std::vector<ErasedStep> steps_;
  const Options options_;
  pg::Pool& pool_;

  struct Metrics;
  std::unique_ptr<Metrics> metrics_;  // null without a registry

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<std::thread> sweeper_;
};

// The typed orchestrator: `Data` is a protobuf message, stored serialized.
template <typename Data>
class Orchestrator final {
 public:
  Orchestrator(Definition<Data> definition, Options options, pg::Pool& pool,
               obs::MetricsRegistry* metrics = nullptr)
      : engine_(definition.name, definition.reply_channel, Erase(std::move(definition.steps)),
                options, pool, metrics) {}

  absl::StatusOr<bool> Start(outbox::UnitOfWork& uow, const std::string& id, const Data& data) {
    return engine_.Start(uow, id, data.SerializeAsString());
  }
  // The handler of the durable that consumes the replies.
  outbox::MessageHandler ReplyHandler() {
    return [this](outbox::UnitOfWork& uow, const messaging::Message& reply) {
      return engine_.HandleReply(uow, reply);
    };
  }
  absl::StatusOr<int> Sweep() { return engine_.Sweep(); }
  absl::StatusOr<int> Prune(int limit = 1000) { return engine_.Prune(limit); }
  void StartSweeper() { engine_.StartSweeper(); }

 private:
  static Data Parse(const std::string& bytes) {
    Data data;
    data.ParseFromString(bytes);
    return data;
  }
  static std::vector<Engine::ErasedStep> Erase(std::vector<Step<Data>> steps) {
    std::vector<Engine::ErasedStep> erased;
    for (Step<Data>& step : steps) {
      Engine::ErasedStep e{.name = step.name};
      if (step.action) {
        e.action = [f = step.action](const std::string& d) { return f(Parse(d)); };
      }
      if (step.compensation) {
        e.compensation = [f = step.compensation](const std::string& d) { return f(Parse(d)); };
      }
      if (!step.on_reply.empty()) {
        e.on_reply = [handlers = std::move(step.on_reply)](
                         std::string& d, const messaging::Message& reply) -> absl::Status {
          auto handler = handlers.find(reply.name);
          if (handler == handlers.end()) return absl::OkStatus();
          Data data = Parse(d);
          if (absl::Status s = handler->second(data, reply); !s.ok()) return s;
          d = data.SerializeAsString();
          return absl::OkStatus();
        };
      }
      erased.push_back(std::move(e));
    }
    return erased;
  }

  Engine engine_;
};

}  // namespace eda::saga
