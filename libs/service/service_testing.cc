#include "libs/service/service_testing.h"

#include <httplib.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"

namespace eda::testing {

absl::StatusOr<std::unique_ptr<ServiceUnderTest>> ServiceUnderTest::Start(
    const std::string& binary_env, const std::string& db_prefix) {
  const char* binary = std::getenv(binary_env.c_str());
  if (binary == nullptr) {
    return absl::FailedPreconditionError(binary_env + " is not set (ctest sets it)");
  }
  EDA_ASSIGN_OR_RETURN(std::string dsn, SharedPostgres().CreateDatabase(db_prefix));
  return StartWith(binary, dsn, SharedNats().url());
}

absl::StatusOr<std::unique_ptr<ServiceUnderTest>> ServiceUnderTest::StartWith(
    const std::string& binary, const std::string& dsn, const std::string& nats_url) {
  std::unique_ptr<ServiceUnderTest> s(new ServiceUnderTest());
  s->binary_ = binary;
  s->dsn_ = dsn;
  s->nats_url_ = nats_url;
  s->dir_ = std::make_unique<TempDir>("eda-service");
  s->grpc_port_ = PickFreePort();
  s->http_port_ = PickFreePort();
  EDA_RETURN_IF_ERROR(s->Launch());
  return s;
}

ServiceUnderTest::~ServiceUnderTest() { Stop(); }

absl::Status ServiceUnderTest::Launch() {
  EDA_ASSIGN_OR_RETURN(
      process_, Process::Start({binary_, "--pg-conn=" + dsn_, "--nats-url=" + nats_url_,
                                "--rpc-host=127.0.0.1", absl::StrCat("--rpc-port=", grpc_port_),
                                "--web-host=127.0.0.1", absl::StrCat("--web-port=", http_port_),
                                "--topology-file=" + SourceDir() + "/deploy/topology.conf"},
                               {.log_file = dir_->path() + "/service.log"}));
  httplib::Client ops("127.0.0.1", http_port_);
  const bool ready = WaitUntil(
      [&] {
        auto r = ops.Get("/readyz");
        return (r && r->status == 200) || !process_->Running();
      },
      absl::Seconds(30));
  if (!ready || !process_->Running()) {
    return absl::InternalError(absl::StrCat(binary_, " did not become ready:\n", LogTail()));
  }
  return absl::OkStatus();
}

absl::Status ServiceUnderTest::Restart(int signal) {
  Stop(signal);
  return Launch();
}

void ServiceUnderTest::Stop(int signal) {
  if (process_ != nullptr) process_->Stop(signal);
  process_.reset();
}

std::string ServiceUnderTest::grpc_target() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

std::string ServiceUnderTest::LogTail(int lines) const {
  auto log = CommandOutput({"tail", "-n", std::to_string(lines), dir_->path() + "/service.log"});
  return log.ok() ? *log : std::string(log.status().message());
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
    if (subject != natsMsg_GetSubject(raw)) continue;
    absl::StatusOr<messaging::Message> m = messaging::DecodeEnvelope(
        subject,
        absl::string_view(natsMsg_GetData(raw), static_cast<size_t>(natsMsg_GetDataLength(raw))));
    if (m.ok()) out.push_back(*std::move(m));
  }
  return out;
}

}  // namespace eda::testing
