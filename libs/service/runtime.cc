#include "libs/service/runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/config.h"
#include "libs/common/process.h"
#include "libs/common/shutdown.h"
#include "libs/common/status_macros.h"
#include "libs/observability/logging.h"
#include "libs/outbox/schema.h"
#include "libs/service/admin.h"

namespace eda::service {
absl::StatusOr<Settings> Settings::Load(const std::string& default_name, int argc,
                                        const char* const* argv,
                                        const std::function<void(Config&)>& own_settings) {
  // First thing, before any thread exists: every thread started later inherits the blocked
  // SIGTERM/SIGINT, so the signals reach only the shutdown thread.
  ShutdownSignal::Install();
  Config config(argc, argv);
  Settings s;
  s.name = config.String("SERVICE_NAME", default_name);
  s.pg_conn = config.RequiredString("PG_CONN");
  s.pg_pool_size = static_cast<int>(config.Int("PG_POOL_SIZE", 4, 1, 1000));
  s.nats_url = config.RequiredString("NATS_URL");
  s.nats_user = config.String("NATS_USER", "");
  s.nats_password = config.String("NATS_PASSWORD", "");
  s.nats_tls_ca_file = config.String("NATS_TLS_CA_FILE", "");
  s.rpc_host = config.String("RPC_HOST", "0.0.0.0");
  s.rpc_port = config.Port("RPC_PORT", 9000);
  s.web_host = config.String("WEB_HOST", "0.0.0.0");
  s.web_port = config.Port("WEB_PORT", 8080);
  s.topology_file = config.String("TOPOLOGY_FILE", "deploy/topology.conf");
  s.shutdown_timeout = config.Duration("SHUTDOWN_TIMEOUT", absl::Seconds(30));
  s.drain_delay = config.Duration("SHUTDOWN_DRAIN_DELAY", absl::ZeroDuration());
  s.tls_cert_file = config.String("TLS_CERT_FILE", "");
  s.tls_key_file = config.String("TLS_KEY_FILE", "");
  s.admin_host = config.String("ADMIN_HOST", "127.0.0.1");
  s.admin_port = config.Port("ADMIN_PORT", 9001);
  s.admin_token = config.String("ADMIN_TOKEN", "");
  if (absl::StatusOr<std::map<std::string, std::string>> peers =
          ParseRpcServices(config.String("RPC_SERVICES", ""));
      peers.ok()) {
    s.rpc_services = *std::move(peers);
  } else {
    config.Invalid("RPC_SERVICES", std::string(peers.status().message()));
  }
  s.peer_timeout = config.Duration("PEER_TIMEOUT", absl::Seconds(5));
  s.stream_replicas = static_cast<int>(config.Int("STREAM_REPLICAS", 1, 1, 5));
  s.rpc_max_message_bytes = static_cast<int>(
      config.Int("RPC_MAX_MESSAGE_BYTES", s.rpc_max_message_bytes, 1024, INT32_MAX));
  s.rpc_max_concurrent_streams = static_cast<int>(
      config.Int("RPC_MAX_CONCURRENT_STREAMS", s.rpc_max_concurrent_streams, 1, INT32_MAX));
  s.rpc_max_calls = static_cast<int>(config.Int("RPC_MAX_CALLS", s.rpc_max_calls, 1, 1000000));
  s.rpc_default_deadline = config.Duration("RPC_DEFAULT_DEADLINE", s.rpc_default_deadline);
  s.rpc_keepalive_time = config.Duration("RPC_KEEPALIVE_TIME", s.rpc_keepalive_time);
  s.rpc_keepalive_timeout = config.Duration("RPC_KEEPALIVE_TIMEOUT", s.rpc_keepalive_timeout);
  s.rpc_keepalive_min_ping_interval =
      config.Duration("RPC_KEEPALIVE_MIN_PING_INTERVAL", s.rpc_keepalive_min_ping_interval);
  for (auto [name, value] :
       {std::pair{"RPC_DEFAULT_DEADLINE", s.rpc_default_deadline},
        std::pair{"RPC_KEEPALIVE_TIME", s.rpc_keepalive_time},
        std::pair{"RPC_KEEPALIVE_TIMEOUT", s.rpc_keepalive_timeout},
        std::pair{"RPC_KEEPALIVE_MIN_PING_INTERVAL", s.rpc_keepalive_min_ping_interval}}) {
    if (value <= absl::ZeroDuration()) config.Invalid(name, "must be a positive duration");
  }
  const std::string level_name = config.String("LOG_LEVEL", "INFO");
  const std::string format = config.String("LOG_FORMAT", "json");
  std::optional<log::Level> level = log::ParseLevel(level_name);
  if (!level.has_value()) {
    config.Invalid("LOG_LEVEL", "'" + level_name + "' is not TRACE, DEBUG, INFO, WARN or ERROR");
  }
  if (format != "json" && format != "console") {
    config.Invalid("LOG_FORMAT", "'" + format + "' is not json or console");
  }
  if (own_settings) own_settings(config);
  EDA_RETURN_IF_ERROR(config.Check());
  log::Init({.service = s.name, .level = *level, .json = format == "json"});
  return s;
}

namespace {

// The reference's message metrics (spec §9.1), each counted under the message's name and "all".
prometheus::Histogram::BucketBoundaries ReceivedBuckets() {
  return {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
}

// Until the runtime `owner` clears it (its destructor).
void CountSent(const void* owner, obs::MetricsRegistry& metrics, const std::string& service) {
  auto& sent = metrics.Counter(service + "_sent_messages_count",
                               "Messages written to the outbox, by name and under all.");
  sent.Add({{"message", "all"}});
  outbox::SetCommitObserver(owner, [&sent](const std::vector<messaging::Message>& messages) {
    sent.Add({{"message", "all"}}).Increment(static_cast<double>(messages.size()));
    for (const messaging::Message& m : messages) sent.Add({{"message", m.name}}).Increment();
  });
}

outbox::MessageHandler CountReceived(obs::MetricsRegistry& metrics, const std::string& service,
                                     outbox::MessageHandler handler) {
  auto& received = metrics.Counter(service + "_received_messages_count",
                                   "Messages passed to the handlers, by name and under all.");
  auto& latency = metrics.Histogram(service + "_received_messages_latency_seconds",
                                    "Handling time of received messages.");
  return [&received, &latency, handler = std::move(handler)](outbox::UnitOfWork& uow,
                                                             const messaging::Message& m) {
    const absl::Time start = absl::Now();
    absl::Status status = handler(uow, m);
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const std::string handled = status.ok() ? "true" : "false";
    for (const std::string& name : {m.name, std::string("all")}) {
      received.Add({{"message", name}, {"handled", handled}}).Increment();
      latency.Add({{"message", name}, {"handled", handled}}, ReceivedBuckets()).Observe(seconds);
    }
    return status;
  };
}

// A command's reply goes only where the topology lets the service send replies: a command
// naming another subject (say one of the service's own event subjects, to forge events for every
// consumer) is refused, and dead-lettered.
outbox::MessageHandler CheckReplyChannel(const std::string& service,
                                         std::vector<std::string> allowed,
                                         outbox::MessageHandler handler) {
  return [service, allowed = std::move(allowed), handler = std::move(handler)](
             outbox::UnitOfWork& uow, const messaging::Message& m) -> absl::Status {
    auto channel = m.metadata.find(messaging::kCommandReplyChannel);
    if (channel != m.metadata.end() &&
        std::find(allowed.begin(), allowed.end(), channel->second) == allowed.end()) {
      return absl::PermissionDeniedError(
          absl::StrCat("command ", m.name, " (", m.id, ") asks for its reply on '", channel->second,
                       "', which is not a reply channel of ", service, " (",
                       allowed.empty() ? "it has none" : absl::StrJoin(allowed, ", "), ")"));
    }
    return handler(uow, m);
  };
}

}  // namespace

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Start(const Settings& settings,
                                                        std::vector<pg::Migration> migrations) {
  ApplyReleaseDefaults();
  std::unique_ptr<Runtime> rt(new Runtime());
  rt->settings_ = settings;
  EDA_ASSIGN_OR_RETURN(rt->topology_, messaging::Topology::Load(settings.topology_file));
  for (const std::string& peer : rt->topology_.PeersOf(settings.name)) {
    if (settings.rpc_services.count(peer) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("RPC_SERVICES has no address for ", absl::AsciiStrToUpper(peer), " (",
                       settings.name, " calls ", peer, " in the topology)"));
    }
  }

  // What the binary was built from (CMake: the project's version, EDA_BUILD_COMMIT).
  const std::string commit = EDA_COMMIT[0] == '\0' ? "unknown" : EDA_COMMIT;
  rt->metrics_.Gauge("mallbots_build_info", "The version and commit the binary was built from")
      .Add({{"version", EDA_VERSION}, {"commit", commit}})
      .Set(1);
  LOG_INFO() << "starting" << KV("version", EDA_VERSION) << KV("commit", commit);
  EDA_ASSIGN_OR_RETURN(
      rt->ops_,
      obs::OpsServer::Start({.host = settings.web_host, .port = settings.web_port}, rt->metrics_));
  // Not ready until Serve() has the gRPC server up (registered first: /readyz answers from now).
  Runtime* raw = rt.get();
  rt->ops_->AddReadinessCheck("grpc", [raw] {
    return raw->serving_.load() ? absl::OkStatus() : absl::UnavailableError("not serving yet");
  });

  EDA_ASSIGN_OR_RETURN(rt->pool_,
                       pg::Pool::Create({.dsn = settings.pg_conn, .size = settings.pg_pool_size}));
  {
    EDA_ASSIGN_OR_RETURN(pg::Lease conn, rt->pool_->Acquire());
    std::vector<pg::Migration> all = outbox::PlatformMigrations();
    for (pg::Migration& m : migrations) {
      if (m.version < 100) {
        return absl::InvalidArgumentError(absl::StrCat("migration ", m.version, " (", m.name,
                                                       "): service migrations start at 100"));
      }
      all.push_back(std::move(m));
    }
    EDA_ASSIGN_OR_RETURN(pg::MigrateResult migrated, pg::Migrate(*conn, std::move(all)));
    LOG_INFO() << "database migrated" << KV("version", migrated.current_version)
               << KV("applied", migrated.applied.size());
  }

  messaging::ConnectOptions nats{
      .url = settings.nats_url,
      .user = settings.nats_user,
      .password = settings.nats_password,
      .name = settings.name,
      .inbox_prefix = settings.nats_user.empty() ? "" : "_INBOX_" + settings.nats_user,
      .tls_ca_file = settings.nats_tls_ca_file};
  EDA_ASSIGN_OR_RETURN(rt->nats_, messaging::Connection::Connect(nats));
  for (messaging::StreamSpec stream : rt->topology_.StreamsOwnedBy(settings.name)) {
    stream.replicas = settings.stream_replicas;
    EDA_RETURN_IF_ERROR(messaging::EnsureStream(rt->nats_->js(), stream));
  }
  // The durables of the subscriber accounts on its streams (they may not create their own). One
  // that cannot be made as the topology says (it exists with another filter) is logged: an
  // outside reader's durable does not stop the service.
  for (const messaging::ConsumerSpec& durable : rt->topology_.SubscriberDurablesOn(settings.name)) {
    if (absl::Status s = messaging::EnsureConsumer(rt->nats_->js(), durable); !s.ok()) {
      LOG_ERROR() << "subscriber durable not provisioned" << KV("durable", durable.durable)
                  << KV("stream", durable.stream) << KV("error", s);
    }
  }
  if (!rt->topology_.ConsumersOf(settings.name).empty()) {
    for (messaging::StreamSpec stream : rt->topology_.SharedStreams()) {
      stream.replicas = settings.stream_replicas;
      EDA_RETURN_IF_ERROR(messaging::EnsureStream(rt->nats_->js(), stream));
    }
  }

  nats.name = settings.name + "-relay";
  rt->relay_ = outbox::Relay::Start({.pg_dsn = settings.pg_conn, .nats = nats}, rt->metrics_);

  CountSent(raw, rt->metrics_, settings.name);  // last: a failed start leaves no observer
  rt->ops_->AddReadinessCheck("nats", [raw] {
    return raw->nats_->Connected() ? absl::OkStatus() : absl::UnavailableError("not connected");
  });
  rt->db_health_ = pg::HealthProbe::Start({.dsn = settings.pg_conn});
  rt->ops_->AddReadinessCheck("postgres", [raw] { return raw->db_health_->status(); });
  return rt;
}

absl::StatusOr<Peer> Runtime::OpenPeer(const std::string& name) const {
  const std::vector<std::string> peers = topology_.PeersOf(settings_.name);
  if (std::find(peers.begin(), peers.end(), name) == peers.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the topology has no `call ", settings_.name, " ", name, "` line"));
  }
  return Peer(name, settings_.rpc_services.at(name), settings_.peer_timeout);
}

namespace {

// Ends the process after a failed start. The runtime's threads (relay, consumers, NATS and
// PostgreSQL clients) are running by then: std::exit would destroy statics under them (a crash
// instead of the exit status), so the process ends at once, its output flushed.
[[noreturn]] void ExitAfterFailedStart(const absl::Status& why) {
  LOG_ERROR() << "startup failed" << KV("error", why);
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(1);
}

}  // namespace

std::unique_ptr<Runtime> Runtime::StartOrExit(const std::string& default_name, int argc,
                                              const char* const* argv,
                                              std::vector<pg::Migration> migrations,
                                              const std::function<void(Config&)>& own_settings) {
  absl::StatusOr<Settings> settings = Settings::Load(default_name, argc, argv, own_settings);
  if (!settings.ok()) {
    std::fprintf(stderr, "%s: %s\n", default_name.c_str(),
                 std::string(settings.status().message()).c_str());
    std::exit(2);
  }
  absl::StatusOr<std::unique_ptr<Runtime>> runtime = Start(*settings, std::move(migrations));
  if (!runtime.ok()) ExitAfterFailedStart(runtime.status());
  return *std::move(runtime);
}

namespace {

// Acknowledges the messages whose names are not in `names` at once; hands the others to `inner`.
messaging::BatchHandler OnlyNamed(std::vector<std::string> names, messaging::BatchHandler inner) {
  if (names.empty()) return inner;
  return [names = std::set<std::string>(names.begin(), names.end()),
          inner = std::move(inner)](const std::vector<messaging::Delivery>& batch) {
    const bool all_taken = std::all_of(
        batch.begin(), batch.end(), [&](const auto& d) { return names.count(d.message.name) > 0; });
    if (all_taken) return inner(batch);  // no copies on the usual path
    std::vector<messaging::Outcome> outcomes(batch.size(), messaging::Outcome::Ack());
    std::vector<messaging::Delivery> taken;
    std::vector<size_t> at;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (names.count(batch[i].message.name) == 0) continue;
      taken.push_back(batch[i]);
      at.push_back(i);
    }
    if (taken.empty()) return outcomes;
    std::vector<messaging::Outcome> handled = inner(taken);
    for (size_t j = 0; j < at.size() && j < handled.size(); ++j) {
      outcomes[at[j]] = std::move(handled[j]);
    }
    return outcomes;
  };
}

}  // namespace

absl::Status Runtime::Consume(const std::string& durable, outbox::MessageHandler handler,
                              ConsumeOptions options) {
  handler =
      CountReceived(metrics_, settings_.name,
                    CheckReplyChannel(settings_.name, topology_.ReplyChannelsOf(settings_.name),
                                      std::move(handler)));
  for (const messaging::ConsumerSpec& spec : topology_.ConsumersOf(settings_.name)) {
    if (spec.durable != durable) continue;
    messaging::BatchHandler batch = OnlyNamed(
        std::move(options.names),
        outbox::TransactionalHandler(*pool_, durable, std::move(handler), spec.max_deliver));
    EDA_ASSIGN_OR_RETURN(
        std::unique_ptr<messaging::PullConsumer> consumer,
        messaging::PullConsumer::Start(*nats_,
                                       {.service = settings_.name,
                                        .consumer = spec,
                                        .workers = options.workers,
                                        .ready = [this] { return db_health_->healthy(); }},
                                       batch, metrics_));
    consumers_.push_back(std::move(consumer));
    batch_handlers_[durable] = std::move(batch);
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("the topology gives ", settings_.name, " no durable consumer named ", durable));
}

absl::Status Runtime::AddReadModel(ReadModel model) {
  for (const messaging::ConsumerSpec& spec : topology_.ConsumersOf(settings_.name)) {
    if (spec.durable != model.durable) continue;
    read_models_.push_back(std::move(model));
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("read model ", model.name, ": the topology gives ",
                                          settings_.name, " no durable consumer named ",
                                          model.durable));
}

void Runtime::AddReadModelOrExit(ReadModel model) {
  if (absl::Status s = AddReadModel(std::move(model)); !s.ok()) ExitAfterFailedStart(s);
}

Peer Runtime::OpenPeerOrExit(const std::string& name) const {
  absl::StatusOr<Peer> peer = OpenPeer(name);
  if (!peer.ok()) ExitAfterFailedStart(peer.status());
  return *std::move(peer);
}

void Runtime::ConsumeOrExit(const std::string& durable, outbox::MessageHandler handler,
                            ConsumeOptions options) {
  if (absl::Status s = Consume(durable, std::move(handler), std::move(options)); !s.ok()) {
    ExitAfterFailedStart(s);
  }
}

absl::StatusOr<messaging::BatchHandler> Runtime::BatchHandlerOf(const std::string& durable) const {
  auto it = batch_handlers_.find(durable);
  if (it == batch_handlers_.end()) {
    return absl::NotFoundError(absl::StrCat(settings_.name, " does not consume ", durable));
  }
  return it->second;
}

absl::StatusOr<std::unique_ptr<grpcserver::Server>> Runtime::StartGrpc(
    std::vector<grpcserver::ServiceEntry> services) {
  return grpcserver::Server::Start(
      {.address = absl::StrCat(settings_.rpc_host, ":", settings_.rpc_port),
       .shutdown_timeout = settings_.shutdown_timeout,
       .drain_delay = settings_.drain_delay,
       .tls_cert_file = settings_.tls_cert_file,
       .tls_key_file = settings_.tls_key_file,
       .max_message_bytes = settings_.rpc_max_message_bytes,
       .max_concurrent_streams = settings_.rpc_max_concurrent_streams,
       .keepalive_time = settings_.rpc_keepalive_time,
       .keepalive_timeout = settings_.rpc_keepalive_timeout,
       .keepalive_min_ping_interval = settings_.rpc_keepalive_min_ping_interval,
       .calls = grpcserver::CallLimits{.max_calls = settings_.rpc_max_calls,
                                       .default_deadline = settings_.rpc_default_deadline}},
      std::move(services), metrics_, ops_.get());
}

int Runtime::Serve(std::vector<grpcserver::ServiceEntry> services) {
  absl::StatusOr<std::unique_ptr<grpcserver::Server>> server = StartGrpc(std::move(services));
  if (!server.ok()) {
    LOG_ERROR() << "cannot serve gRPC" << KV("error", server.status());
    StopWork();
    return 1;
  }
  AdminServer admin({.service = settings_.name, .token = settings_.admin_token}, *pool_, topology_,
                    *nats_, read_models_);
  absl::StatusOr<std::unique_ptr<grpcserver::Server>> admin_server = grpcserver::Server::Start(
      {.address = absl::StrCat(settings_.admin_host, ":", settings_.admin_port),
       .shutdown_timeout = settings_.shutdown_timeout},
      {{&admin, "adminpb.AdminService"}}, metrics_, nullptr);
  if (!admin_server.ok()) {
    LOG_ERROR() << "cannot serve the admin API" << KV("error", admin_server.status());
    (*server)->Shutdown();
    StopWork();
    return 1;
  }
  admin_port_ = (*admin_server)->port();
  serving_ = true;
  LOG_INFO() << "service ready" << KV("grpc_port", (*server)->port())
             << KV("http_port", ops_->port()) << KV("admin_port", (*admin_server)->port());
  ShutdownSignal& shutdown = ShutdownSignal::Install();
  shutdown.Wait();
  LOG_INFO() << "shutting down" << KV("reason", shutdown.reason());
  (*server)->Shutdown();  // not ready, drain, in-flight calls finish
  (*admin_server)->Shutdown();
  StopWork();
  LOG_INFO() << "stopped";
  return 0;
}

void Runtime::StopWork() {
  for (auto& consumer : consumers_) consumer->Stop();
  relay_->Stop();
  ops_->Stop();
}

Runtime::~Runtime() {
  outbox::ClearCommitObserver(this);
  if (ops_ != nullptr) ops_->Stop();  // its readiness checks use the members below
  for (auto& consumer : consumers_) consumer->Stop();
  if (relay_ != nullptr) relay_->Stop();
}

}  // namespace eda::service
