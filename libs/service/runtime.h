// File: runtime.h
// What every service process does around its own code, written once: read the standard
// configuration, open the database pool and apply the migrations (platform + the service's),
// connect to NATS as the service's user, provision the service's streams from the topology,
// run the outbox relay and the durable consumers, serve gRPC and the ops HTTP port, and shut
// all of it down in order on SIGTERM/SIGINT.
//
//   int main(int argc, char** argv) {
//     auto settings = eda::service::Settings::Load("stores", argc, argv);
//     if (!settings.ok()) { std::cerr << settings.status(); return 1; }
//     auto rt = eda::service::Runtime::Start(*settings, stores::Migrations());
//     if (!rt.ok()) { ...; return 1; }
//     stores::GrpcService grpc((*rt)->pool(), ...);
//     return (*rt)->Serve({{&grpc, "storespb.StoresService"}});
//   }
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/config.h"
#include "libs/grpcserver/server.h"
#include "libs/messaging/consumer.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "libs/observability/metrics.h"
#include "libs/observability/ops_server.h"
#include "libs/outbox/inbox.h"
#include "libs/outbox/relay.h"
#include "libs/pg/health.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "libs/service/peers.h"
#include "libs/service/rebuild.h"

namespace eda::service {

// The standard configuration of a service (README "Service configuration").
struct Settings {
  std::string name;                                     // SERVICE_NAME
  std::string pg_conn;                                  // PG_CONN (required)
  int pg_pool_size = 4;                                 // PG_POOL_SIZE
  std::string nats_url;                                 // NATS_URL (required)
  std::string nats_user;                                // NATS_USER
  std::string nats_password;                            // NATS_PASSWORD
  std::string nats_tls_ca_file;                         // NATS_TLS_CA_FILE (TLS to NATS)
  std::string rpc_host = "0.0.0.0";                     // RPC_HOST
  int rpc_port = 9000;                                  // RPC_PORT (":9000" accepted)
  std::string web_host = "0.0.0.0";                     // WEB_HOST
  int web_port = 8080;                                  // WEB_PORT
  std::string topology_file = "deploy/topology.conf";   // TOPOLOGY_FILE
  absl::Duration shutdown_timeout = absl::Seconds(30);  // SHUTDOWN_TIMEOUT
  absl::Duration drain_delay = absl::ZeroDuration();    // SHUTDOWN_DRAIN_DELAY
  std::string tls_cert_file;                            // TLS_CERT_FILE
  std::string tls_key_file;                             // TLS_KEY_FILE
  std::string admin_host = "127.0.0.1";                 // ADMIN_HOST
  int admin_port = 9001;                                // ADMIN_PORT (0: any free port)
  std::string admin_token;                              // ADMIN_TOKEN (empty: none required)
  std::map<std::string, std::string> rpc_services;      // RPC_SERVICES (peer -> host:port)
  absl::Duration peer_timeout = absl::Seconds(5);       // PEER_TIMEOUT
  // STREAM_REPLICAS: the replicas of the streams it ensures (3 on a 3-node JetStream cluster).
  int stream_replicas = 1;
  // The gRPC server's limits (libs/grpcserver/server.h, limits.h): RPC_MAX_MESSAGE_BYTES,
  // RPC_MAX_CONCURRENT_STREAMS, RPC_MAX_CALLS, RPC_DEFAULT_DEADLINE, RPC_KEEPALIVE_TIME,
  // RPC_KEEPALIVE_TIMEOUT, RPC_KEEPALIVE_MIN_PING_INTERVAL.
  int rpc_max_message_bytes = 4 << 20;
  int rpc_max_concurrent_streams = 1000;
  int rpc_max_calls = 256;
  absl::Duration rpc_default_deadline = absl::Seconds(30);
  absl::Duration rpc_keepalive_time = absl::Minutes(1);
  absl::Duration rpc_keepalive_timeout = absl::Seconds(20);
  absl::Duration rpc_keepalive_min_ping_interval = absl::Seconds(10);

  // Call first in main: installs the SIGTERM/SIGINT handling (ShutdownSignal) before any thread
  // starts. Reads the environment and flags; also configures logging (LOG_LEVEL, LOG_FORMAT).
  // Errors: InvalidArgument naming every missing or malformed variable.
  // `own_settings`, when given, reads the service's own variables from the same configuration
  // (their errors are reported with the others).
  static absl::StatusOr<Settings> Load(const std::string& default_name, int argc,
                                       const char* const* argv,
                                       const std::function<void(Config&)>& own_settings = nullptr);
};

// How Runtime::Consume handles a durable's messages.
struct ConsumeOptions {
  // Pull subscriptions handling the durable's messages side by side (each a batch at a time,
  // in a transaction of its own). More than one only where no two messages of one aggregate
  // can be in flight at once, or the handler orders them itself.
  int workers = 1;
  // The message names the handler takes (spec §3.4, "message names accepted"); any other is
  // acknowledged at once, with no transaction and no inbox row. Empty: every name. Not with an
  // outbox::InOrder handler: it must see every numbered message of an aggregate.
  std::vector<std::string> names;
};

// A service's own objects wired to a started Runtime by its Wire() (services/<ctx>/service.h):
// use cases built, consumers started, read models declared, and the gRPC services for Serve().
// `objects` owns what the consumers' handlers and the gRPC services use; it must outlive Serve()
// (which stops the consumers before it returns).
struct Wired {
  std::vector<grpcserver::ServiceEntry> grpc;
  std::shared_ptr<void> objects;
};

class Runtime final {
 public:
  // Everything up to (not including) serving: pool + migrations, NATS + streams, relay, ops port.
  // Errors: the first step that failed, annotated.
  static absl::StatusOr<std::unique_ptr<Runtime>> Start(const Settings& settings,
                                                        std::vector<pg::Migration> migrations);
  // Settings::Load and Start for a service's main(): on failure it prints the reason and exits
  // the process (2 for a configuration error, 1 for a failed start).
  static std::unique_ptr<Runtime> StartOrExit(
      const std::string& default_name, int argc, const char* const* argv,
      std::vector<pg::Migration> migrations,
      const std::function<void(Config&)>& own_settings = nullptr);
  ~Runtime();

  pg::Pool& pool() { return *pool_; }
  obs::MetricsRegistry& metrics() { return metrics_; }
  obs::OpsServer& ops() { return *ops_; }
  // The admin API's port while Serve() runs (0 before).
  int admin_port() const { return admin_port_.load(); }

  // The peer `name` this service calls (a `call` line of the topology), at its RPC_SERVICES
  // address. Errors: FailedPrecondition when the topology declares no such call.
  absl::StatusOr<Peer> OpenPeer(const std::string& name) const;
  // OpenPeer for a service's main(): on failure it logs the reason and exits the process (1).
  Peer OpenPeerOrExit(const std::string& name) const;

  // Starts consuming one of the service's durables (as declared in the topology), each message
  // handled in a unit of work with its inbox row. Errors: NotFound for a durable the topology
  // does not give this service; NATS errors.
  absl::Status Consume(const std::string& durable, outbox::MessageHandler handler,
                       ConsumeOptions options = {});

  // Consume for a service's main(): on failure it logs the reason and exits the process (1).
  void ConsumeOrExit(const std::string& durable, outbox::MessageHandler handler,
                     ConsumeOptions options = {});

  // Declares a read model that the admin API can rebuild from its durable's stream (rebuild.h).
  // Errors: NotFound for a durable the topology does not give this service.
  absl::Status AddReadModel(ReadModel model);
  // AddReadModel for a service's main(): on failure it logs the reason and exits the process (1).
  void AddReadModelOrExit(ReadModel model);

  // The handler a durable's consumer gives its fetched batches (the name filter, inbox,
  // transaction and the service's handler, as Consume composed them): for driving a service's
  // message handling in process without NATS (the fuzz targets). Errors: NotFound for a durable
  // not consumed.
  absl::StatusOr<messaging::BatchHandler> BatchHandlerOf(const std::string& durable) const;

  // Starts the gRPC server of the service's API with the configured address, TLS and limits
  // (what Serve does first; the fuzz targets serve in process with it).
  absl::StatusOr<std::unique_ptr<grpcserver::Server>> StartGrpc(
      std::vector<grpcserver::ServiceEntry> services);

  // Serves gRPC until SIGTERM/SIGINT (eda::ShutdownSignal), then shuts down in order: not ready,
  // drain, gRPC stop, consumers drained, relay stopped, connections closed. Returns the exit
  // code for main.
  int Serve(std::vector<grpcserver::ServiceEntry> services);

 private:
  Runtime() = default;
  // Stops the consumers (their handlers use the caller's objects), the relay and the ops port:
  // before Serve() returns, so main's objects may go.
  void StopWork();

  Settings settings_;
  messaging::Topology topology_;
  obs::MetricsRegistry metrics_;
  std::unique_ptr<obs::OpsServer> ops_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<pg::HealthProbe> db_health_;  // readiness, and consumers pause while unhealthy
  std::unique_ptr<messaging::Connection> nats_;
  std::unique_ptr<outbox::Relay> relay_;
  std::vector<std::unique_ptr<messaging::PullConsumer>> consumers_;
  std::map<std::string, messaging::BatchHandler> batch_handlers_;  // by durable
  std::vector<ReadModel> read_models_;
  std::atomic<bool> serving_{false};  // gRPC is up (readiness)
  std::atomic<int> admin_port_{0};
};

}  // namespace eda::service
