#include "libs/service/admin.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/grpcserver/status.h"
#include "libs/observability/logging.h"
#include "libs/outbox/relay.h"
#include "libs/pg/transaction.h"
#include "libs/service/rows.h"

namespace eda::service {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 1000;

absl::StatusOr<int> Limit(int requested) {
  if (requested < 0 || requested > kMaxLimit) {
    return absl::InvalidArgumentError(absl::StrCat("the limit must be 0 to ", kMaxLimit));
  }
  return requested == 0 ? kDefaultLimit : requested;
}

// Compares in a time that depends on the lengths only, not on where the first difference is.
bool SameSecret(absl::string_view given, absl::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

google::protobuf::Timestamp FromEpoch(double seconds) {
  return TimeUtil::MicrosecondsToTimestamp(static_cast<int64_t>(seconds * 1e6));
}

// Runs `fn` in a read-only transaction of its own and converts its status.
template <typename Fn>
grpc::Status Read(pg::Pool& pool, Fn fn) {
  return grpcserver::ToGrpcStatus([&]() -> absl::Status {
    EDA_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(pool));
    EDA_RETURN_IF_ERROR(fn(tx));
    return tx.Commit();
  }());
}

}  // namespace

AdminServer::AdminServer(Options options, pg::Pool& pool, const messaging::Topology& topology,
                         messaging::Connection& nats, const std::vector<ReadModel>& read_models)
    : options_(std::move(options)),
      pool_(pool),
      topology_(topology),
      nats_(nats),
      read_models_(read_models) {}

grpc::Status AdminServer::Authorize(const grpc::ServerContext& ctx) const {
  if (options_.token.empty()) return grpc::Status::OK;
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it != md.end() && SameSecret(absl::string_view(it->second.data(), it->second.size()),
                                   "Bearer " + options_.token)) {
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "the admin API needs 'authorization: Bearer <ADMIN_TOKEN>'");
}

grpc::Status AdminServer::GetInfo(grpc::ServerContext* ctx, const adminpb::GetInfoRequest*,
                                  adminpb::GetInfoResponse* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  resp->set_service(options_.service);
  for (const auto& s : topology_.StreamsOwnedBy(options_.service)) resp->add_streams(s.name);
  for (const auto& c : topology_.ConsumersOf(options_.service)) resp->add_consumers(c.durable);
  for (const auto& p : topology_.PeersOf(options_.service)) resp->add_peers(p);
  return Read(pool_, [&](pg::Transaction& tx) -> absl::Status {
    EDA_ASSIGN_OR_RETURN(pg::Result r,
                         tx.Exec("SELECT COALESCE(max(version), 0) FROM schema_migrations"));
    EDA_ASSIGN_OR_RETURN(int64_t version, r.Int(0, 0));
    resp->set_schema_version(version);
    return absl::OkStatus();
  });
}

grpc::Status AdminServer::GetOutbox(grpc::ServerContext* ctx, const adminpb::GetOutboxRequest* req,
                                    adminpb::GetOutboxResponse* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  absl::StatusOr<int> limit = Limit(req->limit());
  if (!limit.ok()) return grpcserver::ToGrpcStatus(limit.status());
  return Read(pool_, [&](pg::Transaction& tx) -> absl::Status {
    EDA_ASSIGN_OR_RETURN(
        pg::Result totals,
        tx.Exec("SELECT count(*), COALESCE(extract(epoch from now() - min(sent_at)), 0)::float8 "
                "FROM outbox WHERE published_at IS NULL"));
    EDA_ASSIGN_OR_RETURN(int64_t unpublished, totals.Int(0, 0));
    EDA_ASSIGN_OR_RETURN(double oldest, totals.Double(0, 1));
    resp->set_unpublished(unpublished);
    resp->set_oldest_unpublished_seconds(oldest);
    EDA_ASSIGN_OR_RETURN(
        pg::Result rows,
        tx.Exec("SELECT seq, id, name, subject, extract(epoch from sent_at)::float8 FROM outbox "
                "WHERE published_at IS NULL ORDER BY seq LIMIT $1",
                {*limit}));
    for (int i = 0; i < rows.rows(); ++i) {
      adminpb::OutboxMessage* m = resp->add_messages();
      EDA_ASSIGN_OR_RETURN(int64_t seq, rows.Int(i, 0));
      m->set_seq(seq);
      m->set_id(std::string(rows.Text(i, 1)));
      m->set_name(std::string(rows.Text(i, 2)));
      m->set_subject(std::string(rows.Text(i, 3)));
      EDA_ASSIGN_OR_RETURN(double sent_at, rows.Double(i, 4));
      *m->mutable_sent_at() = FromEpoch(sent_at);
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminServer::ListDeadOutbox(grpc::ServerContext* ctx,
                                         const adminpb::ListDeadOutboxRequest* req,
                                         adminpb::ListDeadOutboxResponse* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  absl::StatusOr<int> limit = Limit(req->limit());
  if (!limit.ok()) return grpcserver::ToGrpcStatus(limit.status());
  return Read(pool_, [&](pg::Transaction& tx) -> absl::Status {
    EDA_ASSIGN_OR_RETURN(pg::Result total, tx.Exec("SELECT count(*) FROM outbox_dead"));
    EDA_ASSIGN_OR_RETURN(int64_t n, total.Int(0, 0));
    resp->set_total(n);
    EDA_ASSIGN_OR_RETURN(
        pg::Result rows,
        tx.Exec("SELECT seq, id, name, subject, COALESCE(aggregate_id, ''), "
                "COALESCE(aggregate_seq, 0), attempts, COALESCE(last_error, ''), "
                "extract(epoch from sent_at)::float8, extract(epoch from dead_at)::float8 "
                "FROM outbox_dead ORDER BY seq LIMIT $1",
                {*limit}));
    for (int i = 0; i < rows.rows(); ++i) {
      adminpb::DeadOutboxRow* m = resp->add_rows();
      EDA_ASSIGN_OR_RETURN(int64_t seq, rows.Int(i, 0));
      EDA_ASSIGN_OR_RETURN(int64_t aggregate_seq, rows.Int(i, 5));
      EDA_ASSIGN_OR_RETURN(int64_t attempts, rows.Int(i, 6));
      EDA_ASSIGN_OR_RETURN(double sent_at, rows.Double(i, 8));
      EDA_ASSIGN_OR_RETURN(double dead_at, rows.Double(i, 9));
      m->set_seq(seq);
      m->set_id(std::string(rows.Text(i, 1)));
      m->set_name(std::string(rows.Text(i, 2)));
      m->set_subject(std::string(rows.Text(i, 3)));
      m->set_aggregate_id(std::string(rows.Text(i, 4)));
      m->set_aggregate_seq(aggregate_seq);
      m->set_attempts(static_cast<int32_t>(attempts));
      m->set_last_error(std::string(rows.Text(i, 7)));
      *m->mutable_sent_at() = FromEpoch(sent_at);
      *m->mutable_dead_at() = FromEpoch(dead_at);
    }
    return absl::OkStatus();
  });
}

namespace {

// The rows a selection names; InvalidArgument when it names none.
absl::StatusOr<std::vector<int64_t>> Selected(const adminpb::DeadOutboxSelection& req) {
  if (req.all() == (req.seqs_size() > 0)) {
    return absl::InvalidArgumentError("name the rows by their seqs, or set all (not both)");
  }
  return std::vector<int64_t>(req.seqs().begin(), req.seqs().end());
}

template <typename Fn>
grpc::Status ChangeDead(pg::Pool& pool, const adminpb::DeadOutboxSelection& req,
                        adminpb::DeadOutboxChange* resp, Fn change) {
  absl::StatusOr<std::vector<int64_t>> seqs = Selected(req);
  if (!seqs.ok()) return grpcserver::ToGrpcStatus(seqs.status());
  absl::StatusOr<int64_t> n = [&]() -> absl::StatusOr<int64_t> {
    EDA_ASSIGN_OR_RETURN(pg::Lease conn, pool.Acquire());
    return change(*conn, *seqs);
  }();
  if (!n.ok()) return grpcserver::ToGrpcStatus(n.status());
  resp->set_rows(*n);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status AdminServer::ResendDeadOutbox(grpc::ServerContext* ctx,
                                           const adminpb::DeadOutboxSelection* req,
                                           adminpb::DeadOutboxChange* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  return ChangeDead(pool_, *req, resp, outbox::ResendDeadRows);
}

grpc::Status AdminServer::DiscardDeadOutbox(grpc::ServerContext* ctx,
                                            const adminpb::DeadOutboxSelection* req,
                                            adminpb::DeadOutboxChange* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  return ChangeDead(pool_, *req, resp, outbox::DiscardDeadRows);
}

grpc::Status AdminServer::ListProcessed(grpc::ServerContext* ctx,
                                        const adminpb::ListProcessedRequest* req,
                                        adminpb::ListProcessedResponse* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  absl::StatusOr<int> limit = Limit(req->limit());
  if (!limit.ok()) return grpcserver::ToGrpcStatus(limit.status());
  if (!req->consumer().empty()) {
    const auto consumers = topology_.ConsumersOf(options_.service);
    if (std::none_of(consumers.begin(), consumers.end(),
                     [&](const auto& c) { return c.durable == req->consumer(); })) {
      return grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          absl::StrCat(options_.service, " has no durable consumer named ", req->consumer()));
    }
  }
  return Read(pool_, [&](pg::Transaction& tx) -> absl::Status {
    EDA_ASSIGN_OR_RETURN(
        pg::Result rows,
        tx.Exec("SELECT consumer, id, name, subject, extract(epoch from received_at)::float8 "
                "FROM inbox WHERE $1 = '' OR consumer = $1 ORDER BY received_at DESC LIMIT $2",
                {req->consumer(), *limit}));
    for (int i = 0; i < rows.rows(); ++i) {
      adminpb::ProcessedMessage* m = resp->add_messages();
      m->set_consumer(std::string(rows.Text(i, 0)));
      m->set_id(std::string(rows.Text(i, 1)));
      m->set_name(std::string(rows.Text(i, 2)));
      m->set_subject(std::string(rows.Text(i, 3)));
      EDA_ASSIGN_OR_RETURN(double received_at, rows.Double(i, 4));
      *m->mutable_received_at() = FromEpoch(received_at);
    }
    return absl::OkStatus();
  });
}

namespace {

// The columns of a SagaSummary from saga_instances (libs/saga).
constexpr char kSagaSummary[] =
    "SELECT name, id, status, step, step_name, "
    "CASE WHEN command_id <> '' THEN command_name ELSE '' END AS waiting_for, attempts, "
    "COALESCE(step_due < now(), false) AS stuck, last_error, "
    "extract(epoch from created_at)::float8 AS created_at, "
    "extract(epoch from updated_at)::float8 AS updated_at, "
    "extract(epoch from step_due)::float8 AS step_due FROM saga_instances ";

}  // namespace

grpc::Status AdminServer::ListSagas(grpc::ServerContext* ctx, const adminpb::ListSagasRequest* req,
                                    adminpb::ListSagasResponse* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  absl::StatusOr<int> limit = Limit(req->limit());
  if (!limit.ok()) return grpcserver::ToGrpcStatus(limit.status());
  static const auto* kStatuses =
      new std::set<std::string>{"", "running", "compensating", "completed", "compensated"};
  if (kStatuses->count(req->status()) == 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("unknown saga status '", req->status(),
                                     "' (running, compensating, completed, compensated)"));
  }
  return Read(pool_, [&](pg::Transaction& tx) -> absl::Status {
    EDA_ASSIGN_OR_RETURN(
        pg::Result rows,
        tx.Exec(absl::StrCat(kSagaSummary,
                             "WHERE ($1 = '' OR status = $1) AND (NOT $2 OR (NOT done AND "
                             "step_due < now())) ORDER BY created_at DESC LIMIT $3"),
                {req->status(), req->stuck(), *limit}));
    EDA_ASSIGN_OR_RETURN(std::vector<adminpb::SagaSummary> sagas,
                         RowsAs<adminpb::SagaSummary>(rows));
    for (adminpb::SagaSummary& saga : sagas) *resp->add_sagas() = std::move(saga);
    EDA_ASSIGN_OR_RETURN(pg::Result counts,
                         tx.Exec("SELECT count(*), count(*) FILTER (WHERE step_due < now()) "
                                 "FROM saga_instances WHERE NOT done"));
    EDA_ASSIGN_OR_RETURN(int64_t in_flight, counts.Int(0, 0));
    EDA_ASSIGN_OR_RETURN(int64_t stuck, counts.Int(0, 1));
    resp->set_in_flight(in_flight);
    resp->set_stuck(stuck);
    return absl::OkStatus();
  });
}

grpc::Status AdminServer::GetSaga(grpc::ServerContext* ctx, const adminpb::GetSagaRequest* req,
                                  adminpb::GetSagaResponse* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  if (req->id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a saga id is required");
  }
  return Read(pool_, [&](pg::Transaction& tx) -> absl::Status {
    EDA_ASSIGN_OR_RETURN(pg::Result found,
                         tx.Exec(absl::StrCat(kSagaSummary,
                                              "WHERE id = $1 AND ($2 = '' OR name = $2) "
                                              "ORDER BY created_at LIMIT 1"),
                                 {req->id(), req->name()}));
    EDA_ASSIGN_OR_RETURN(std::optional<adminpb::SagaSummary> saga,
                         FirstRowAs<adminpb::SagaSummary>(found));
    if (!saga.has_value()) {
      return absl::NotFoundError(absl::StrCat("saga ", req->id(), " not found"));
    }
    EDA_ASSIGN_OR_RETURN(
        pg::Result history,
        tx.Exec("SELECT extract(epoch from at)::float8 AS at, step, step_name, event, message, "
                "message_id, outcome, detail FROM saga_history WHERE name = $1 AND saga_id = $2 "
                "ORDER BY seq",
                {saga->name(), saga->id()}));
    EDA_ASSIGN_OR_RETURN(std::vector<adminpb::SagaEvent> events,
                         RowsAs<adminpb::SagaEvent>(history));
    *resp->mutable_saga() = *std::move(saga);
    for (adminpb::SagaEvent& e : events) *resp->add_history() = std::move(e);
    return absl::OkStatus();
  });
}

grpc::Status AdminServer::ListReadModels(grpc::ServerContext* ctx,
                                         const adminpb::ListReadModelsRequest*,
                                         adminpb::ListReadModelsResponse* resp) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  for (const ReadModel& model : read_models_) {
    adminpb::ReadModel* out = resp->add_read_models();
    out->set_name(model.name);
    out->set_table(model.table);
    out->set_durable(model.durable);
    for (const messaging::ConsumerSpec& c : topology_.ConsumersOf(options_.service)) {
      if (c.durable != model.durable) continue;
      out->set_stream(c.stream);
      out->set_filter(c.filter_subject);
    }
  }
  return grpc::Status::OK;
}

grpc::Status AdminServer::RebuildReadModel(
    grpc::ServerContext* ctx, const adminpb::RebuildReadModelRequest* req,
    grpc::ServerWriter<adminpb::RebuildReadModelProgress>* writer) {
  if (grpc::Status s = Authorize(*ctx); !s.ok()) return s;
  const ReadModel* model = nullptr;
  for (const ReadModel& m : read_models_) {
    if (m.name == req->read_model()) model = &m;
  }
  std::optional<messaging::ConsumerSpec> feed;
  for (const messaging::ConsumerSpec& c : topology_.ConsumersOf(options_.service)) {
    if (model != nullptr && c.durable == model->durable) feed = c;
  }
  if (model == nullptr || !feed.has_value()) {
    std::string known;
    for (const ReadModel& m : read_models_)
      absl::StrAppend(&known, known.empty() ? "" : ", ", m.name);
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat(options_.service, " has no read model '", req->read_model(),
                                     "' (it has: ", known.empty() ? "none" : known, ")"));
  }
  absl::Status done =
      eda::service::RebuildReadModel(pool_, nats_, *feed, *model, [&](const RebuildProgress& p) {
        adminpb::RebuildReadModelProgress out;
        out.set_phase(p.phase);
        out.set_applied(p.applied);
        out.set_total(p.total);
        writer->Write(out);  // a client gone away does not stop the rebuild
      });
  if (!done.ok()) {
    LOG_ERROR() << "rebuild failed" << eda::log::KV("read_model", model->name)
                << eda::log::KV("error", done);
    return grpcserver::ToGrpcStatus(done);
  }
  return grpc::Status::OK;
}

}  // namespace eda::service
