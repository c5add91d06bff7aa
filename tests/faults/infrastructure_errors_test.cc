// What a client sees when the inside fails, against the customers binary and its real database:
// infrastructure failures come back as UNAVAILABLE or INTERNAL with a generic message naming the
// call's trace id (no host, port, database name or SQL), the detail goes to the service's log,
// and after the database comes back the first call succeeds.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/pg/connection.h"
#include "libs/service/service_fixture.h"
#include "libs/testing/harness.h"
#include "proto/customers/customers_service.grpc.pb.h"

namespace eda {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Stub = customerspb::CustomersService::Stub;

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";  // kTestTraceparent's

class InfrastructureErrorsTest : public testing::ServiceFixture<customerspb::CustomersService> {
 protected:
  static void SetUpTestSuite() { StartService("CUSTOMERS_BIN", "customers"); }

  void SetUp() override {
    ServiceFixture::SetUp();
    const std::string& dsn = service_->dsn();
    const size_t at = dsn.find("dbname=");
    ASSERT_NE(at, std::string::npos) << dsn;
    database_ = dsn.substr(at + 7, dsn.find(' ', at) - at - 7);
    auto admin = pg::Connection::Open(testing::SharedPostgres().Dsn());
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = std::make_unique<pg::Connection>(*std::move(admin));
  }
  void TearDown() override {
    (void)Admin(absl::StrCat("ALTER DATABASE ", database_, " ALLOW_CONNECTIONS true"));
    (void)Admin("DROP TRIGGER IF EXISTS refuse ON customers", /*in_service_db=*/true);
    (void)Admin("DROP FUNCTION IF EXISTS refuse()", /*in_service_db=*/true);
  }

  // Makes every INSERT into customers fail with `errcode` and `message`.
  void RefuseInserts(const std::string& errcode, const std::string& message) {
    ASSERT_TRUE(Admin(absl::StrCat("CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE "
                                   "plpgsql AS $$ BEGIN RAISE EXCEPTION '",
                                   message, "' USING ERRCODE = '", errcode, "'; END $$"),
                      true)
                    .ok());
    ASSERT_TRUE(Admin("CREATE OR REPLACE TRIGGER refuse BEFORE INSERT ON customers FOR EACH ROW "
                      "EXECUTE FUNCTION refuse()",
                      true)
                    .ok());
  }

  absl::Status Admin(const std::string& sql, bool in_service_db = false) {
    if (!in_service_db) return admin_->Exec(sql).status();
    auto conn = pg::Connection::Open(testing::SharedPostgres().Dsn(database_));
    if (!conn.ok()) return conn.status();
    return conn->Exec(sql).status();
  }
  // Ends every session of the service's database, as a restart of PostgreSQL would, and waits
  // until they are gone (the service may open new ones meanwhile: its relay reconnects).
  void DropSessions() {
    auto killed = admin_->Exec(
        absl::StrCat("SELECT coalesce(string_agg(pid::text, ','), '') FROM (SELECT pid, "
                     "pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '",
                     database_, "' AND pid <> pg_backend_pid()) AS t"));
    ASSERT_TRUE(killed.ok()) << killed.status();
    const std::string pids(killed->Text(0, 0));
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          auto r = admin_->Exec(absl::StrCat(
              "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY('{", pids, "}'::int[])"));
          return r.ok() && *r->Int(0, 0) == 0;
        },
        absl::Seconds(10)));
  }
  grpc::Status Register() {
    customerspb::RegisterCustomerRequest req;
    req.set_name("Ada");
    req.set_sms_number("555-0100");
    customerspb::RegisterCustomerResponse resp;
    return Call(&Stub::RegisterCustomer, req, &resp);
  }
  // No detail of the inside reaches the client.
  void ExpectNothingLeaks(const std::string& message) {
    for (const std::string& secret :
         {database_, std::string("127.0.0.1"), absl::StrCat(testing::SharedPostgres().port()),
          std::string("INSERT"), std::string("customers"), std::string("postgres"),
          std::string("refused by trigger")}) {
      EXPECT_THAT(message, Not(HasSubstr(secret)));
    }
  }

  std::string database_;
  std::unique_ptr<pg::Connection> admin_;
};

TEST_F(InfrastructureErrorsTest, ADatabaseRefusingConnectionsIsUnavailableWithATraceReference) {
  ASSERT_TRUE(Admin(absl::StrCat("ALTER DATABASE ", database_, " ALLOW_CONNECTIONS false")).ok());
  DropSessions();
  grpc::Status s = Register();
  EXPECT_EQ(s.error_code(), grpc::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(s.error_message(), absl::StrCat("the service is temporarily unavailable; try again "
                                            "(trace ",
                                            kTraceId, ")"));
  ExpectNothingLeaks(s.error_message());
  // The operator finds the detail under the trace id, on one line.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        for (absl::string_view line : absl::StrSplit(service_->LogTail(40), '\n')) {
          if (absl::StrContains(line, "not currently accepting connections") &&
              absl::StrContains(line, kTraceId)) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(5)))
      << service_->LogTail();
}

// A database outage makes the service unready, not dead: /readyz and the gRPC health service
// say so (load balancers and Kubernetes' readiness stop sending it calls), /healthz stays
// 200 (no restart), and both come back with the database.
TEST_F(InfrastructureErrorsTest, ADatabaseOutageMakesTheServiceUnreadyNotDead) {
  httplib::Client ops("127.0.0.1", service_->http_port());
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(service_->grpc_target(), grpc::InsecureChannelCredentials()));
  auto serving = [&](const std::string& name) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(name);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  };
  auto readyz = [&] {
    auto r = ops.Get("/readyz");
    return r ? r->status : -1;
  };
  using grpc::health::v1::HealthCheckResponse;
  // Ready to begin with (the health probe may still see an outage of the test before).
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return serving("customerspb.CustomersService") == HealthCheckResponse::SERVING; },
      absl::Seconds(10)));
  ASSERT_EQ(readyz(), 200);

  ASSERT_TRUE(Admin(absl::StrCat("ALTER DATABASE ", database_, " ALLOW_CONNECTIONS false")).ok());
  DropSessions();
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return serving("customerspb.CustomersService") == HealthCheckResponse::NOT_SERVING; },
      absl::Seconds(10)));
  EXPECT_EQ(serving(""), HealthCheckResponse::NOT_SERVING);
  auto body = ops.Get("/readyz");
  ASSERT_TRUE(body);
  EXPECT_EQ(body->status, 503);
  EXPECT_THAT(body->body, HasSubstr("postgres"));
  EXPECT_EQ(ops.Get("/healthz")->status, 200);

  ASSERT_TRUE(Admin(absl::StrCat("ALTER DATABASE ", database_, " ALLOW_CONNECTIONS true")).ok());
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return serving("customerspb.CustomersService") == HealthCheckResponse::SERVING; },
      absl::Seconds(10)));
  EXPECT_EQ(serving(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(readyz(), 200);
}

TEST_F(InfrastructureErrorsTest, TheFirstCallAfterTheDatabaseCameBackSucceeds) {
  ASSERT_TRUE(Register().ok());  // the pool holds an idle connection
  DropSessions();
  grpc::Status s = Register();
  EXPECT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
}

TEST_F(InfrastructureErrorsTest, AnSqlErrorIsInternalWithoutItsSql) {
  RefuseInserts("P0001", "refused by trigger");
  grpc::Status s = Register();
  EXPECT_EQ(s.error_code(), grpc::INTERNAL) << s.error_message();
  EXPECT_EQ(s.error_message(), absl::StrCat("internal error (trace ", kTraceId, ")"));
  ExpectNothingLeaks(s.error_message());
  ASSERT_TRUE(Admin("DROP TRIGGER refuse ON customers", true).ok());
  EXPECT_TRUE(Register().ok());
}

TEST_F(InfrastructureErrorsTest, AConflictLeftAfterTheRetriesIsAbortedWithoutItsSql) {
  RefuseInserts("40001", "refused by trigger");  // a serialization failure, every time
  grpc::Status s = Register();
  EXPECT_EQ(s.error_code(), grpc::ABORTED) << s.error_message();
  EXPECT_EQ(s.error_message(),
            absl::StrCat("the change conflicted with concurrent changes; try again (trace ",
                         kTraceId, ")"));
  ExpectNothingLeaks(s.error_message());
}

TEST_F(InfrastructureErrorsTest, ValidationAndNotFoundKeepTheirMessages) {
  customerspb::RegisterCustomerRequest req;
  customerspb::RegisterCustomerResponse resp;
  grpc::Status s = Call(&Stub::RegisterCustomer, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the customer name cannot be blank");
  customerspb::GetCustomerRequest get;
  get.set_id("6f1c2d3e-0000-4000-8000-000000000001");
  customerspb::GetCustomerResponse got;
  s = Call(&Stub::GetCustomer, get, &got);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "customer 6f1c2d3e-0000-4000-8000-000000000001 not found");
}

}  // namespace
}  // namespace eda
