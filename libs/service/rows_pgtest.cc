// Read-model rows into protobuf messages, against a real PostgreSQL's results.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/service/rows.h"
#include "libs/testing/harness.h"
#include "proto/admin/admin_service.pb.h"

namespace eda::service {
namespace {

using ::testing::HasSubstr;

class RowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = pg::Connection::Open(testing::SharedPostgres().Dsn());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::make_unique<pg::Connection>(*std::move(conn));
  }
  pg::Result Query(const std::string& sql) {
    auto r = conn_->Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    return *std::move(r);
  }
  std::unique_ptr<pg::Connection> conn_;
};

TEST_F(RowsTest, ColumnsSetTheFieldsOfTheirName) {
  pg::Result r = Query(
      "SELECT * FROM (VALUES ('stores', 104::bigint), ('customers', NULL)) AS t(service, "
      "schema_version) ORDER BY service DESC");
  auto infos = RowsAs<adminpb::GetInfoResponse>(r);
  ASSERT_TRUE(infos.ok()) << infos.status();
  ASSERT_EQ(infos->size(), 2u);
  EXPECT_EQ((*infos)[0].service(), "stores");
  EXPECT_EQ((*infos)[0].schema_version(), 104);
  EXPECT_EQ((*infos)[1].schema_version(), 0);  // NULL leaves the field unset
  auto outbox = RowAs<adminpb::GetOutboxResponse>(
      Query("SELECT 3 AS unpublished, 12.5000::decimal(9,4) AS oldest_unpublished_seconds"), 0);
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  EXPECT_EQ(outbox->unpublished(), 3);
  EXPECT_DOUBLE_EQ(outbox->oldest_unpublished_seconds(), 12.5);
}

TEST_F(RowsTest, AColumnWithoutAFieldOrAValueThatDoesNotFitIsAnError) {
  auto extra = RowAs<adminpb::GetInfoResponse>(Query("SELECT 'x' AS service, 1 AS colour"), 0);
  EXPECT_EQ(extra.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(extra.status().message()),
              HasSubstr("column colour has no field in adminpb.GetInfoResponse"));
  auto misfit = RowAs<adminpb::GetInfoResponse>(Query("SELECT 'many' AS schema_version"), 0);
  EXPECT_THAT(std::string(misfit.status().message()),
              HasSubstr("column schema_version ('many') does not fit"));
}

}  // namespace
}  // namespace eda::service
