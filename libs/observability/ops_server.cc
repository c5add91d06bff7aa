#include "libs/observability/ops_server.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/observability/metrics.h"

namespace eda::obs {
namespace {

std::string JsonEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

OpsServer::OpsServer(MetricsRegistry& metrics)
    : metrics_(metrics), http_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(const Options& options,
                                                            MetricsRegistry& metrics) {
  std::unique_ptr<OpsServer> server(new OpsServer(metrics));
  httplib::Server& http = *server->http_;
  OpsServer* self = server.get();

  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http.Get("/readyz", [self](const httplib::Request&, httplib::Response& res) {
    bool ready = false;
    std::string body = self->ReadinessBody(&ready);
    res.status = ready ? 200 : 503;
    res.set_content(body, "application/json");
  });
  http.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content(self->metrics_.Exposition(), "text/plain; version=0.0.4; charset=utf-8");
  });

  // httplib's default sets SO_REUSEPORT, which lets a second process bind the same port and
  // silently take half the traffic; a port collision must fail instead.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (options.port == 0) {
    server->port_ = http.bind_to_any_port(options.host);
  } else if (http.bind_to_port(options.host, options.port)) {
    server->port_ = options.port;
  } else {
    server->port_ = -1;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("ops http server: cannot listen on ", options.host, ":", options.port));
  }
  server->thread_ = std::thread([self] { self->http_->listen_after_bind(); });
  // stop() is a no-op until the loop runs, so do not hand out a server that could not be stopped.
  while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return server;
}

OpsServer::~OpsServer() { Stop(); }

void OpsServer::Stop() {
  if (thread_.joinable()) {
    http_->stop();
    thread_.join();
  }
}

void OpsServer::AddReadinessCheck(std::string name, Check check) {
  absl::MutexLock lock(&mu_);
  checks_.emplace_back(std::move(name), std::move(check));
}

void OpsServer::SetDraining(bool draining) {
  absl::MutexLock lock(&mu_);
  draining_ = draining;
}

std::string OpsServer::ReadinessBody(bool* ready) const {
  std::vector<std::pair<std::string, Check>> checks;
  bool draining;
  {
    absl::MutexLock lock(&mu_);
    checks = checks_;
    draining = draining_;
  }
  *ready = !draining;
  std::vector<std::string> parts;
  for (const auto& [name, check] : checks) {
    absl::Status s = check();
    if (!s.ok()) *ready = false;
    parts.push_back(absl::StrCat("\"", JsonEscape(name), "\":\"",
                                 s.ok() ? "ok" : JsonEscape(s.ToString()), "\""));
  }
  return absl::StrCat("{\"ready\":", *ready ? "true" : "false",
                      ",\"draining\":", draining ? "true" : "false", ",\"checks\":{",
                      absl::StrJoin(parts, ","), "}}\n");
}

absl::Status OpsServer::Ready() const {
  bool ready = false;
  std::string body = ReadinessBody(&ready);
  if (ready) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("not ready: ", body));
}

}  // namespace eda::obs
