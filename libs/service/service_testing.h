// File: service_testing.h
// For tests of a service binary: start it against the test harness's shared PostgreSQL and
// nats-server (a fresh database, free ports, the repository's topology), wait until /readyz
// says ready, restart or stop it by PID; and read a stream's messages back, decoded.
#pragma once

#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "libs/testing/harness.h"

namespace eda::testing {

class ServiceUnderTest final {
 public:
  // `binary_env` names the environment variable holding the binary's path (set by ctest).
  static absl::StatusOr<std::unique_ptr<ServiceUnderTest>> Start(const std::string& binary_env,
                                                                 const std::string& db_prefix);
  // Starts `binary` against a database and a nats-server of the caller's (benchmarks bring a
  // durable PostgreSQL of their own).
  static absl::StatusOr<std::unique_ptr<ServiceUnderTest>> StartWith(const std::string& binary,
                                                                     const std::string& dsn,
                                                                     const std::string& nats_url);
  ~ServiceUnderTest();

  // Stops it with `signal` (SIGTERM: graceful; SIGKILL: a crash) and starts it again on the same
  // ports and database.
  absl::Status Restart(int signal = SIGTERM);
  void Stop(int signal = SIGTERM);

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  std::string grpc_target() const;
  const std::string& dsn() const { return dsn_; }
  // The last lines of its log (stdout and stderr), for failure messages.
  std::string LogTail(int lines = 30) const;

 private:
  ServiceUnderTest() = default;
  absl::Status Launch();

  std::string binary_;
  std::string dsn_;
  std::string nats_url_;
  std::unique_ptr<TempDir> dir_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  std::unique_ptr<Process> process_;
};

// Publishes `body` on `subject` straight to JetStream, bypassing any outbox (for duplicates,
// poison messages, hand-made dead letters), with `headers` (e.g. Nats-Msg-Id). Errors: the
// publish's, NotFound when no stream takes the subject.
absl::Status PublishRaw(messaging::Connection& nats, const std::string& subject,
                        absl::string_view body,
                        const std::map<std::string, std::string>& headers = {});

// Every message stored on `subject` in `stream`, decoded, oldest first (undecodable ones are
// skipped). Errors: NotFound when the stream does not exist.
absl::StatusOr<std::vector<messaging::Message>> StreamMessages(messaging::Connection& nats,
                                                               const std::string& stream,
                                                               const std::string& subject);

}  // namespace eda::testing
