#include "libs/messaging/nats.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/status_macros.h"

namespace eda::messaging {

absl::Status FromNats(natsStatus s, absl::string_view context, jsErrCode jerr) {
  if (s == NATS_OK) return absl::OkStatus();
  std::string msg = absl::StrCat(context, ": ", natsStatus_GetText(s));
  if (jerr != 0) absl::StrAppend(&msg, " (JetStream error ", static_cast<int>(jerr), ")");
  if (const char* last = nats_GetLastError(nullptr); last != nullptr && *last != '\0') {
    absl::StrAppend(&msg, ": ", last);
  }
  switch (s) {
    case NATS_TIMEOUT:
      return absl::DeadlineExceededError(msg);
    case NATS_NOT_FOUND:
      return absl::NotFoundError(msg);
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NO_RESPONDERS:
    case NATS_IO_ERROR:
      return absl::UnavailableError(msg);
    case NATS_NOT_PERMITTED:
    case NATS_CONNECTION_AUTH_FAILED:
      return absl::PermissionDeniedError(msg);
    case NATS_ILLEGAL_STATE:
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
      return absl::InvalidArgumentError(msg);
    default:
      if (jerr == JSStreamNotFoundErr || jerr == JSConsumerNotFoundErr) {
        return absl::NotFoundError(msg);
      }
      return absl::InternalError(msg);
  }
}

absl::Status OpenNatsLibrary() {
  static const natsStatus opened = nats_Open(0);
  return FromNats(opened, "nats library");
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(const ConnectOptions& options) {
  EDA_RETURN_IF_ERROR(OpenNatsLibrary());
  natsOptions* raw = nullptr;
  EDA_RETURN_IF_ERROR(FromNats(natsOptions_Create(&raw), "nats options"));
  NatsOptionsPtr opts(raw);
  // One URL, or several (a cluster's servers, comma-separated): tried in turn, and on reconnect.
  std::vector<std::string> servers = absl::StrSplit(options.url, ',', absl::SkipWhitespace());
  if (servers.size() > 1) {
    std::vector<const char*> list;
    for (std::string& server : servers) {
      server = std::string(absl::StripAsciiWhitespace(server));
      list.push_back(server.c_str());
    }
    EDA_RETURN_IF_ERROR(
        FromNats(natsOptions_SetServers(opts.get(), list.data(), static_cast<int>(list.size())),
                 "nats servers"));
  } else {
    EDA_RETURN_IF_ERROR(FromNats(natsOptions_SetURL(opts.get(), options.url.c_str()), "nats url"));
  }
  if (!options.user.empty()) {
    natsOptions_SetUserInfo(opts.get(), options.user.c_str(), options.password.c_str());
  }
  if (!options.name.empty()) natsOptions_SetName(opts.get(), options.name.c_str());
  if (!options.inbox_prefix.empty()) {
    natsOptions_SetCustomInboxPrefix(opts.get(), options.inbox_prefix.c_str());
  }
  natsOptions_SetSendAsap(opts.get(), options.send_asap);
  natsOptions_SetMaxReconnect(opts.get(), -1);  // forever
  natsOptions_SetReconnectWait(opts.get(), 250);
  natsOptions_SetReconnectJitter(opts.get(), 100, 1000);
  natsOptions_SetReconnectBufSize(opts.get(), 8 * 1024 * 1024);
  natsOptions_SetTimeout(opts.get(), 5000);
  if (!options.tls_ca_file.empty()) {
    EDA_RETURN_IF_ERROR(FromNats(natsOptions_SetSecure(opts.get(), true), "nats tls"));
    if (natsOptions_LoadCATrustedCertificates(opts.get(), options.tls_ca_file.c_str()) != NATS_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("nats tls: cannot load the CA certificates of ", options.tls_ca_file));
    }
  }

  std::unique_ptr<Connection> conn(new Connection());
  conn->options_ = options;
  natsConnection* nc = nullptr;
  EDA_RETURN_IF_ERROR(FromNats(natsConnection_Connect(&nc, opts.get()),
                               absl::StrCat("nats connect ", options.url)));
  conn->nc_.reset(nc);

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.js_wait_ms;
  jsCtx* js = nullptr;
  EDA_RETURN_IF_ERROR(FromNats(natsConnection_JetStream(&js, nc, &jo), "jetstream context"));
  conn->js_.reset(js);
  return conn;
}

Connection::~Connection() {
  js_.reset();
  if (nc_ != nullptr) natsConnection_Close(nc_.get());
}

bool Connection::Connected() const {
  return nc_ != nullptr && natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CONNECTED;
}

absl::Status PubAckStatus(natsMsg* reply) {
  // A reply without a body carries a status instead: 503 when nothing answers on the subject.
  if (natsMsg_IsNoResponders(reply)) {
    return absl::UnavailableError("no stream takes the subject (no responders)");
  }
  if (const std::string status = Header(reply, "Status"); !status.empty()) {
    return absl::UnavailableError(
        absl::StrCat("publish answered with status ", status, " ", Header(reply, "Description")));
  }
  const std::string body(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
  // The common case, {"stream":"X","seq":N}, without a JSON parser (protobuf's costs tens of
  // microseconds a reply, and the relay reads one per message); anything else is parsed.
  if (absl::StartsWith(body, "{\"stream\":") && !absl::StrContains(body, "\"error\"")) {
    return absl::OkStatus();
  }
  google::protobuf::Struct ack;
  if (!google::protobuf::util::JsonStringToMessage(body, &ack).ok()) {
    return absl::InternalError(absl::StrCat("unreadable publish reply: ", body));
  }
  const auto& fields = ack.fields();
  if (auto error = fields.find("error"); error != fields.end()) {
    const auto& e = error->second.struct_value().fields();
    auto text = [&e](const char* key) {
      auto it = e.find(key);
      return it == e.end() ? std::string()
             : it->second.kind_case() == google::protobuf::Value::kNumberValue
                 ? absl::StrCat(it->second.number_value())
                 : it->second.string_value();
    };
    return absl::UnavailableError(
        absl::StrCat("jetstream refused the message: ", text("description"), " (code ",
                     text("code"), ", error ", text("err_code"), ")"));
  }
  if (fields.find("stream") == fields.end()) {
    return absl::InternalError(absl::StrCat("publish reply names no stream: ", body));
  }
  return absl::OkStatus();
}

std::string Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return "";
  return value;
}

void CopyHeaders(natsMsg* from, natsMsg* to, const std::function<bool(absl::string_view)>& keep) {
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(from, &keys, &count) != NATS_OK) return;
  for (int i = 0; i < count; ++i) {
    if (!keep(keys[i])) continue;
    const char** values = nullptr;
    int n = 0;
    if (natsMsgHeader_Values(from, keys[i], &values, &n) != NATS_OK) continue;
    for (int j = 0; j < n; ++j) natsMsgHeader_Add(to, keys[i], values[j]);
    free(values);  // the arrays are the caller's; the strings stay the message's
  }
  free(keys);
}

}  // namespace eda::messaging
