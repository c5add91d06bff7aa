// File: admin.h
// adminpb.AdminService (proto/admin/admin_service.proto): the operator surface of a service,
// served by the runtime on its own port (ADMIN_HOST/ADMIN_PORT), guarded by ADMIN_TOKEN when it
// is set. It answers from the service's database and topology only, so every service has it
// without code of its own; later capabilities (outbox dead letters, sagas, read-model rebuilds)
// add methods here.
#pragma once

#include <string>
#include <vector>

#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "libs/pg/pool.h"
#include "libs/service/rebuild.h"
#include "proto/admin/admin_service.grpc.pb.h"

namespace eda::service {

class AdminServer final : public adminpb::AdminService::Service {
 public:
  struct Options {
    std::string service;
    std::string token;  // empty: no token required
  };
  // `pool`, `topology`, `nats` and `read_models` must outlive the server.
  AdminServer(Options options, pg::Pool& pool, const messaging::Topology& topology,
              messaging::Connection& nats, const std::vector<ReadModel>& read_models);

  grpc::Status GetInfo(grpc::ServerContext* ctx, const adminpb::GetInfoRequest* req,
                       adminpb::GetInfoResponse* resp) override;
  grpc::Status GetOutbox(grpc::ServerContext* ctx, const adminpb::GetOutboxRequest* req,
                         adminpb::GetOutboxResponse* resp) override;
  grpc::Status ListDeadOutbox(grpc::ServerContext* ctx, const adminpb::ListDeadOutboxRequest* req,
                              adminpb::ListDeadOutboxResponse* resp) override;
  grpc::Status ResendDeadOutbox(grpc::ServerContext* ctx, const adminpb::DeadOutboxSelection* req,
                                adminpb::DeadOutboxChange* resp) override;
  grpc::Status DiscardDeadOutbox(grpc::ServerContext* ctx, const adminpb::DeadOutboxSelection* req,
                                 adminpb::DeadOutboxChange* resp) override;
  grpc::Status ListProcessed(grpc::ServerContext* ctx, const adminpb::ListProcessedRequest* req,
                             adminpb::ListProcessedResponse* resp) override;
  grpc::Status ListSagas(grpc::ServerContext* ctx, const adminpb::ListSagasRequest* req,
                         adminpb::ListSagasResponse* resp) override;
  grpc::Status GetSaga(grpc::ServerContext* ctx, const adminpb::GetSagaRequest* req,
                       adminpb::GetSagaResponse* resp) override;
  grpc::Status ListReadModels(grpc::ServerContext* ctx, const adminpb::ListReadModelsRequest* req,
                              adminpb::ListReadModelsResponse* resp) override;
  grpc::Status RebuildReadModel(
      grpc::ServerContext* ctx, const adminpb::RebuildReadModelRequest* req,
      grpc::ServerWriter<adminpb::RebuildReadModelProgress>* writer) override;

 private:
  // OK, or UNAUTHENTICATED when a token is required and the call does not carry it.
  grpc::Status Authorize(const grpc::ServerContext& ctx) const;

  const Options options_;
  pg::Pool& pool_;
  const messaging::Topology& topology_;
  messaging::Connection& nats_;
  const std::vector<ReadModel>& read_models_;
};

}  // namespace eda::service
