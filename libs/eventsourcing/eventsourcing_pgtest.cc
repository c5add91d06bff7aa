// Event store and repository against a real PostgreSQL: optimistic concurrency, snapshots,
// NOT_FOUND, upcasting and in-transaction domain-event handlers.
#include <atomic>
#include <thread>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/eventsourcing/repository.h"
#include "libs/eventsourcing/store.h"
#include "libs/outbox/schema.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/pg/migrations.h"
#include "libs/testing/harness.h"

namespace eda::es {
namespace {

using ::testing::HasSubstr;

// A toy domain: a named counter.
struct Opened {
  std::string name;
};
struct Added {
  int64_t amount;
};
using CounterEvent = std::variant<Opened, Added>;
struct CounterState {
  std::string name;
  int64_t total = 0;
};

class Counter final : public Aggregate<CounterEvent> {
 public:
  static constexpr char kType[] = "test.Counter";
  using Snapshot = CounterState;
  explicit Counter(std::string id) : Aggregate(std::move(id)) {}

  static Counter Open(std::string id, std::string name) {
    Counter c(std::move(id));
    c.Raise(Opened{std::move(name)});
    return c;
  }
  absl::Status Add(int64_t amount) {
    if (amount <= 0) return absl::InvalidArgumentError("amount must be positive");
    Raise(Added{amount});
    return absl::OkStatus();
  }
  const CounterState& state() const { return state_; }
  int applied() const { return applied_; }
  const CounterState& TakeSnapshot() const { return state_; }
  void Restore(const CounterState& s) { state_ = s; }

 private:
  void When(const CounterEvent& e) override {
    ++applied_;
    if (const auto* o = std::get_if<Opened>(&e)) state_.name = o->name;
    if (const auto* a = std::get_if<Added>(&e)) state_.total += a->amount;
  }
  CounterState state_;
  int applied_ = 0;  // events applied since construction (shows what a load replayed)
};

// Version 1 of "test.Added" stored the amount as "n"; version 2 as "amount=n".
EventCodec<CounterEvent> Codec() {
  return {.encode =
              [](const CounterEvent& e) {
                if (const auto* o = std::get_if<Opened>(&e))
                  return StoredEvent{.name = "test.Opened", .payload = o->name};
                return StoredEvent{.name = "test.Added",
                                   .version = 2,
                                   .payload = absl::StrCat("amount=", std::get<Added>(e).amount)};
              },
          .decode = [](const StoredEvent& s) -> absl::StatusOr<CounterEvent> {
            if (s.name == "test.Opened") return CounterEvent(Opened{s.payload});
            if (s.name == "test.Added") {
              absl::string_view text = s.payload;
              if (s.version >= 2) {
                if (!absl::ConsumePrefix(&text, "amount="))
                  return absl::DataLossError("bad Added v2");
              }  // version 1: the bare number (upcast here)
              int64_t n = 0;
              if (!absl::SimpleAtoi(text, &n)) return absl::DataLossError("bad Added payload");
              return CounterEvent(Added{n});
            }
            return absl::DataLossError(absl::StrCat("unknown event ", s.name));
          }};
}

SnapshotCodec<CounterState> SnapCodec() {
  return {.encode =
              [](const CounterState& s) {
                return StoredSnapshot{.name = "test.CounterV1",
                                      .payload = absl::StrCat(s.name, "|", s.total)};
              },
          .decode = [](const StoredSnapshot& s) -> absl::StatusOr<CounterState> {
            std::vector<std::string> parts = absl::StrSplit(s.payload, '|');
            CounterState st;
            st.name = parts.at(0);
            if (!absl::SimpleAtoi(parts.at(1), &st.total))
              return absl::DataLossError("bad snapshot");
            return st;
          }};
}

class EventSourcingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dsn = testing::SharedPostgres().CreateDatabase();
    ASSERT_TRUE(dsn.ok());
    auto conn = pg::Connection::Open(*dsn);
    ASSERT_TRUE(pg::Migrate(*conn, outbox::PlatformMigrations()).ok());
    ASSERT_TRUE(conn->Exec("CREATE TABLE totals (id text PRIMARY KEY, total bigint)").ok());
    auto pool = pg::Pool::Create({.dsn = *dsn, .size = 4});
    ASSERT_TRUE(pool.ok());
    pool_ = *std::move(pool);
  }
  absl::Status Create(const Repository<Counter>& repo, const std::string& id, int adds) {
    return outbox::RunUnitOfWork(*pool_, [&](outbox::UnitOfWork& uow) -> absl::Status {
      Counter c = Counter::Open(id, "visits");
      for (int i = 1; i <= adds; ++i) EDA_RETURN_IF_ERROR(c.Add(i));
      return repo.Save(uow.tx(), c);
    });
  }
  std::unique_ptr<pg::Pool> pool_;
};

TEST_F(EventSourcingTest, SaveThenLoadRebuildsTheState) {
  Repository<Counter> repo(Codec());
  ASSERT_TRUE(Create(repo, "c1", 3).ok());
  auto tx = pg::Transaction::Begin(*pool_);
  auto c = repo.Load(*tx, "c1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state().name, "visits");
  EXPECT_EQ(c->state().total, 6);
  EXPECT_EQ(c->version(), 4);
  EXPECT_TRUE(c->pending().empty());
}

TEST_F(EventSourcingTest, UnknownIdIsNotFound) {
  Repository<Counter> repo(Codec());
  auto tx = pg::Transaction::Begin(*pool_);
  auto c = repo.Load(*tx, "missing");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("test.Counter missing not found"));
}

TEST_F(EventSourcingTest, ConcurrentAppendsYieldOneAborted) {
  Repository<Counter> repo(Codec());
  ASSERT_TRUE(Create(repo, "c1", 0).ok());
  auto tx1 = pg::Transaction::Begin(*pool_);
  auto tx2 = pg::Transaction::Begin(*pool_);
  auto a = repo.Load(*tx1, "c1");
  auto b = repo.Load(*tx2, "c1");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->Add(1).ok());
  ASSERT_TRUE(b->Add(2).ok());
  ASSERT_TRUE(repo.Save(*tx1, *a).ok());
  std::atomic<bool> committed{false};
  std::jthread first([&] {
    absl::SleepFor(absl::Milliseconds(100));  // b's append waits on a's row until a commits
    committed = tx1->Commit().ok();
  });
  absl::Status second = repo.Save(*tx2, *b);
  first.join();
  EXPECT_TRUE(committed);
  EXPECT_EQ(second.code(), absl::StatusCode::kAborted) << second;
  EXPECT_THAT(second.message(), HasSubstr("changed concurrently"));
}

TEST_F(EventSourcingTest, RetryHelperResolvesConflicts) {
  Repository<Counter> repo(Codec());
  ASSERT_TRUE(Create(repo, "c1", 0).ok());
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        absl::Status s = outbox::RunUnitOfWork(
            *pool_,
            [&](outbox::UnitOfWork& uow) -> absl::Status {
              EDA_ASSIGN_OR_RETURN(Counter c, repo.Load(uow.tx(), "c1"));
              EDA_RETURN_IF_ERROR(c.Add(1));
              return repo.Save(uow.tx(), c);
            },
            20);
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto tx = pg::Transaction::Begin(*pool_);
  auto c = repo.Load(*tx, "c1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state().total, 40);
  EXPECT_EQ(c->version(), 41);
}

TEST_F(EventSourcingTest, DeferredAppendsConflictAtCommitAsAborted) {
  // Saved through a unit of work's deferring writer, the append goes out with the COMMIT: the
  // conflict surfaces there, still as Aborted, and nothing of the losing unit of work stays.
  Repository<Counter> repo(Codec());
  ASSERT_TRUE(Create(repo, "c1", 0).ok());
  auto first = outbox::UnitOfWork::Begin(*pool_);
  auto second = outbox::UnitOfWork::Begin(*pool_);
  ASSERT_TRUE(first.ok() && second.ok());
  auto a = repo.Load(first->tx(), "c1");
  auto b = repo.Load(second->tx(), "c1");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->Add(1).ok());
  ASSERT_TRUE(b->Add(2).ok());
  ASSERT_TRUE(repo.Save(first->Deferred(), *a).ok());
  ASSERT_TRUE(repo.Save(second->Deferred(), *b).ok());  // nothing sent yet
  second->Defer("INSERT INTO totals (id, total) VALUES ('c1', 2)", {});
  ASSERT_TRUE(first->Commit().ok());
  absl::Status lost = second->Commit();
  EXPECT_EQ(lost.code(), absl::StatusCode::kAborted) << lost;
  EXPECT_THAT(lost.message(), HasSubstr("changed concurrently"));
  auto conn = pg::Connection::Open(pool_->dsn());
  EXPECT_EQ(*conn->Exec("SELECT count(*) FROM totals")->Int(0, 0), 0);

  // Through the retry helper the loser runs again and wins.
  ASSERT_TRUE(outbox::RunUnitOfWork(*pool_, [&](outbox::UnitOfWork& uow) -> absl::Status {
                EDA_ASSIGN_OR_RETURN(Counter c, repo.Load(uow.tx(), "c1"));
                EDA_RETURN_IF_ERROR(c.Add(2));
                return repo.Save(uow.Deferred(), c);
              }).ok());
  auto tx = pg::Transaction::Begin(*pool_);
  auto c = repo.Load(*tx, "c1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state().total, 3);
  EXPECT_EQ(c->version(), 3);
}

TEST_F(EventSourcingTest, SnapshotPlusTailEqualsFullReplay) {
  Repository<Counter> with_snapshots(Codec(), SnapCodec(), {.snapshot_every = 3});
  Repository<Counter> replay_only(Codec());
  ASSERT_TRUE(Create(with_snapshots, "c1", 0).ok());
  for (int i = 1; i <= 10; ++i) {  // one event per save: versions 2..11
    ASSERT_TRUE(outbox::RunUnitOfWork(*pool_, [&](outbox::UnitOfWork& uow) -> absl::Status {
                  EDA_ASSIGN_OR_RETURN(Counter c, with_snapshots.Load(uow.tx(), "c1"));
                  EDA_RETURN_IF_ERROR(c.Add(i));
                  return with_snapshots.Save(uow.tx(), c);
                }).ok());
  }
  auto tx = pg::Transaction::Begin(*pool_);
  auto snap = LoadSnapshot(*tx, "c1", Counter::kType);
  ASSERT_TRUE(snap.ok() && snap->has_value());
  EXPECT_EQ((*snap)->stream_version, 9);  // last multiple of 3 reached
  auto fast = with_snapshots.Load(*tx, "c1");
  auto full = replay_only.Load(*tx, "c1");
  ASSERT_TRUE(fast.ok() && full.ok());
  EXPECT_EQ(fast->state().total, full->state().total);
  EXPECT_EQ(fast->state().name, full->state().name);
  EXPECT_EQ(fast->version(), full->version());
  EXPECT_EQ(fast->version(), 11);
  EXPECT_EQ(fast->applied(), 2);   // snapshot at 9, then events 10 and 11
  EXPECT_EQ(full->applied(), 11);  // every event
}

TEST_F(EventSourcingTest, OlderEventVersionsAreUpcast) {
  Repository<Counter> repo(Codec());
  ASSERT_TRUE(Create(repo, "c1", 0).ok());
  {
    auto tx = pg::Transaction::Begin(*pool_);
    std::vector<StoredEvent> old = {
        StoredEvent{.name = "test.Added", .version = 1, .payload = "41"}};
    ASSERT_TRUE(AppendEvents(*tx, "c1", Counter::kType, 1, old).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = pg::Transaction::Begin(*pool_);
  auto c = repo.Load(*tx, "c1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state().total, 41);
}

TEST_F(EventSourcingTest, SavedEventsAreProjectedAndPublishedInTheSameUnitOfWork) {
  bool fail = false;
  EventSourcedStore<Counter> store(
      Repository<Counter>(Codec(), {.noun = "counter"}),
      {.project =
           [](outbox::UnitOfWork& uow, const std::string& id, const CounterEvent& e) {
             if (const auto* a = std::get_if<Added>(&e)) {
               uow.Defer(
                   "INSERT INTO totals VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET total = "
                   "totals.total + $2",
                   {id, a->amount});
             }
           },
       .integrate = [&](const std::string&,
                        const CounterEvent& e) -> std::optional<messaging::Message> {
         if (!std::holds_alternative<Added>(e)) return std::nullopt;  // a private event
         // Without a subject the outbox refuses it: the whole unit of work fails.
         return messaging::Message{
             .id = NewUuid(), .name = "test.CounterAdded", .subject = fail ? "" : "test.added"};
       }});
  auto add = [&](int64_t n) {
    return outbox::RunUnitOfWork(*pool_, [&](outbox::UnitOfWork& uow) -> absl::Status {
      BoundRepository<Counter> counters(store, uow);
      Counter c = Counter::Open("c-" + std::to_string(n), "x");
      EDA_RETURN_IF_ERROR(c.Add(n));
      return counters.Save(c);
    });
  };
  ASSERT_TRUE(add(5).ok());
  fail = true;
  EXPECT_EQ(add(7).code(), absl::StatusCode::kInvalidArgument);
  auto tx = pg::Transaction::Begin(*pool_);
  auto totals = tx->Exec("SELECT count(*), sum(total) FROM totals");
  EXPECT_EQ(*totals->Int(0, 0), 1);
  EXPECT_EQ(*totals->Int(0, 1), 5);
  auto outbox = tx->Exec("SELECT count(*) FROM outbox WHERE name = 'test.CounterAdded'");
  EXPECT_EQ(*outbox->Int(0, 0), 1);
  // The failed unit left no events either; an unknown id is NotFound with the store's noun.
  auto uow = outbox::UnitOfWork::Begin(*pool_);
  ASSERT_TRUE(uow.ok());
  auto missing = store.Load(*uow, "c-7");
  EXPECT_EQ(missing.status().message(), "counter c-7 not found");
}

}  // namespace
}  // namespace eda::es
