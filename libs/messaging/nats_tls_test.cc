// NATS over TLS against a real nats-server that requires it, with certificates made for the test:
// a client trusting the server's CA connects and publishes; one with another CA, and one without
// TLS, are refused with an error saying so.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "libs/testing/harness.h"

namespace eda::messaging {
namespace {

// A CA and a certificate it signed for 127.0.0.1, in `dir` (ca.pem, server.pem, server.key).
absl::Status MakeCertificates(const std::string& dir, const std::string& ca_name) {
  using Args = std::vector<std::string>;
  const std::string key = "ec_paramgen_curve:prime256v1";
  if (absl::Status s = testing::RunCommand(
          Args{"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", key, "-nodes", "-keyout",
               dir + "/ca.key", "-out", dir + "/ca.pem", "-days", "1", "-subj", "/CN=" + ca_name});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = testing::RunCommand(Args{"openssl", "req", "-newkey", "ec", "-pkeyopt", key,
                                                "-nodes", "-keyout", dir + "/server.key", "-out",
                                                dir + "/server.csr", "-subj", "/CN=127.0.0.1"});
      !s.ok()) {
    return s;
  }
  std::ofstream(dir + "/ext.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  return testing::RunCommand(Args{"openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA",
                                  dir + "/ca.pem", "-CAkey", dir + "/ca.key", "-CAcreateserial",
                                  "-out", dir + "/server.pem", "-days", "1", "-extfile",
                                  dir + "/ext.cnf"});
}

TEST(NatsTlsTest, ConnectsOnlyWithTheServersCa) {
  testing::TempDir certs, other;
  absl::Status made = MakeCertificates(certs.path(), "test-ca");
  ASSERT_TRUE(made.ok()) << made;
  made = MakeCertificates(other.path(), "another-ca");
  ASSERT_TRUE(made.ok()) << made;
  auto server = testing::NatsServer::Start(absl::StrCat("tls {\n  cert_file: \"", certs.path(),
                                                        "/server.pem\"\n  key_file: \"",
                                                        certs.path(), "/server.key\"\n}\n"));
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string url = absl::StrCat("nats://127.0.0.1:", (*server)->port());

  auto conn = Connection::Connect({.url = url, .tls_ca_file = certs.path() + "/ca.pem"});
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE(EnsureStream((*conn)->js(), {.name = "TLS", .subjects = {"tls.>"}}).ok());

  auto untrusted = Connection::Connect({.url = url, .tls_ca_file = other.path() + "/ca.pem"});
  EXPECT_FALSE(untrusted.ok());
  auto plain = Connection::Connect({.url = url});
  EXPECT_FALSE(plain.ok());
  auto missing = Connection::Connect({.url = url, .tls_ca_file = certs.path() + "/nope.pem"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), ::testing::HasSubstr("nope.pem"));
}

}  // namespace
}  // namespace eda::messaging
