// File: harness.h
// Real servers for integration tests: a private PostgreSQL cluster and nats-server, each started
// on a free loopback port in a temporary directory and stopped by PID when the owner is destroyed.
// nats-server picks its port itself (port -1) and reports it; PostgreSQL cannot, so the harness
// picks one and tries another when the bind fails. Works as root (PostgreSQL then runs as the
// `postgres` user, as it refuses root) and as an ordinary user.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace eda::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, released).
// Check-then-use: only for a server that cannot bind port 0 and report its choice, and then with
// a retry on a bind failure (PostgreSQL does so here).
int PickFreePort();

// The source tree's root (EDA_SOURCE_DIR, set by ctest), for reading deploy/ and migrations.
std::string SourceDir();

// Polls `pred` every few milliseconds until it is true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& pred, absl::Duration timeout);

// A directory removed (recursively) when destroyed.
class TempDir final {
 public:
  explicit TempDir(const std::string& prefix = "eda-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A child process, stopped (SIGTERM, then SIGKILL after the grace period) by its PID.
class Process final {
 public:
  struct Options {
    std::string log_file;      // stdout and stderr go here ("" = /dev/null)
    std::optional<uid_t> uid;  // run as this user (requires root)
    std::optional<gid_t> gid;
  };
  static absl::StatusOr<std::unique_ptr<Process>> Start(const std::vector<std::string>& argv,
                                                        const Options& options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // Blocks until the process exits; returns its wait status.
  int Wait();
  // Sends `signal`, waits up to `grace` for the exit, then SIGKILLs. Returns the wait status.
  int Stop(int signal = 15, absl::Duration grace = absl::Seconds(10));

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
  int wait_status_ = 0;
};

// Runs a command to completion. Errors: Internal with its output when it exits non-zero.
absl::Status RunCommand(const std::vector<std::string>& argv, const Process::Options& options = {});
// Runs a command to completion and returns its standard output.
absl::StatusOr<std::string> CommandOutput(const std::vector<std::string>& argv);

class PostgresServer final {
 public:
  struct Options {
    bool durable = false;  // false: fsync off (tests); true: production durability (benchmarks)
  };
  // initdb + postgres on a free port of 127.0.0.1. The superuser `postgres` logs in without a
  // password (the harness's and the tests' own connections); every other role by password, as
  // the service roles of the local stack do. Errors: Internal with the server's log when it does
  // not come up (a port taken meanwhile is retried on another).
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start() { return Start(Options{}); }
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(const Options& options);
  ~PostgresServer();

  int port() const { return port_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // DSN of the superuser on `database`.
  std::string Dsn(const std::string& database = "postgres") const;
  // Creates a fresh database with a unique name and returns its DSN.
  absl::StatusOr<std::string> CreateDatabase(const std::string& prefix = "test");
  // Provisions a database for `service` as deploy/local/stack.sh does: a role named after the
  // service (created on first use, with a generated password; no superuser, createdb or
  // createrole), owning a fresh database `mallbots_<service>_<random>` that only it may connect
  // to; the maintenance databases are closed to it. Returns the role's DSN (with its password).
  // Errors: InvalidArgument for a name that is not [a-z0-9_]+, Internal for a failed statement.
  absl::StatusOr<std::string> CreateServiceDatabase(const std::string& service);

  // Stops the server (fast shutdown) / starts it again on the same port and data.
  void Stop();
  absl::Status Restart();

 private:
  PostgresServer() = default;
  absl::Status Launch();

  std::unique_ptr<TempDir> dir_;
  std::string data_dir_;
  int port_ = 0;
  std::optional<uid_t> uid_;
  std::optional<gid_t> gid_;
  Options options_;
  std::map<std::string, std::string> role_passwords_;  // service roles created so far
  std::unique_ptr<Process> process_;
};

class NatsServer final {
 public:
  // Starts nats-server with JetStream. `config` is nats-server configuration text; the harness
  // appends `listen` and `jetstream { store_dir }` (so it must not set them). Empty: no auth.
  static absl::StatusOr<std::unique_ptr<NatsServer>> Start(const std::string& config = "");
  // Starts nats-server with a complete configuration made by `make_config` for a port and a
  // JetStream store directory. The port is -1 on the first start (nats-server binds a free port
  // and reports it through the ports file the harness asks for) and the port it chose on a
  // restart. The harness appends `ports_file_dir`, so the configuration must not set it.
  using ConfigFn = std::function<absl::StatusOr<std::string>(int port, const std::string& store)>;
  static absl::StatusOr<std::unique_ptr<NatsServer>> StartWith(const ConfigFn& make_config);
  // Starts nats-server configured exactly as the local stack's: deploy/local/gen-nats-conf.sh
  // over `topology_file` (default: the repository's deploy/topology.conf), with one user per
  // service of the topology and an `admin` user, their passwords generated into a temporary
  // directory (see Password()).
  static absl::StatusOr<std::unique_ptr<NatsServer>> StartFromTopology(
      const std::string& topology_file = "");
  // Starts `nodes` nats-servers configured as StartFromTopology's (the same users and
  // passwords), clustered on loopback: unique server names, routes to one another, a JetStream
  // store each. Returns once a node's log shows it leads JetStream's meta group (a stream with
  // as many replicas as nodes may take a moment more: every node must have joined). Each node
  // stops and restarts on its own (a node lost and back); ClusterUrl() lists them for clients.
  static absl::StatusOr<std::vector<std::unique_ptr<NatsServer>>> StartClusterFromTopology(
      int nodes, const std::string& topology_file = "");
  static std::string ClusterUrl(const std::vector<std::unique_ptr<NatsServer>>& nodes);
  ~NatsServer();

  int port() const { return port_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  std::string url() const;
  const std::string& dir() const { return dir_->path(); }
  // The password of `user` (a service of the topology, or "admin") of a server started by
  // StartFromTopology; "" for a server without users.
  std::string Password(const std::string& user) const;

  // Stops the server / starts it again on the same port with the same JetStream store. The port
  // stays because clients reconnect to the URL they know: it was ours until the stop, and a
  // bind failure (someone took it meanwhile) is retried for a while.
  // SIGKILL: a node lost, not shut down.
  void Stop(int signal = SIGTERM);
  absl::Status Restart();
  // The last lines of its log.
  std::string LogTail(int lines = 20) const;

 private:
  NatsServer() = default;
  absl::Status WriteConfig(int port);
  absl::Status Launch();

  std::unique_ptr<TempDir> dir_;
  std::shared_ptr<TempDir> secrets_;  // StartFromTopology: nats-<user>.pass files
  ConfigFn make_config_;
  std::string config_file_;
  std::string ports_dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// Servers shared by all the tests of one binary: started on first use, stopped when the process
// exits. If one cannot start, the reason is printed and the binary exits with status 1.
PostgresServer& SharedPostgres();
// Without users: for tests of the libraries, on subjects and streams of their own.
NatsServer& SharedNats();
// Configured as the local stack's (NatsServer::StartFromTopology): for service binaries, which
// connect as their own users, and the tests observing them, which connect as `admin`.
NatsServer& SharedStackNats();

}  // namespace eda::testing
