#include "libs/service/service_testing.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/streams.h"
#include "libs/messaging/subjects.h"

namespace eda::testing {
namespace {

struct Ports {
  int grpc = 0;
  int http = 0;
  int admin = 0;
};

// The ports of the "service ready" line the runtime logs once it serves (JSON log format), in
// what `log` holds from byte `from` on; nullopt while there is none.
std::optional<Ports> ReadyPorts(const std::string& log, std::streamoff from) {
  std::ifstream in(log);
  in.seekg(from);
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"service ready\"") == std::string::npos) continue;
    google::protobuf::Struct entry;
    if (!google::protobuf::util::JsonStringToMessage(line, &entry).ok()) continue;
    const auto& top = entry.fields();
    if (!top.contains("msg") || top.at("msg").string_value() != "service ready" ||
        !top.contains("fields")) {
      continue;
    }
    const auto& fields = top.at("fields").struct_value().fields();
    auto port = [&](const char* key) {
      return fields.contains(key) ? static_cast<int>(fields.at(key).number_value()) : 0;
    };
    Ports ports{.grpc = port("grpc_port"), .http = port("http_port"), .admin = port("admin_port")};
    if (ports.grpc > 0 && ports.http > 0) return ports;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceUnderTest>> ServiceUnderTest::Start(
    const std::string& binary_env, const std::string& service, std::vector<std::string> args) {
  const char* binary = std::getenv(binary_env.c_str());
  if (binary == nullptr) {
    return absl::FailedPreconditionError(binary_env + " is not set (ctest sets it)");
  }
  return StartWith(binary, service, SharedPostgres(), SharedStackNats(), std::move(args));
}

absl::StatusOr<std::unique_ptr<ServiceUnderTest>> ServiceUnderTest::StartWith(
    const std::string& binary, const std::string& service, PostgresServer& pg, NatsServer& nats,
    std::vector<std::string> args) {
  std::unique_ptr<ServiceUnderTest> s(new ServiceUnderTest());
  s->binary_ = binary;
  s->service_ = service;
  s->args_ = std::move(args);
  EDA_ASSIGN_OR_RETURN(s->dsn_, pg.CreateServiceDatabase(service));
  s->nats_url_ = nats.url();
  s->nats_password_ = nats.Password(service);
  s->dir_ = std::make_unique<TempDir>("eda-service");
  EDA_RETURN_IF_ERROR(s->Launch());
  return s;
}

absl::StatusOr<std::unique_ptr<ServiceUnderTest>> ServiceUnderTest::StartOn(
    const std::string& binary, const std::string& service, const Backing& backing,
    std::vector<std::string> args) {
  std::unique_ptr<ServiceUnderTest> s(new ServiceUnderTest());
  s->binary_ = binary;
  s->service_ = service;
  s->args_ = std::move(args);
  s->dsn_ = backing.dsn;
  s->nats_url_ = backing.nats_url;
  s->nats_password_ = backing.nats_password;
  s->dir_ = std::make_unique<TempDir>("eda-service");
  EDA_RETURN_IF_ERROR(s->Launch());
  return s;
}

ServiceUnderTest::~ServiceUnderTest() { Stop(); }

absl::Status ServiceUnderTest::Launch() {
  const std::string log = dir_->path() + "/service.log";
  std::error_code ec;
  const auto size = std::filesystem::file_size(log, ec);
  const std::streamoff from = ec ? 0 : static_cast<std::streamoff>(size);  // earlier runs' lines
  // As deploy/local/service-env.sh sets it up, but on ports the service binds itself (port 0),
  // except the gRPC port of a restart.
  std::vector<std::string> argv = {binary_,
                                   "--service-name=" + service_,
                                   "--pg-conn=" + dsn_,
                                   "--nats-url=" + nats_url_,
                                   "--rpc-host=127.0.0.1",
                                   absl::StrCat("--rpc-port=", grpc_port_),
                                   "--web-host=127.0.0.1",
                                   "--web-port=0",
                                   "--admin-port=0",
                                   "--topology-file=" + SourceDir() + "/deploy/topology.conf",
                                   "--log-format=json"};
  if (!nats_password_.empty()) {
    argv.insert(argv.end(), {"--nats-user=" + service_, "--nats-password=" + nats_password_});
  }
  argv.insert(argv.end(), args_.begin(), args_.end());
  EDA_ASSIGN_OR_RETURN(process_, Process::Start(argv, {.log_file = log}));
  std::optional<Ports> ports;
  WaitUntil(
      [&] {
        if (!process_->Running()) return true;
        ports = ReadyPorts(log, from);
        return ports.has_value();
      },
      absl::Seconds(30));
  bool ready = false;
  if (ports.has_value()) {
    grpc_port_ = ports->grpc;
    http_port_ = ports->http;
    admin_port_ = ports->admin;
    httplib::Client ops("127.0.0.1", http_port_);
    ready = WaitUntil(
        [&] {
          auto r = ops.Get("/readyz");
          return (r && r->status == 200) || !process_->Running();
        },
        absl::Seconds(30));
  }
  if (!ready || !process_->Running()) {
    return absl::InternalError(absl::StrCat(binary_, " did not become ready:\n", LogTail()));
  }
  return absl::OkStatus();
}

absl::Status ServiceUnderTest::Restart(int signal) {
  Stop(signal);
  // The gRPC port stays (check-then-use, unlike the first start): clients hold channels to it. It
  // was the service's until the stop; should something else have taken it meanwhile, the bind
  // fails and the start is tried again a few times.
  absl::Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    s = Launch();
    // Only an exit (as on a failed bind) is worth another try; a service that hangs is not.
    if (s.ok() || (process_ != nullptr && process_->Running())) return s;
    Stop(SIGKILL);
    absl::SleepFor(absl::Milliseconds(200));
  }
  return s;
}

void ServiceUnderTest::Stop(int signal) {
  if (process_ != nullptr) process_->Stop(signal);
  process_.reset();
}

pid_t ServiceUnderTest::pid() const { return process_ != nullptr ? process_->pid() : -1; }

void ServiceUnderTest::Signal(int signal) {
  if (process_ != nullptr) ::kill(process_->pid(), signal);
}

std::unique_ptr<adminpb::AdminService::Stub> ServiceUnderTest::AdminStub() const {
  return adminpb::AdminService::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", admin_port_),
                                                            grpc::InsecureChannelCredentials()));
}

std::string ServiceUnderTest::grpc_target() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

std::string ServiceUnderTest::LogTail(int lines) const {
  auto log = CommandOutput({"tail", "-n", std::to_string(lines), dir_->path() + "/service.log"});
  return log.ok() ? *log : std::string(log.status().message());
}

double ServiceUnderTest::Metric(absl::string_view series) const {
  httplib::Client ops("127.0.0.1", http_port_);
  auto r = ops.Get("/metrics");
  return r && r->status == 200 ? MetricValue(r->body, series) : 0;
}

absl::StatusOr<std::unique_ptr<messaging::Connection>> ConnectAsAdmin(const NatsServer& nats) {
  const std::string password = nats.Password("admin");
  return messaging::Connection::Connect({.url = nats.url(),
                                         .user = password.empty() ? "" : "admin",
                                         .password = password,
                                         .name = "test-admin"});
}

absl::Status PublishRaw(messaging::Connection& nats, const std::string& subject,
                        absl::string_view body, const std::map<std::string, std::string>& headers) {
  natsMsg* raw = nullptr;
  natsMsg_Create(&raw, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
  messaging::NatsMsgPtr msg(raw);
  for (const auto& [key, value] : headers) natsMsgHeader_Set(raw, key.c_str(), value.c_str());
  jsPubAck* ack = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_PublishMsg(&ack, nats.js(), raw, nullptr, &jerr);
  jsPubAck_Destroy(ack);
  return s == NATS_OK ? absl::OkStatus() : messaging::FromNats(s, "publishing on " + subject, jerr);
}

absl::StatusOr<std::vector<messaging::Message>> StreamMessages(messaging::Connection& nats,
                                                               const std::string& stream,
                                                               const std::string& subject) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = jsErrCode(0);
  EDA_RETURN_IF_ERROR(messaging::FromNats(
      js_GetStreamInfo(&si, nats.js(), stream.c_str(), nullptr, &jerr), "stream info", jerr));
  const uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  std::vector<messaging::Message> out;
  for (uint64_t seq = first; seq <= last && seq > 0; ++seq) {
    natsMsg* raw = nullptr;
    if (js_GetMsg(&raw, nats.js(), stream.c_str(), seq, nullptr, &jerr) != NATS_OK) continue;
    messaging::NatsMsgPtr msg(raw);
    if (!messaging::SubjectMatches(subject, natsMsg_GetSubject(raw))) continue;
    absl::StatusOr<messaging::Message> m = messaging::DecodeEnvelope(
        natsMsg_GetSubject(raw),
        absl::string_view(natsMsg_GetData(raw), static_cast<size_t>(natsMsg_GetDataLength(raw))));
    if (m.ok()) out.push_back(*std::move(m));
  }
  return out;
}

double MetricValue(absl::string_view text, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() <= series.size() || !absl::StartsWith(line, series) ||
        line[series.size()] != ' ') {
      continue;
    }
    std::vector<absl::string_view> parts =
        absl::StrSplit(line.substr(series.size() + 1), ' ', absl::SkipEmpty());
    double value = 0;
    if (!parts.empty() && absl::SimpleAtod(parts[0], &value)) return value;
  }
  return 0;
}

absl::StatusOr<std::vector<std::string>> TopologyPeersOf(const std::string& service) {
  EDA_ASSIGN_OR_RETURN(messaging::Topology topology,
                       messaging::Topology::Load(SourceDir() + "/deploy/topology.conf"));
  return topology.PeersOf(service);
}

}  // namespace eda::testing
