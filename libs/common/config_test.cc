#include "libs/common/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eda {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, FlagsOverrideEnvironmentAndMapToVariables) {
  setenv("EDA_CONFIG_TEST_PORT", "1000", 1);
  setenv("EDA_CONFIG_TEST_NAME", "from-env", 1);
  const char* argv[] = {"prog", "--eda-config-test-port=2000", "--eda-config-test-flag", "yes"};
  Config config(4, argv);
  EXPECT_EQ(config.Int("EDA_CONFIG_TEST_PORT", 1, 0, 65535), 2000);
  EXPECT_EQ(config.String("EDA_CONFIG_TEST_NAME", "default"), "from-env");
  EXPECT_TRUE(config.Bool("EDA_CONFIG_TEST_FLAG", false));
  EXPECT_EQ(config.String("EDA_CONFIG_TEST_UNSET", "default"), "default");
  EXPECT_TRUE(config.Check().ok());
}

TEST(ConfigTest, MissingRequiredValueNamesTheVariableAndFlag) {
  Config config(std::map<std::string, std::string>{});
  EXPECT_EQ(config.RequiredString("PG_CONN"), "");
  absl::Status s = config.Check();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("PG_CONN (flag --pg-conn): is required but not set"));
}

TEST(ConfigTest, MalformedValuesAreAllReported) {
  Config config({{"GRPC_PORT", "90x"},
                 {"HTTP_PORT", "70000"},
                 {"SHUTDOWN_TIMEOUT", "soon"},
                 {"TLS", "maybe"}});
  EXPECT_EQ(config.Int("GRPC_PORT", 9000, 0, 65535), 9000);
  config.Int("HTTP_PORT", 8080, 0, 65535);
  config.Duration("SHUTDOWN_TIMEOUT", absl::Seconds(30));
  config.Bool("TLS", false);
  absl::Status s = config.Check();
  EXPECT_THAT(s.message(), HasSubstr("GRPC_PORT (flag --grpc-port): '90x' is not an integer"));
  EXPECT_THAT(s.message(), HasSubstr("HTTP_PORT (flag --http-port): 70000 is out of range"));
  EXPECT_THAT(s.message(), HasSubstr("SHUTDOWN_TIMEOUT (flag --shutdown-timeout): 'soon'"));
  EXPECT_THAT(s.message(), HasSubstr("TLS (flag --tls): 'maybe' is not a boolean"));
}

TEST(ConfigTest, DurationsUseGoSyntax) {
  Config config({{"A", "1m30s"}, {"B", "250ms"}, {"C", "0"}});
  EXPECT_EQ(config.Duration("A", absl::ZeroDuration()), absl::Seconds(90));
  EXPECT_EQ(config.Duration("B", absl::ZeroDuration()), absl::Milliseconds(250));
  EXPECT_EQ(config.Duration("C", absl::Seconds(5)), absl::ZeroDuration());
  EXPECT_TRUE(config.Check().ok());
}

TEST(ConfigTest, PortsAcceptALeadingColon) {
  Config config({{"RPC_PORT", ":9001"}, {"WEB_PORT", "8081"}, {"BAD_PORT", "70000"}});
  EXPECT_EQ(config.Port("RPC_PORT", 9000), 9001);
  EXPECT_EQ(config.Port("WEB_PORT", 8080), 8081);
  EXPECT_EQ(config.Port("BAD_PORT", 1), 1);
  EXPECT_THAT(config.Check().message(),
              HasSubstr("BAD_PORT (flag --bad-port): '70000' is not a port"));
}

TEST(ConfigTest, UnknownFlagsAreReported) {
  const char* argv[] = {"prog", "--rcp-port=1", "--rpc-port=2"};
  Config config(3, argv);
  EXPECT_EQ(config.Int("RPC_PORT", 9000, 0, 65535), 2);
  EXPECT_THAT(config.Check().message(), HasSubstr("unknown flag --rcp-port=1"));
}

TEST(ConfigTest, StrayArgumentsAndFlagsWithoutValueAreErrors) {
  const char* argv[] = {"prog", "positional", "--grpc-port"};
  Config config(3, argv);
  absl::Status s = config.Check();
  EXPECT_THAT(s.message(), HasSubstr("unexpected argument 'positional'"));
  EXPECT_THAT(s.message(), HasSubstr("flag --grpc-port needs a value"));
}

}  // namespace
}  // namespace eda
