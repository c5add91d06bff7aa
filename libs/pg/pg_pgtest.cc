// Integration tests of libs/pg against a real PostgreSQL started by the harness.
#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/call_scope.h"
#include "libs/common/status_macros.h"
#include "libs/pg/errors.h"
#include "libs/pg/listener.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "libs/pg/transaction.h"
#include "libs/testing/harness.h"

namespace eda::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dsn = testing::SharedPostgres().CreateDatabase();
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    dsn_ = *dsn;
  }
  Connection Connect() {
    auto conn = Connection::Open(dsn_);
    EXPECT_TRUE(conn.ok()) << conn.status();
    return *std::move(conn);
  }
  int64_t Count(Connection& conn, const std::string& table) {
    auto r = conn.Exec("SELECT count(*) FROM " + table);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r->Int(0, 0) : -1;
  }
  std::string dsn_;
};

TEST_F(PgTest, ParametersAndResultTypesRoundTrip) {
  Connection conn = Connect();
  const std::string bytes("\x00\x01\xff zero", 8);
  auto r = conn.Exec("SELECT $1::text, $2::bigint, $3::float8, $4::bool, $5::bytea, $6::text",
                     {"it's", int64_t{42}, 2.5, true, Param::Bytes(bytes), nullptr});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Text(0, 0), "it's");
  EXPECT_EQ(*r->Int(0, 1), 42);
  EXPECT_EQ(*r->Double(0, 2), 2.5);
  EXPECT_TRUE(r->Bool(0, 3));
  EXPECT_EQ(*r->Bytes(0, 4), bytes);
  EXPECT_TRUE(r->IsNull(0, 5));
}

TEST_F(PgTest, PoolExhaustionTimesOutThenRecovers) {
  auto pool = Pool::Create({.dsn = dsn_, .size = 2, .acquire_timeout = absl::Milliseconds(100)});
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto a = (*pool)->Acquire();
  auto b = (*pool)->Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*pool)->stats().open, 2);

  const absl::Time start = absl::Now();
  auto c = (*pool)->Acquire();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(c.status().message(), HasSubstr("no connection free within 100ms"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));

  // A waiter gets the connection as soon as one is returned.
  std::atomic<bool> got{false};
  std::jthread waiter([&] {
    auto d = (*pool)->Acquire(absl::Seconds(5));
    got = d.ok();
  });
  ASSERT_TRUE(testing::WaitUntil([&] { return (*pool)->stats().waiting == 1; }, absl::Seconds(5)));
  { Lease released = *std::move(a); }
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ((*pool)->stats().open, 2);
}

TEST_F(PgTest, AWaitForAConnectionEndsWithTheCallersDeadline) {
  // A caller with 200 ms left does not wait the pool's 5 s; one that cancelled does not wait.
  auto pool = Pool::Create({.dsn = dsn_, .size = 1, .acquire_timeout = absl::Seconds(5)});
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  {
    CallScope call(absl::Now() + absl::Milliseconds(200), nullptr);
    const absl::Time start = absl::Now();
    auto waited = (*pool)->Acquire();
    EXPECT_FALSE(waited.ok());
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  }
  {
    CallScope call(absl::InfiniteFuture(), [] { return true; });
    EXPECT_EQ((*pool)->Acquire().status().code(), absl::StatusCode::kCancelled);
  }
}

TEST_F(PgTest, DroppedConnectionIsUnavailableAndReplaced) {
  auto pool = Pool::Create({.dsn = dsn_, .size = 1});
  ASSERT_TRUE(pool.ok());
  int old_pid = 0;
  {
    auto lease = (*pool)->Acquire();
    ASSERT_TRUE(lease.ok());
    old_pid = (*lease)->BackendPid();
    Connection admin = Connect();
    ASSERT_TRUE(admin.Exec("SELECT pg_terminate_backend($1)", {old_pid}).ok());
    auto r = (*lease)->Exec("SELECT 1");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  }
  EXPECT_EQ((*pool)->stats().replaced, 1);
  auto lease = (*pool)->Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_NE((*lease)->BackendPid(), old_pid);
  EXPECT_TRUE((*lease)->Exec("SELECT 1").ok());
}

TEST_F(PgTest, IdleConnectionsThatDiedAreReplacedBeforeUse) {
  // As after a database restart: the pool's idle connections lost their server meanwhile. The
  // next transaction must not start on one of them.
  auto pool = Pool::Create({.dsn = dsn_, .size = 2});
  ASSERT_TRUE(pool.ok());
  std::vector<int> pids;
  {
    auto a = (*pool)->Acquire();
    auto b = (*pool)->Acquire();
    ASSERT_TRUE(a.ok() && b.ok());
    pids = {(*a)->BackendPid(), (*b)->BackendPid()};
  }
  Connection admin = Connect();
  for (int pid : pids) ASSERT_TRUE(admin.Exec("SELECT pg_terminate_backend($1)", {pid}).ok());
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto r = admin.Exec("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])",
                            {absl::StrCat("{", pids[0], ",", pids[1], "}")});
        return r.ok() && *r->Int(0, 0) == 0;
      },
      absl::Seconds(5)));
  for (int i = 0; i < 2; ++i) {
    auto tx = Transaction::Begin(**pool);
    ASSERT_TRUE(tx.ok()) << tx.status();
    auto r = tx->Exec("SELECT 1");
    EXPECT_TRUE(r.ok()) << "attempt " << i << ": " << r.status();
    EXPECT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ((*pool)->stats().replaced, 2);
}

absl::Status InsertThenFail(Pool& pool, bool fail) {
  EDA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(pool));
  EDA_RETURN_IF_ERROR(tx.Exec("INSERT INTO items (name) VALUES ($1)", {"x"}).status());
  if (fail) return absl::InvalidArgumentError("business rule");  // early return: rollback
  return tx.Commit();
}

TEST_F(PgTest, TransactionRollsBackOnEarlyReturn) {
  Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("CREATE TABLE items (name text)").ok());
  auto pool = Pool::Create({.dsn = dsn_, .size = 1});
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(InsertThenFail(**pool, true).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Count(conn, "items"), 0);
  // The connection went back to the pool clean (no transaction left open) and is reused.
  EXPECT_EQ((*pool)->stats().replaced, 0);
  EXPECT_TRUE(InsertThenFail(**pool, false).ok());
  EXPECT_EQ(Count(conn, "items"), 1);
}

TEST_F(PgTest, CommitAfterAFailedStatementIsAborted) {
  Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("CREATE TABLE items (name text)").ok());
  auto tx = Transaction::Begin(conn);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Exec("INSERT INTO items VALUES ('a')").ok());
  EXPECT_FALSE(tx->Exec("SELECT * FROM missing_table").ok());
  EXPECT_EQ(tx->Commit().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count(conn, "items"), 0);
}

TEST_F(PgTest, WritesSentOnlyWithTheCommitAreAllOrNothing) {
  // Nothing read first: the statements go without BEGIN/COMMIT, as one implicit transaction.
  Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("CREATE TABLE items (name text PRIMARY KEY)").ok());
  {
    auto tx = Transaction::Begin(conn);
    ASSERT_TRUE(tx.ok());
    absl::Status s = tx->CommitWith({{"INSERT INTO items VALUES ('a')", {}},
                                     {"INSERT INTO items VALUES ('b')", {}},
                                     {"INSERT INTO items VALUES ('a')", {}}});
    EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  }
  EXPECT_EQ(Count(conn, "items"), 0);
  EXPECT_TRUE(conn.Healthy());  // no transaction left open or failed
  auto tx = Transaction::Begin(conn);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->CommitWith({{"INSERT INTO items VALUES ('a')", {}},
                              {"INSERT INTO items VALUES ('b')", {}}})
                  .ok());
  EXPECT_EQ(Count(conn, "items"), 2);
}

TEST_F(PgTest, UniqueViolationIsAlreadyExists) {
  Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("CREATE TABLE ids (id text PRIMARY KEY)").ok());
  ASSERT_TRUE(conn.Exec("INSERT INTO ids VALUES ($1)", {"a"}).ok());
  auto dup = conn.Exec("INSERT INTO ids VALUES ($1)", {"a"});
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(SqlStateOf(dup.status()), "23505");
  EXPECT_THAT(dup.status().message(), HasSubstr("INSERT INTO ids VALUES"));
  EXPECT_THAT(dup.status().message(), HasSubstr("duplicate key"));
  // ON CONFLICT DO NOTHING reports zero affected rows instead.
  auto again = conn.Exec("INSERT INTO ids VALUES ($1) ON CONFLICT DO NOTHING", {"a"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->affected(), 0);
}

TEST_F(PgTest, SerializationFailureIsAbortedAndRetried) {
  Connection setup = Connect();
  ASSERT_TRUE(setup.Exec("CREATE TABLE acct (v int)").ok());
  ASSERT_TRUE(setup.Exec("INSERT INTO acct VALUES (1)").ok());
  Connection c1 = Connect(), c2 = Connect();
  auto t1 = Transaction::Begin(c1, Isolation::kSerializable);
  auto t2 = Transaction::Begin(c2, Isolation::kSerializable);
  ASSERT_TRUE(t1.ok() && t2.ok());
  // Write skew: each reads the sum and inserts based on it.
  ASSERT_TRUE(t1->Exec("SELECT sum(v) FROM acct").ok());
  ASSERT_TRUE(t2->Exec("SELECT sum(v) FROM acct").ok());
  ASSERT_TRUE(t1->Exec("INSERT INTO acct VALUES (10)").ok());
  ASSERT_TRUE(t2->Exec("INSERT INTO acct VALUES (20)").ok());
  ASSERT_TRUE(t1->Commit().ok());
  absl::Status second = t2->Commit();
  EXPECT_EQ(second.code(), absl::StatusCode::kAborted) << second;
  EXPECT_EQ(SqlStateOf(second), "40001");

  // WithTransaction runs the unit again after such a failure.
  auto pool = Pool::Create({.dsn = dsn_, .size = 2});
  ASSERT_TRUE(pool.ok());
  int attempts = 0;
  absl::Status s = WithTransaction(**pool, [&](Transaction& tx) -> absl::Status {
    ++attempts;
    if (attempts == 1) return absl::AbortedError("simulated serialization failure");
    return tx.Exec("INSERT INTO acct VALUES (30)").status();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(Count(setup, "acct"), 3);
}

std::vector<Migration> TestMigrations() {
  return {
      {2, "add_rows", "INSERT INTO effects (what) VALUES ('m2'); SELECT pg_sleep(0.2);"},
      {1, "create", "CREATE TABLE effects (what text); INSERT INTO effects (what) VALUES ('m1');"},
      {3, "more",
       "ALTER TABLE effects ADD COLUMN n int; INSERT INTO effects (what) VALUES ('m3');"},
  };
}

TEST_F(PgTest, MigrationsApplyOnceWithConcurrentRunners) {
  std::vector<absl::StatusOr<MigrateResult>> results(2, absl::UnknownError("not run"));
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i) {
    runners.emplace_back([&, i] {
      auto conn = Connection::Open(dsn_);
      if (!conn.ok()) {
        results[i] = conn.status();
        return;
      }
      results[i] = Migrate(*conn, TestMigrations());
    });
  }
  for (auto& t : runners) t.join();
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  // Exactly one runner applied all three, in order; the other found nothing to do.
  std::vector<int> all = results[0]->applied;
  all.insert(all.end(), results[1]->applied.begin(), results[1]->applied.end());
  EXPECT_THAT(all, ElementsAre(1, 2, 3));
  EXPECT_EQ(results[0]->current_version, 3);
  EXPECT_EQ(results[1]->current_version, 3);

  Connection conn = Connect();
  EXPECT_EQ(Count(conn, "effects"), 3);
  EXPECT_EQ(Count(conn, "schema_migrations"), 3);
  auto again = Migrate(conn, TestMigrations());
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->applied, IsEmpty());
  EXPECT_EQ(Count(conn, "effects"), 3);
}

TEST_F(PgTest, FailedMigrationLeavesNothingBehind) {
  Connection conn = Connect();
  std::vector<Migration> migrations = {
      {1, "create", "CREATE TABLE a (x int);"},
      {2, "broken", "CREATE TABLE b (x int); INSERT INTO nowhere VALUES (1);"},
  };
  auto result = Migrate(conn, migrations);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(result.status().message(), HasSubstr("migration 2 (broken)"));
  EXPECT_THAT(result.status().message(), HasSubstr("nowhere"));
  EXPECT_EQ(Count(conn, "schema_migrations"), 1);
  EXPECT_FALSE(conn.Exec("SELECT * FROM b").ok());
  // The advisory lock was released: another session can migrate at once.
  Connection other = Connect();
  migrations[1].sql = "CREATE TABLE b (x int);";
  auto fixed = Migrate(other, migrations);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_THAT(fixed->applied, ElementsAre(2));
}

TEST_F(PgTest, MigrationsLoadFromADirectory) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/002_second.sql") << "SELECT 2;";
  std::ofstream(dir.path() + "/001_first.sql") << "SELECT 1;";
  std::ofstream(dir.path() + "/README") << "not a migration";
  auto loaded = LoadMigrations(dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].version, 1);
  EXPECT_EQ((*loaded)[0].name, "first");
  EXPECT_EQ((*loaded)[1].sql, "SELECT 2;");
  std::ofstream(dir.path() + "/x_bad.sql") << "";
  EXPECT_EQ(LoadMigrations(dir.path()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadMigrations(dir.path() + "/none").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PgTest, ListenerReceivesNotificationsAndSurvivesReconnect) {
  auto listener = Listener::Create(dsn_, {"outbox"});
  ASSERT_TRUE(listener.ok()) << listener.status();
  Connection conn = Connect();

  // Nothing pending: waits for the timeout.
  const absl::Time start = absl::Now();
  auto none = (*listener)->Wait(absl::Milliseconds(50));
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));

  // A notification wakes the waiter long before its timeout.
  std::jthread notifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (void)conn.Exec("SELECT pg_notify('outbox', 'p1')");
  });
  const absl::Time before = absl::Now();
  auto got = (*listener)->Wait(absl::Seconds(10));
  notifier.join();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].channel, "outbox");
  EXPECT_EQ((*got)[0].payload, "p1");
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));

  // Interrupt() wakes it too.
  std::jthread interrupter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (*listener)->Interrupt();
  });
  auto woken = (*listener)->Wait(absl::Seconds(10));
  interrupter.join();
  ASSERT_TRUE(woken.ok());
  EXPECT_THAT(*woken, IsEmpty());

  // The listener's connection is killed: one Unavailable, then it listens again.
  ASSERT_TRUE(conn.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")
                  .ok());
  auto lost = (*listener)->Wait(absl::Seconds(5));
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  auto reconnected = (*listener)->Wait(absl::Milliseconds(10));
  ASSERT_TRUE(reconnected.ok()) << reconnected.status();
  ASSERT_TRUE(conn.Exec("NOTIFY outbox, 'p2'").ok());
  auto after = (*listener)->Wait(absl::Seconds(5));
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].payload, "p2");
}

}  // namespace
}  // namespace eda::pg
