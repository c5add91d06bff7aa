#include "libs/testing/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"

namespace eda::testing {
namespace {

constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin";

std::string ReadAll(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ReadTail(const std::string& file, size_t max_bytes = 4000) {
  std::string s = ReadAll(file);
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

absl::Status WriteFile(const std::string& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  out.close();
  return out ? absl::OkStatus() : absl::InternalError("cannot write " + file);
}

// Runs `statements` one after the other on a connection to `dsn`.
absl::Status ExecAll(const std::string& dsn, const std::vector<std::string>& statements) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  absl::Status status;
  if (PQstatus(conn) != CONNECTION_OK) {
    status = absl::InternalError(absl::StrCat("postgres connect: ", PQerrorMessage(conn)));
  }
  for (const std::string& sql : statements) {
    if (!status.ok()) break;
    PGresult* res = PQexec(conn, sql.c_str());
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      status = absl::InternalError(absl::StrCat(sql, ": ", PQerrorMessage(conn)));
    }
    PQclear(res);
  }
  PQfinish(conn);
  return status;
}

// The postmaster of `data_dir` has finished starting: its lock file says "ready", which it only
// does once it listens on every address it was given (failing to bind is fatal).
bool PostmasterReady(const std::string& data_dir) {
  std::vector<std::string> lines = absl::StrSplit(ReadAll(data_dir + "/postmaster.pid"), '\n');
  return lines.size() > 7 && absl::StripAsciiWhitespace(lines[7]) == "ready";
}

// The client port nats-server `pid` reported in its ports file in `dir` (written once it listens:
// {"nats":["nats://127.0.0.1:PORT"],...}, tls:// when it requires TLS), or 0 while there is none.
int ReportedNatsPort(const std::string& dir, pid_t pid) {
  const std::string suffix = absl::StrCat("_", pid, ".ports");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!absl::EndsWith(entry.path().filename().string(), suffix)) continue;
    const std::string text = ReadAll(entry.path().string());
    size_t url = text.find("\"nats://");
    if (url == std::string::npos) url = text.find("\"tls://");
    if (url == std::string::npos) return 0;
    const size_t end = text.find('"', url + 1);
    const size_t colon = text.rfind(':', end);
    int port = 0;
    if (end == std::string::npos || colon == std::string::npos || colon < url ||
        !absl::SimpleAtoi(text.substr(colon + 1, end - colon - 1), &port)) {
      return 0;  // not completely written yet
    }
    return port;
  }
  return 0;
}

bool TcpAnswers(int port, const std::string& expect_prefix) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  if (ok && !expect_prefix.empty()) {
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[16] = {};
    ssize_t n = recv(fd, buf, expect_prefix.size(), MSG_WAITALL);
    ok = n == static_cast<ssize_t>(expect_prefix.size()) && expect_prefix == std::string(buf, n);
  }
  close(fd);
  return ok;
}

}  // namespace

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string SourceDir() {
  const char* dir = std::getenv("EDA_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

bool WaitUntil(const std::function<bool()>& pred, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!pred()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* p = mkdtemp(tmpl.data());
  path_ = p != nullptr ? p : "";
  chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(const std::vector<std::string>& argv,
                                                        const Options& options) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // Child: own process group, output to the log, drop privileges if asked, exec.
    setpgid(0, 0);
    int fd = open(options.log_file.empty() ? "/dev/null" : options.log_file.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.gid.has_value() && (setgroups(0, nullptr) != 0 || setgid(*options.gid) != 0)) {
      _exit(126);
    }
    if (options.uid.has_value() && setuid(*options.uid) != 0) _exit(126);
    // A test that crashes or is killed must not leave its servers behind. (Set after the
    // credential change, which clears it.)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(125);
    execvp(args[0], args.data());
    _exit(127);
  }
  return std::unique_ptr<Process>(new Process(pid));
}

Process::~Process() { Stop(); }

bool Process::Running() {
  if (reaped_) return false;
  const pid_t r = waitpid(pid_, &wait_status_, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) reaped_ = true;
  return !reaped_;
}

int Process::Wait() {
  if (!reaped_) {
    waitpid(pid_, &wait_status_, 0);
    reaped_ = true;
  }
  return wait_status_;
}

int Process::Stop(int signal, absl::Duration grace) {
  if (!Running()) return wait_status_;
  kill(pid_, signal);
  if (!WaitUntil([this] { return !Running(); }, grace)) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
    reaped_ = true;
  }
  return wait_status_;
}

absl::Status RunCommand(const std::vector<std::string>& argv, const Process::Options& options) {
  TempDir dir("eda-cmd");
  Process::Options opts = options;
  if (opts.log_file.empty()) opts.log_file = dir.path() + "/out.log";
  auto process = Process::Start(argv, opts);
  if (!process.ok()) return process.status();
  const int status = (*process)->Wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), " failed (status ", status,
                                            "):\n", ReadTail(opts.log_file)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CommandOutput(const std::vector<std::string>& argv) {
  TempDir dir("eda-cmd");
  const std::string out = dir.path() + "/stdout";
  std::vector<std::string> wrapped = {"/bin/sh", "-c", "exec \"$@\" > \"$0\"", out};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  absl::Status s = RunCommand(wrapped);
  if (!s.ok()) return s;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(const Options& options) {
  std::unique_ptr<PostgresServer> pg(new PostgresServer());
  pg->options_ = options;
  pg->dir_ = std::make_unique<TempDir>("eda-pg");
  pg->data_dir_ = pg->dir_->path() + "/data";
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr)
      return absl::FailedPreconditionError("running as root needs a postgres user");
    pg->uid_ = pw->pw_uid;
    pg->gid_ = pw->pw_gid;
    if (chown(pg->dir_->path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError("chown of the test cluster directory failed");
    }
  }
  Process::Options as_pg{.log_file = "", .uid = pg->uid_, .gid = pg->gid_};
  absl::Status init =
      RunCommand({absl::StrCat(kPgBin, "/initdb"), "-D", pg->data_dir_, "-U", "postgres", "-A",
                  "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"},
                 as_pg);
  if (!init.ok()) return init;
  // As the local stack: the superuser without a password (here over loopback TCP, for the
  // harness's and the tests' own connections; the stack uses its private socket), every other
  // role with its password.
  EDA_RETURN_IF_ERROR(WriteFile(pg->data_dir_ + "/pg_hba.conf",
                                "host all postgres 127.0.0.1/32 trust\n"
                                "host all all 127.0.0.1/32 scram-sha-256\n"));
  // PostgreSQL cannot bind port 0 and report its choice: a port free a moment ago, and another
  // one when the bind fails because someone took it meanwhile.
  for (int attempt = 0; attempt < 3; ++attempt) {
    pg->port_ = PickFreePort();
    absl::Status s = pg->Launch();
    if (s.ok()) return pg;
    if (attempt == 2) return s;
  }
  return absl::InternalError("unreachable");
}

absl::Status PostgresServer::Launch() {
  const std::string log = dir_->path() + "/postgres.log";  // opened by the child before setuid
  std::vector<std::string> argv = {absl::StrCat(kPgBin, "/postgres"),
                                   "-D",
                                   data_dir_,
                                   "-p",
                                   std::to_string(port_),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "unix_socket_directories=",
                                   "-c",
                                   "max_connections=200"};
  if (!options_.durable) {
    for (const char* setting : {"fsync=off", "full_page_writes=off", "synchronous_commit=off"}) {
      argv.insert(argv.end(), {"-c", setting});
    }
  }
  auto process = Process::Start(argv, {.log_file = log, .uid = uid_, .gid = gid_});
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  const std::string dsn = Dsn();
  // Ours answers (not another server that holds the port: ours would then exit).
  const bool up = WaitUntil(
      [&] {
        return !process_->Running() ||
               (PostmasterReady(data_dir_) && PQping(dsn.c_str()) == PQPING_OK);
      },
      absl::Seconds(30));
  if (!up || !process_->Running()) {
    process_.reset();
    return absl::InternalError(absl::StrCat("postgres did not start:\n", ReadTail(log)));
  }
  return absl::OkStatus();
}

PostgresServer::~PostgresServer() { Stop(); }

std::string PostgresServer::Dsn(const std::string& database) const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=", database,
                      " connect_timeout=5");
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(const std::string& prefix) {
  const std::string name = absl::StrCat(prefix, "_", RandomHex(6));
  PGconn* conn = PQconnectdb(Dsn().c_str());
  PGresult* res = PQexec(conn, absl::StrCat("CREATE DATABASE ", name).c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string error = PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!ok) return absl::InternalError("CREATE DATABASE failed: " + error);
  return Dsn(name);
}

absl::StatusOr<std::string> PostgresServer::CreateServiceDatabase(const std::string& service) {
  if (service.empty() || !std::all_of(service.begin(), service.end(), [](char c) {
        return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
      })) {
    return absl::InvalidArgumentError("not a service name: '" + service + "'");
  }
  std::vector<std::string> statements;
  if (role_passwords_.empty()) {
    // The maintenance databases are for the superuser only (the services' roles reach nothing
    // but their own databases).
    statements = {"REVOKE CONNECT ON DATABASE postgres FROM PUBLIC",
                  "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC"};
  }
  auto [role, created] = role_passwords_.try_emplace(service, RandomHex(12));
  if (created) {
    statements.push_back(absl::StrCat("CREATE ROLE \"", service, "\" LOGIN PASSWORD '",
                                      role->second, "' NOSUPERUSER NOCREATEDB NOCREATEROLE"));
  }
  const std::string db = absl::StrCat("mallbots_", service, "_", RandomHex(4));
  statements.insert(
      statements.end(),
      {absl::StrCat("CREATE DATABASE \"", db, "\" OWNER \"", service, "\""),
       absl::StrCat("REVOKE ALL ON DATABASE \"", db, "\" FROM PUBLIC"),
       absl::StrCat("GRANT CONNECT, TEMPORARY ON DATABASE \"", db, "\" TO \"", service, "\"")});
  absl::Status s = ExecAll(Dsn(), statements);
  if (!s.ok()) {
    if (created) role_passwords_.erase(role);
    return s;
  }
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=", service, " password=", role->second,
                      " dbname=", db, " connect_timeout=5");
}

void PostgresServer::Stop() {
  if (process_ != nullptr) process_->Stop(SIGINT, absl::Seconds(30));  // SIGINT = fast shutdown
  process_.reset();
}

namespace {

// Starts a stopped server again on its old port: a moment may pass before the old process's port
// is free, so a failed start is tried again a few times.
absl::Status LaunchAgain(const std::function<absl::Status()>& launch) {
  absl::Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    s = launch();
    if (s.ok()) return s;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return s;
}

}  // namespace

absl::Status PostgresServer::Restart() {
  Stop();
  // The same port (clients know its DSN).
  return LaunchAgain([this] { return Launch(); });
}

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::Start(const std::string& config) {
  return StartWith([config](int port, const std::string& store) -> absl::StatusOr<std::string> {
    return absl::StrCat(config, "\nlisten: \"127.0.0.1:", port, "\"\njetstream {\n  store_dir: \"",
                        store, "\"\n}\n");
  });
}

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::StartWith(const ConfigFn& make_config) {
  std::unique_ptr<NatsServer> nats(new NatsServer());
  nats->make_config_ = make_config;
  nats->dir_ = std::make_unique<TempDir>("eda-nats");
  nats->config_file_ = nats->dir_->path() + "/nats.conf";
  nats->ports_dir_ = nats->dir_->path() + "/ports";
  std::error_code ec;
  if (!std::filesystem::create_directory(nats->ports_dir_, ec)) {
    return absl::InternalError("cannot create " + nats->ports_dir_);
  }
  // Port -1: nats-server binds a free port itself and reports it in its ports file.
  EDA_RETURN_IF_ERROR(nats->WriteConfig(-1));
  EDA_RETURN_IF_ERROR(nats->Launch());
  // From now on the configuration names the port it chose, for restarts.
  EDA_RETURN_IF_ERROR(nats->WriteConfig(nats->port_));
  return nats;
}

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::StartFromTopology(
    const std::string& topology_file) {
  const std::string topology =
      topology_file.empty() ? SourceDir() + "/deploy/topology.conf" : topology_file;
  const std::string script = SourceDir() + "/deploy/local/gen-nats-conf.sh";
  auto secrets = std::make_unique<TempDir>("eda-nats-secrets");
  const std::string secrets_dir = secrets->path();
  EDA_ASSIGN_OR_RETURN(
      std::unique_ptr<NatsServer> nats,
      StartWith([script, topology, secrets_dir](int port, const std::string& store) {
        // The passwords are generated on the first run and reused by later ones (restarts).
        return CommandOutput({"bash", script, "--topology", topology, "--secrets", secrets_dir,
                              "--port", std::to_string(port), "--store", store});
      }));
  nats->secrets_ = std::move(secrets);
  return nats;
}

absl::StatusOr<std::vector<std::unique_ptr<NatsServer>>> NatsServer::StartClusterFromTopology(
    int nodes, const std::string& topology_file) {
  const std::string topology =
      topology_file.empty() ? SourceDir() + "/deploy/topology.conf" : topology_file;
  const std::string script = SourceDir() + "/deploy/local/gen-nats-conf.sh";
  auto secrets = std::make_shared<TempDir>("eda-nats-secrets");
  std::vector<int> cluster_ports;
  while (static_cast<int>(cluster_ports.size()) < nodes) {
    const int port = PickFreePort();
    if (std::find(cluster_ports.begin(), cluster_ports.end(), port) == cluster_ports.end()) {
      cluster_ports.push_back(port);
    }
  }
  std::vector<std::unique_ptr<NatsServer>> servers;
  for (int i = 0; i < nodes; ++i) {
    std::vector<std::string> routes;
    for (int j = 0; j < nodes; ++j) {
      if (j != i) routes.push_back(absl::StrCat("nats://127.0.0.1:", cluster_ports[j]));
    }
    const std::vector<std::string> cluster = {"--server-name",  absl::StrCat("node-", i),
                                              "--cluster-port", std::to_string(cluster_ports[i]),
                                              "--routes",       absl::StrJoin(routes, ",")};
    EDA_ASSIGN_OR_RETURN(
        std::unique_ptr<NatsServer> nats,
        StartWith([script, topology, secrets, cluster](int port, const std::string& store) {
          std::vector<std::string> argv = {
              "bash",          script,   "--topology",         topology,  "--secrets",
              secrets->path(), "--port", std::to_string(port), "--store", store};
          argv.insert(argv.end(), cluster.begin(), cluster.end());
          return CommandOutput(argv);
        }));
    nats->secrets_ = secrets;
    servers.push_back(std::move(nats));
  }
  // JetStream serves in a cluster once the nodes have elected a meta leader (a node that joins
  // after the election says nothing of it).
  const bool formed = WaitUntil(
      [&] {
        for (const auto& server : servers) {
          if (ReadTail(server->dir() + "/nats-server.log", 1 << 20)
                  .find("Self is new JetStream cluster metadata leader") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(60));
  if (!formed) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the NATS cluster elected no JetStream meta leader within 60 s:\n", servers[0]->LogTail()));
  }
  return servers;
}

std::string NatsServer::ClusterUrl(const std::vector<std::unique_ptr<NatsServer>>& nodes) {
  std::vector<std::string> urls;
  for (const auto& node : nodes) urls.push_back(node->url());
  return absl::StrJoin(urls, ",");
}

absl::Status NatsServer::WriteConfig(int port) {
  EDA_ASSIGN_OR_RETURN(std::string config, make_config_(port, dir_->path() + "/js"));
  return WriteFile(config_file_, absl::StrCat(config, "\nports_file_dir: \"", ports_dir_, "\"\n"));
}

absl::Status NatsServer::Launch() {
  const std::string log = dir_->path() + "/nats-server.log";
  auto process = Process::Start({"nats-server", "-c", config_file_}, {.log_file = log});
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  int reported = 0;
  const bool up = WaitUntil(
      [&] {
        if (!process_->Running()) return true;
        reported = ReportedNatsPort(ports_dir_, process_->pid());
        return reported > 0 && TcpAnswers(reported, "INFO");
      },
      absl::Seconds(30));
  if (!up || !process_->Running()) {
    process_.reset();
    return absl::InternalError(absl::StrCat("nats-server did not start:\n", ReadTail(log)));
  }
  port_ = reported;
  return absl::OkStatus();
}

NatsServer::~NatsServer() { Stop(); }

std::string NatsServer::url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

std::string NatsServer::Password(const std::string& user) const {
  if (secrets_ == nullptr) return "";
  return ReadAll(secrets_->path() + "/nats-" + user + ".pass");
}

void NatsServer::Stop(int signal) {
  if (process_ != nullptr) process_->Stop(signal, absl::Seconds(10));
  process_.reset();
}

std::string NatsServer::LogTail(int lines) const {
  const std::string text = ReadTail(dir_->path() + "/nats-server.log");
  size_t at = text.size();
  for (int i = 0; i <= lines && at != std::string::npos && at > 0; ++i)
    at = text.rfind('\n', at - 1);
  return at == std::string::npos ? text : text.substr(at + 1);
}

absl::Status NatsServer::Restart() {
  Stop();
  // The same port and store (clients know its URL).
  return LaunchAgain([this] { return Launch(); });
}

namespace {

// The server, or the reason it could not start printed and the process ended with status 1.
template <typename T>
std::unique_ptr<T> OrExit(absl::StatusOr<std::unique_ptr<T>> server, const char* what) {
  if (!server.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, server.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(server);
}

}  // namespace

PostgresServer& SharedPostgres() {
  static std::unique_ptr<PostgresServer> server = OrExit(PostgresServer::Start(), "postgres");
  return *server;
}

NatsServer& SharedNats() {
  static std::unique_ptr<NatsServer> server = OrExit(NatsServer::Start(), "nats-server");
  return *server;
}

NatsServer& SharedStackNats() {
  static std::unique_ptr<NatsServer> server =
      OrExit(NatsServer::StartFromTopology(), "nats-server (stack configuration)");
  return *server;
}

}  // namespace eda::testing
