// A peer client with its cache fallback against a real peer: the stores binary, called the way
// baskets, depot and search look stores up on a cache miss.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/observability/trace_context.h"
#include "libs/outbox/schema.h"
#include "libs/pg/migrations.h"
#include "libs/service/peers.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/stores/stores_service.grpc.pb.h"

namespace eda::service {
namespace {

using ::testing::StartsWith;
using Stores = storespb::StoresService;

class PeerFallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stores = testing::ServiceUnderTest::Start("STORES_BIN", "stores");
    ASSERT_TRUE(stores.ok()) << stores.status();
    stores_ = *std::move(stores);
    auto dsn = testing::SharedPostgres().CreateDatabase("cache");
    ASSERT_TRUE(dsn.ok());
    auto conn = pg::Connection::Open(*dsn);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(pg::Migrate(*conn, outbox::PlatformMigrations()).ok());
    ASSERT_TRUE(conn->Exec("CREATE TABLE stores_cache (id text PRIMARY KEY, name text)").ok());
    auto pool = pg::Pool::Create({.dsn = *dsn, .size = 2});
    ASSERT_TRUE(pool.ok());
    pool_ = *std::move(pool);
    client_ = std::make_unique<PeerClient<Stores>>(
        Peer("stores", stores_->grpc_target(), absl::Seconds(2)));
  }

  std::string CreateStore(const std::string& name) {
    storespb::CreateStoreRequest req;
    req.set_name(name);
    req.set_location("Level 1");
    auto resp = client_->Call(&Stores::Stub::CreateStore, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->id() : "";
  }

  // The lookup baskets makes: stores_cache, else GetStore, remembered in the cache.
  CachedLookup<storespb::Store> Lookup() {
    return CachedLookup<storespb::Store>(
        {.what = "store",
         .find = [](outbox::UnitOfWork& uow,
                    const std::string& id) -> absl::StatusOr<std::optional<storespb::Store>> {
           EDA_ASSIGN_OR_RETURN(auto r,
                                uow.tx().Exec("SELECT name FROM stores_cache WHERE id = $1", {id}));
           if (r.rows() == 0) return std::nullopt;
           storespb::Store s;
           s.set_id(id);
           s.set_name(std::string(r.Text(0, 0)));
           return s;
         },
         .fetch = [this](const std::string& id) -> absl::StatusOr<storespb::Store> {
           ++fetches_;
           storespb::GetStoreRequest req;
           req.set_id(id);
           EDA_ASSIGN_OR_RETURN(auto resp, client_->Call(&Stores::Stub::GetStore, req));
           return resp.store();
         },
         .remember =
             [](outbox::UnitOfWork& uow, const storespb::Store& s) {
               uow.Defer("INSERT INTO stores_cache VALUES ($1, $2) ON CONFLICT DO NOTHING",
                         {s.id(), s.name()});
             }});
  }

  absl::StatusOr<storespb::Store> Get(const std::string& id) {
    std::optional<absl::StatusOr<storespb::Store>> out;
    absl::Status s = outbox::RunUnitOfWork(*pool_, [&](outbox::UnitOfWork& uow) {
      out.emplace(Lookup().Get(uow, id));
      return out->status();
    });
    if (!s.ok()) return s;
    return *out;
  }

  std::unique_ptr<testing::ServiceUnderTest> stores_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PeerClient<Stores>> client_;
  int fetches_ = 0;
};

TEST_F(PeerFallbackTest, AMissAsksThePeerOnceThenTheCacheAnswers) {
  const std::string id = CreateStore("Waldorf Hardware");
  auto first = Get(id);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->name(), "Waldorf Hardware");
  EXPECT_EQ(fetches_, 1);
  stores_->Stop();  // the cache answers without the peer
  auto second = Get(id);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->name(), "Waldorf Hardware");
  EXPECT_EQ(fetches_, 1);
}

TEST_F(PeerFallbackTest, AnUnknownIdIsNotFoundAndNothingIsCached) {
  auto missing = Get(NewUuid());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "store fallback failed: store was not located");
  auto conn = pg::Connection::Open(pool_->dsn());
  EXPECT_EQ(*conn->Exec("SELECT count(*) FROM stores_cache")->Int(0, 0), 0);
}

TEST_F(PeerFallbackTest, ThePeersOwnErrorsKeepTheirCode) {
  auto bad = Get("not-a-uuid");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "store fallback failed: the store id must be a UUID");
}

TEST_F(PeerFallbackTest, AnUnreachablePeerIsUnavailableAndNamed) {
  const std::string target = stores_->grpc_target();
  stores_->Stop();
  auto down = Get(NewUuid());
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(down.status().message()),
              StartsWith("store fallback failed: peer stores at " + target + " is unreachable"));
}

TEST_F(PeerFallbackTest, APeerBackAfterALongOutageIsReachedWithinASecondOrTwo) {
  // gRPC's default reconnect back-off grows to minutes (1 s x 1.6 per attempt): after 20 s down,
  // the next attempt would come 4-8 s after the peer is back, every call failing meanwhile. Peer
  // channels try again at most a second apart.
  ASSERT_FALSE(CreateStore("Before").empty());
  stores_->Stop();
  const absl::Time down = absl::Now();
  while (absl::Now() - down < absl::Seconds(20)) {
    EXPECT_EQ(client_->Call(&Stores::Stub::GetStores, storespb::GetStoresRequest()).status().code(),
              absl::StatusCode::kUnavailable);
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(stores_->Restart().ok());
  const absl::Time back = absl::Now();
  absl::Status last;
  while (absl::Now() - back < absl::Seconds(15)) {
    last = client_->Call(&Stores::Stub::GetStores, storespb::GetStoresRequest()).status();
    if (last.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(last.ok()) << last;
  EXPECT_LT(absl::Now() - back, absl::Seconds(3));
}

TEST_F(PeerFallbackTest, CallsCarryTheCallersTrace) {
  const obs::SpanContext span = obs::SpanContext::NewRoot();
  {
    obs::ScopedSpan scope(span);
    ASSERT_FALSE(CreateStore("Traced").empty());
  }
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return stores_->LogTail(5).find(span.TraceIdHex()) != std::string::npos; },
      absl::Seconds(5)))
      << stores_->LogTail();
}

TEST_F(PeerFallbackTest, APeerThatNeverAnswersTimesOut) {
  // A socket that listens but never speaks: without the deadline the call would hang.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string target = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  PeerClient<Stores> silent(Peer("stores", target, absl::Milliseconds(300)));
  const absl::Time start = absl::Now();
  auto r = silent.Call(&Stores::Stub::GetStores, storespb::GetStoresRequest());
  ::close(fd);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_EQ(r.status().message(),
            absl::StrCat("peer stores at ", target, " did not answer within 300ms"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace eda::service
