// The orchestrator against a real PostgreSQL: commands are read back from the outbox, replies are
// made as the services' command adapter makes them. Paths: success, a failed step, a step that
// times out (its own compensation runs), failed and unanswered compensations retried, a second
// start, late, duplicate and foreign replies.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/outbox/commands.h"
#include "libs/outbox/schema.h"
#include "libs/pg/migrations.h"
#include "libs/saga/saga.h"
#include "libs/saga/saga_test.pb.h"
#include "libs/testing/harness.h"

namespace eda::saga {
namespace {

using sagatest::TripData;
using ::testing::ElementsAre;

CommandSpec Make(const std::string& name, const TripData& d) {
  return {.subject = "trips.commands", .name = name, .payload = d.SerializeAsString()};
}

Definition<TripData> Trip() {
  return {
      .name = "test.Trip",
      .reply_channel = "trips.replies",
      .steps = {
          {.name = "Reject",
           .compensation = [](const TripData& d) { return Make("test.Reject", d); }},
          {.name = "Reserve",
           .action = [](const TripData& d) { return Make("test.Reserve", d); },
           .compensation = [](const TripData& d) { return Make("test.Unreserve", d); },
           .on_reply = {{"test.Reserved",
                         [](TripData& d, const messaging::Message& reply) {
                           TripData answer;
                           if (!answer.ParseFromString(reply.payload)) {
                             return absl::InvalidArgumentError("bad payload");
                           }
                           d.set_booking(answer.booking());
                           return absl::OkStatus();
                         }}}},
          {.name = "Pay", .action = [](const TripData& d) { return Make("test.Pay", d); }},
          {.name = "Confirm", .action = [](const TripData& d) { return Make("test.Confirm", d); }},
      }};
}

class SagaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dsn = testing::SharedPostgres().CreateDatabase();
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    auto conn = pg::Connection::Open(*dsn);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(pg::Migrate(*conn, outbox::PlatformMigrations()).ok());
    auto pool = pg::Pool::Create({.dsn = *dsn, .size = 4});
    ASSERT_TRUE(pool.ok());
    pool_ = *std::move(pool);
  }

  std::unique_ptr<Orchestrator<TripData>> NewSaga(Options options = {}) {
    return std::make_unique<Orchestrator<TripData>>(Trip(), options, *pool_, &metrics_);
  }

  bool Start(Orchestrator<TripData>& saga, const std::string& id) {
    bool started = false;
    TripData data;
    data.set_id(id);
    EXPECT_TRUE(outbox::RunUnitOfWork(*pool_, [&](outbox::UnitOfWork& uow) -> absl::Status {
                  absl::StatusOr<bool> s = saga.Start(uow, id, data);
                  if (!s.ok()) return s.status();
                  started = *s;
                  return absl::OkStatus();
                }).ok());
    return started;
  }

  // The commands in the outbox, oldest first.
  std::vector<messaging::Message> Commands() {
    std::vector<messaging::Message> out;
    auto conn = pg::Connection::Open(dsn());
    auto rows = conn->Exec("SELECT subject, data FROM outbox ORDER BY seq");
    EXPECT_TRUE(rows.ok());
    for (int i = 0; i < rows->rows(); ++i) {
      auto m = messaging::DecodeEnvelope(rows->Text(i, 0), *rows->Bytes(i, 1));
      EXPECT_TRUE(m.ok());
      out.push_back(*m);
    }
    return out;
  }
  std::vector<std::string> CommandNames() {
    std::vector<std::string> names;
    for (const messaging::Message& m : Commands()) names.push_back(m.name);
    return names;
  }

  // The reply the command adapter would send for `command`.
  static messaging::Message ReplyTo(const messaging::Message& command, bool success,
                                    const std::string& name = "", const std::string& payload = "") {
    std::optional<outbox::Reply> reply;
    if (!name.empty()) reply = outbox::Reply{name, payload};
    return outbox::ReplyTo(command, success ? absl::OkStatus() : absl::AbortedError("refused"),
                           reply);
  }

  void Reply(Orchestrator<TripData>& saga, const messaging::Message& reply) {
    outbox::MessageHandler handle = saga.ReplyHandler();
    ASSERT_TRUE(outbox::RunUnitOfWork(*pool_, [&](outbox::UnitOfWork& uow) {
                  return handle(uow, reply);
                }).ok());
  }
  // Answers the last command sent.
  void Answer(Orchestrator<TripData>& saga, bool success, const std::string& name = "",
              const std::string& payload = "") {
    Reply(saga, ReplyTo(Commands().back(), success, name, payload));
  }

  std::string Column(const std::string& id, const std::string& column) {
    auto conn = pg::Connection::Open(dsn());
    auto r = conn->Exec(
        absl::StrCat("SELECT (", column, ")::text FROM saga_instances WHERE id = $1"), {id});
    EXPECT_TRUE(r.ok() && r->rows() == 1);
    return r.ok() && r->rows() == 1 ? std::string(r->Text(0, 0)) : "";
  }
  std::vector<std::string> History(const std::string& id) {
    auto conn = pg::Connection::Open(dsn());
    auto r = conn->Exec(
        "SELECT event || CASE WHEN message = '' THEN '' ELSE ' ' || message END "
        "FROM saga_history WHERE saga_id = $1 ORDER BY seq",
        {id});
    std::vector<std::string> out;
    for (int i = 0; r.ok() && i < r->rows(); ++i) out.emplace_back(r->Text(i, 0));
    return out;
  }
  // Moves the saga's deadline into the past, as if the time had passed.
  void Expire(const std::string& id) {
    auto conn = pg::Connection::Open(dsn());
    ASSERT_TRUE(conn->Exec("UPDATE saga_instances SET deadline = now() - interval '1 second', "
                           "step_due = now() - interval '1 second' WHERE id = $1",
                           {id})
                    .ok());
  }
  double Metric(const std::string& series) {
    const std::string text = metrics_.Exposition();
    const size_t at = text.find(series + " ");
    return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 1));
  }

  const std::string& dsn() { return pool_->dsn(); }

  obs::MetricsRegistry metrics_;
  std::unique_ptr<pg::Pool> pool_;
};

TEST_F(SagaTest, RunsEveryStepAndKeepsWhatARepliesCarries) {
  auto saga = NewSaga();
  const std::string id = NewUuid();
  ASSERT_TRUE(Start(*saga, id));
  std::vector<messaging::Message> sent = Commands();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].name, "test.Reserve");
  EXPECT_EQ(sent[0].metadata["COMMAND_SAGA_ID"], id);
  EXPECT_EQ(sent[0].metadata["COMMAND_SAGA_NAME"], "test.Trip");
  EXPECT_EQ(sent[0].metadata["COMMAND_REPLY_CHANNEL"], "trips.replies");
  EXPECT_EQ(sent[0].metadata[kCommandSagaStep], "1");
  EXPECT_EQ(sent[0].metadata[kCommandSagaCommandId], sent[0].id);

  TripData reserved;
  reserved.set_booking("B-42");
  Answer(*saga, true, "test.Reserved", reserved.SerializeAsString());
  Answer(*saga, true);
  Answer(*saga, true);
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Pay", "test.Confirm"));
  TripData confirm;
  ASSERT_TRUE(confirm.ParseFromString(Commands().back().payload));
  EXPECT_EQ(confirm.booking(), "B-42");  // kept from the reply
  EXPECT_EQ(Column(id, "status"), "completed");
  EXPECT_EQ(Column(id, "done"), "true");
  EXPECT_EQ(Column(id, "step"), "3");
  EXPECT_THAT(History(id), ElementsAre("started", "command test.Reserve", "reply test.Reserved",
                                       "command test.Pay", "reply am.Success",
                                       "command test.Confirm", "reply am.Success", "completed"));
  EXPECT_EQ(Metric("sagas_started_total{saga=\"test.Trip\"}"), 1);
  EXPECT_EQ(Metric("sagas_completed_total{saga=\"test.Trip\"}"), 1);
  EXPECT_EQ(Metric("saga_step_seconds_count{kind=\"action\",saga=\"test.Trip\",step=\"Pay\"}"), 1);
}

TEST_F(SagaTest, AFailedStepCompensatesTheStepsBeforeItButNotItself) {
  auto saga = NewSaga();
  const std::string id = NewUuid();
  ASSERT_TRUE(Start(*saga, id));
  Answer(*saga, true);   // Reserve
  Answer(*saga, false);  // Pay fails: nothing of its own to undo
  Answer(*saga, true);   // Unreserve
  Answer(*saga, true);   // Reject
  EXPECT_THAT(CommandNames(),
              ElementsAre("test.Reserve", "test.Pay", "test.Unreserve", "test.Reject"));
  EXPECT_EQ(Column(id, "status"), "compensated");
  EXPECT_EQ(Column(id, "step"), "0");
  EXPECT_EQ(Metric("sagas_failed_total{saga=\"test.Trip\"}"), 1);
  EXPECT_EQ(Metric("sagas_compensated_total{saga=\"test.Trip\"}"), 1);
  EXPECT_EQ(Metric("saga_step_seconds_count{kind=\"compensation\",saga=\"test.Trip\","
                   "step=\"Reserve\"}"),
            1);
}

TEST_F(SagaTest, AFirstStepThatFailsGoesStraightToTheRejection) {
  auto saga = NewSaga();
  const std::string id = NewUuid();
  ASSERT_TRUE(Start(*saga, id));
  Answer(*saga, false);  // Reserve
  Answer(*saga, true);   // Reject
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Reject"));
  EXPECT_EQ(Column(id, "status"), "compensated");
}

TEST_F(SagaTest, StartsOncePerId) {
  auto saga = NewSaga();
  const std::string id = NewUuid();
  EXPECT_TRUE(Start(*saga, id));
  EXPECT_FALSE(Start(*saga, id));
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve"));
  EXPECT_THAT(History(id), ElementsAre("started", "command test.Reserve", "ignored"));
}

TEST_F(SagaTest, IgnoresRepliesItDoesNotWaitFor) {
  auto saga = NewSaga();
  const std::string id = NewUuid();
  ASSERT_TRUE(Start(*saga, id));
  const messaging::Message reserve = Commands().back();
  Reply(*saga, ReplyTo(reserve, true));
  // The same reply again (a new message id, as a re-sent reply has), and one of another step.
  Reply(*saga, ReplyTo(reserve, true));
  messaging::Message foreign_step = ReplyTo(Commands().back(), true);
  foreign_step.metadata[kReplySagaStep] = "3";
  Reply(*saga, foreign_step);
  // A reply naming another saga, and one with no saga at all.
  messaging::Message other_saga = ReplyTo(Commands().back(), false);
  other_saga.metadata[kReplySagaName] = "test.Other";
  Reply(*saga, other_saga);
  messaging::Message unknown = ReplyTo(Commands().back(), false);
  unknown.metadata[kReplySagaId] = NewUuid();
  Reply(*saga, unknown);
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Pay"));
  EXPECT_EQ(Column(id, "status"), "running");
  EXPECT_EQ(Column(id, "step"), "2");

  Answer(*saga, true);
  Answer(*saga, true);
  ASSERT_EQ(Column(id, "status"), "completed");
  Reply(*saga, ReplyTo(Commands().back(), false));  // a reply to a finished saga
  EXPECT_EQ(Column(id, "status"), "completed");
  EXPECT_EQ(CommandNames().size(), 3u);
  EXPECT_EQ(History(id).back(), "ignored am.Failure");
  // Counted: all but the reply naming another saga, which is not this orchestrator's to judge.
  EXPECT_EQ(Metric("saga_replies_ignored_total{saga=\"test.Trip\"}"), 4);
}

TEST_F(SagaTest, AStepPastItsDeadlineIsCompensatedItselfAndItsLateReplyIgnored) {
  auto saga = NewSaga();
  const std::string id = NewUuid();
  ASSERT_TRUE(Start(*saga, id));
  const messaging::Message reserve = Commands().back();
  auto nothing = saga->Sweep();
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(*nothing, 0);  // not due yet
  Expire(id);
  auto moved = saga->Sweep();
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 1);
  // Reserve may still succeed late: Unreserve runs, then Reject.
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Unreserve"));
  Reply(*saga, ReplyTo(reserve, true));  // the late reply changes nothing
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Unreserve"));
  Answer(*saga, true);
  Answer(*saga, true);
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Unreserve", "test.Reject"));
  EXPECT_EQ(Column(id, "status"), "compensated");
  EXPECT_EQ(Metric("saga_step_timeouts_total{saga=\"test.Trip\"}"), 1);
}

TEST_F(SagaTest, AFailingCompensationIsRetriedWithBackOffUntilItSucceeds) {
  auto saga = NewSaga({.retry_initial = absl::Milliseconds(200)});
  const std::string id = NewUuid();
  ASSERT_TRUE(Start(*saga, id));
  Answer(*saga, false);  // Reserve fails: Reject is next
  Answer(*saga, false);  // Reject fails: sent again after a pause
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Reject"));
  EXPECT_EQ(Column(id, "command_id"), "");
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(saga->Sweep().ok());
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Reject", "test.Reject"));
  EXPECT_EQ(Commands().back().metadata[kCommandSagaStep], "0");
  Answer(*saga, false);  // again: the pause doubles
  ASSERT_TRUE(saga->Sweep().ok());
  EXPECT_EQ(CommandNames().size(), 3u);
  absl::SleepFor(absl::Milliseconds(450));
  ASSERT_TRUE(saga->Sweep().ok());
  EXPECT_EQ(CommandNames().size(), 4u);
  Answer(*saga, true);
  EXPECT_EQ(Column(id, "status"), "compensated");
  EXPECT_EQ(Metric("saga_compensation_retries_total{saga=\"test.Trip\"}"), 2);
}

TEST_F(SagaTest, AnUnansweredCompensationIsSentAgainAndTheSagaCountsAsStuck) {
  auto saga = NewSaga();
  const std::string id = NewUuid();
  ASSERT_TRUE(Start(*saga, id));
  Answer(*saga, false);  // Reserve fails: Reject is sent, and never answered
  Expire(id);
  ASSERT_TRUE(saga->Sweep().ok());
  EXPECT_THAT(CommandNames(), ElementsAre("test.Reserve", "test.Reject", "test.Reject"));
  EXPECT_EQ(Column(id, "attempts"), "2");
  EXPECT_EQ(Column(id, "status"), "compensating");
  EXPECT_EQ(Column(id, "step_due < now()"), "true");  // stuck until it succeeds
  Answer(*saga, true);
  EXPECT_EQ(Column(id, "status"), "compensated");
}

TEST_F(SagaTest, FinishedSagasArePrunedWithTheirHistoryAfterTheRetention) {
  auto saga = NewSaga({.retention = absl::Hours(1)});
  const std::string done = NewUuid();
  ASSERT_TRUE(Start(*saga, done));
  Answer(*saga, false);
  Answer(*saga, true);
  ASSERT_EQ(Column(done, "status"), "compensated");
  const std::string running = NewUuid();
  ASSERT_TRUE(Start(*saga, running));
  auto fresh = saga->Prune();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(*fresh, 0);  // finished within the hour: kept
  auto conn = pg::Connection::Open(dsn());
  ASSERT_TRUE(conn->Exec("UPDATE saga_instances SET updated_at = now() - interval '2 hours'").ok());
  auto pruned = saga->Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 1);
  EXPECT_TRUE(History(done).empty());
  EXPECT_EQ(Column(running, "status"), "running");  // unfinished sagas stay, however old
  EXPECT_FALSE(History(running).empty());
}

}  // namespace
}  // namespace eda::saga
