// File: service_testing.h
// For tests of a service binary: start it as `make up` runs it (its own NATS user on a
// nats-server configured from the topology, its own PostgreSQL role owning only its database,
// ports of its own choosing read back from its log), wait until /readyz says ready, restart or
// stop it by PID; connect as the NATS admin to observe; and read a stream's messages back.
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
#include "proto/admin/admin_service.grpc.pb.h"

namespace eda::testing {

class ServiceUnderTest final {
 public:
  // Starts the binary named by the environment variable `binary_env` (set by ctest) as `service`
  // (its name in the topology: stores, customers, ...) against the shared PostgreSQL and the
  // shared stack-configured nats-server (SharedStackNats). `args` are added to its command line
  // (e.g. --rpc-services=STORES=host:port for a service that calls a peer).
  static absl::StatusOr<std::unique_ptr<ServiceUnderTest>> Start(
      const std::string& binary_env, const std::string& service,
      std::vector<std::string> args = {});
  // Starts `binary` as `service` against servers of the caller's (benchmarks bring a durable
  // PostgreSQL): a fresh database owned by the service's role (CreateServiceDatabase), and the
  // NATS user `service` with its password when `nats` has users (StartFromTopology).
  static absl::StatusOr<std::unique_ptr<ServiceUnderTest>> StartWith(
      const std::string& binary, const std::string& service, PostgresServer& pg, NatsServer& nats,
      std::vector<std::string> args = {});
  // Starts `binary` as `service` on a database and NATS servers given: a replica of a service
  // already running on them (the same database and NATS user), or a service on a NATS cluster
  // (`nats_url` lists its servers, comma-separated).
  struct Backing {
    std::string dsn;
    std::string nats_url;
    std::string nats_password;  // of the NATS user `service`; empty: a server without users
  };
  static absl::StatusOr<std::unique_ptr<ServiceUnderTest>> StartOn(
      const std::string& binary, const std::string& service, const Backing& backing,
      std::vector<std::string> args = {});
  ~ServiceUnderTest();

  // Stops it with `signal` (SIGTERM: graceful; SIGKILL: a crash) and starts it again on the same
  // database and gRPC port (clients keep their channels to it); the ops and admin ports are
  // chosen anew.
  absl::Status Restart(int signal = SIGTERM);
  // The same, with `args` instead of the command line's added arguments from now on.
  absl::Status Restart(int signal, std::vector<std::string> args) {
    args_ = std::move(args);
    return Restart(signal);
  }
  void Stop(int signal = SIGTERM);
  // Sends `signal` without waiting for anything: SIGSTOP freezes it (a hung process, or one slow
  // to answer its messages), SIGCONT lets it go on.
  void Signal(int signal);

  pid_t pid() const;  // -1 while stopped
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  int admin_port() const { return admin_port_; }
  std::string grpc_target() const;
  // A client of its admin API (adminpb.AdminService) at its current admin port.
  std::unique_ptr<adminpb::AdminService::Stub> AdminStub() const;
  // The DSN the service connects with (its own role).
  const std::string& dsn() const { return dsn_; }
  // The last lines of its log (stdout and stderr), for failure messages.
  std::string LogTail(int lines = 30) const;
  // The value of one of its metrics as /metrics exposes it now (MetricValue); 0 when absent.
  double Metric(absl::string_view series) const;

 private:
  ServiceUnderTest() = default;
  absl::Status Launch();

  std::string binary_;
  std::string service_;
  std::string dsn_;
  std::string nats_url_;
  std::string nats_password_;  // empty: a nats-server without users
  std::vector<std::string> args_;
  std::unique_ptr<TempDir> dir_;
  int grpc_port_ = 0;  // 0 until the first start reported it
  int http_port_ = 0;
  int admin_port_ = 0;
  std::unique_ptr<Process> process_;
};

// Connects to `nats` as its admin user (without authentication when it has no users): the
// connection tests observe streams with, publish raw messages on and provision what no service
// of theirs owns.
absl::StatusOr<std::unique_ptr<messaging::Connection>> ConnectAsAdmin(const NatsServer& nats);

// Publishes `body` on `subject` straight to JetStream, bypassing any outbox (for duplicates,
// poison messages, hand-made dead letters), with `headers` (e.g. Nats-Msg-Id). Errors: the
// publish's, NotFound when no stream takes the subject.
absl::Status PublishRaw(messaging::Connection& nats, const std::string& subject,
                        absl::string_view body,
                        const std::map<std::string, std::string>& headers = {});

// Every message stored on `subject` (a subject or a pattern: ">" for all) in `stream`, its
// envelope decoded, oldest first (undecodable ones are skipped). Errors: NotFound when the stream
// does not exist.
absl::StatusOr<std::vector<messaging::Message>> StreamMessages(messaging::Connection& nats,
                                                               const std::string& stream,
                                                               const std::string& subject);

// The value of the Prometheus sample `series` (name and labels exactly as exposed, e.g.
// `messaging_consumer_duplicates_total{consumer="c",name="n"}`) in exposition `text`; 0 when
// absent.
double MetricValue(absl::string_view text, absl::string_view series);

// The peers `service` calls, from the checkout's deploy/topology.conf (its `call` lines), for
// tests that start several services and give each its peers' addresses.
absl::StatusOr<std::vector<std::string>> TopologyPeersOf(const std::string& service);

}  // namespace eda::testing
