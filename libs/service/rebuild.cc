#include "libs/service/rebuild.h"

#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/envelope.h"
#include "libs/observability/logging.h"
#include "libs/outbox/unit_of_work.h"

namespace eda::service {
namespace {

using log::KV;

constexpr int kBatch = 500;
// Where the replaced table goes to be dropped. The shadow is built in a schema of its own per
// table (ShadowSchema), so that a rebuild's statements see no other model's shadow.
constexpr char kRetired[] = "rebuild_retired";

std::string ShadowSchema(const std::string& table) { return "rebuild_" + table; }

// The models being rebuilt by this process.
std::mutex rebuilding_mu;
std::set<std::string> rebuilding;

class Claim final {
 public:
  explicit Claim(std::string name) : name_(std::move(name)) {
    std::lock_guard<std::mutex> lock(rebuilding_mu);
    claimed_ = rebuilding.insert(name_).second;
  }
  ~Claim() {
    if (!claimed_) return;
    std::lock_guard<std::mutex> lock(rebuilding_mu);
    rebuilding.erase(name_);
  }
  bool claimed() const { return claimed_; }

 private:
  std::string name_;
  bool claimed_ = false;
};

struct Fetched {
  std::vector<messaging::NatsMsgPtr> msgs;
  std::vector<messaging::Message> decoded;
  uint64_t pending = 0;  // left in the stream after the last one
};

// Up to kBatch messages within `wait`. Errors: NATS's (a timeout is an empty batch).
absl::StatusOr<Fetched> Fetch(natsSubscription* sub, absl::Duration wait) {
  natsMsgList list{};
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = natsSubscription_Fetch(
      &list, sub, kBatch, static_cast<int64_t>(absl::ToInt64Milliseconds(wait)), &jerr);
  Fetched out;
  if (s == NATS_TIMEOUT) return out;
  EDA_RETURN_IF_ERROR(messaging::FromNats(s, "rebuild fetch", jerr));
  for (int i = 0; i < list.Count; ++i) {
    natsMsg* msg = list.Msgs[i];
    list.Msgs[i] = nullptr;
    out.msgs.emplace_back(msg);
    absl::StatusOr<messaging::Message> m = messaging::DecodeEnvelope(
        natsMsg_GetSubject(msg),
        absl::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      out.pending = meta->NumPending;
      jsMsgMetaData_Destroy(meta);
    }
    if (!m.ok()) {
      natsMsgList_Destroy(&list);
      return Annotate(m.status(), "rebuild: a message of the stream is unreadable");
    }
    out.decoded.push_back(*std::move(m));
  }
  natsMsgList_Destroy(&list);
  return out;
}

absl::Status Apply(outbox::UnitOfWork& uow, const ReadModel& model, const Fetched& batch) {
  for (const messaging::Message& m : batch.decoded) {
    if (absl::Status s = model.apply(uow, m); !s.ok()) {
      return Annotate(s, absl::StrCat("rebuild of ", model.name, ": message ", m.id, " (", m.name,
                                      ") was refused"));
    }
  }
  return absl::OkStatus();
}

void Ack(const Fetched& batch) {
  for (const messaging::NatsMsgPtr& msg : batch.msgs) natsMsg_Ack(msg.get(), nullptr);
}

// Index name -> its definition from USING on, for the indexes of `schema`.`table`.
absl::StatusOr<std::map<std::string, std::string>> Indexes(pg::Transaction& tx,
                                                           const std::string& schema,
                                                           const std::string& table) {
  EDA_ASSIGN_OR_RETURN(
      pg::Result r,
      tx.Exec("SELECT c.relname, regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') "
              "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
              "WHERE i.indrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass",
              {schema, table}));
  std::map<std::string, std::string> out;
  for (int i = 0; i < r.rows(); ++i) out[std::string(r.Text(i, 0))] = std::string(r.Text(i, 1));
  return out;
}

// Replaces public.<table> by the shadow, whose indexes take the live ones' names.
absl::Status Swap(pg::Transaction& tx, const std::string& table) {
  const std::string shadow_schema = ShadowSchema(table);
  EDA_ASSIGN_OR_RETURN(auto live, Indexes(tx, "public", table));
  EDA_ASSIGN_OR_RETURN(auto shadow, Indexes(tx, shadow_schema, table));
  std::map<std::string, std::string> live_by_definition;
  for (const auto& [name, definition] : live) live_by_definition[definition] = name;
  const std::string t = absl::StrCat("\"", table, "\"");
  EDA_RETURN_IF_ERROR(tx.Exec(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", kRetired)).status());
  EDA_RETURN_IF_ERROR(tx.Exec(absl::StrCat("DROP TABLE IF EXISTS ", kRetired, ".", t)).status());
  EDA_RETURN_IF_ERROR(
      tx.Exec(absl::StrCat("ALTER TABLE public.", t, " SET SCHEMA ", kRetired)).status());
  for (const auto& [name, definition] : shadow) {
    auto it = live_by_definition.find(definition);
    if (it == live_by_definition.end() || it->second == name) continue;
    EDA_RETURN_IF_ERROR(tx.Exec(absl::StrCat("ALTER INDEX \"", shadow_schema, "\".\"", name,
                                             "\" RENAME TO \"", it->second, "\""))
                            .status());
  }
  EDA_RETURN_IF_ERROR(
      tx.Exec(absl::StrCat("ALTER TABLE \"", shadow_schema, "\".", t, " SET SCHEMA public"))
          .status());
  return tx.Exec(absl::StrCat("DROP TABLE ", kRetired, ".", t)).status();
}

absl::Status DeleteConsumer(jsCtx* js, const messaging::ConsumerSpec& spec) {
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_DeleteConsumer(js, spec.stream.c_str(), spec.durable.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) return absl::OkStatus();
  return messaging::FromNats(s, absl::StrCat("delete consumer ", spec.durable), jerr);
}

}  // namespace

absl::Status RebuildReadModel(pg::Pool& pool, messaging::Connection& nats,
                              const messaging::ConsumerSpec& feed, const ReadModel& model,
                              const std::function<void(const RebuildProgress&)>& progress) {
  Claim claim(model.name);
  if (!claim.claimed()) {
    return absl::AbortedError(absl::StrCat(model.name, " is being rebuilt already"));
  }
  const std::string table = absl::StrCat("\"", model.table, "\"");
  const std::string shadow = absl::StrCat("\"", ShadowSchema(model.table), "\"");
  const std::string set_path = absl::StrCat("SET LOCAL search_path TO ", shadow, ", public");
  absl::Status made = outbox::RunUnitOfWork(pool, [&](outbox::UnitOfWork& uow) -> absl::Status {
    EDA_RETURN_IF_ERROR(
        uow.tx().Exec(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", shadow)).status());
    EDA_RETURN_IF_ERROR(
        uow.tx().Exec(absl::StrCat("DROP TABLE IF EXISTS ", shadow, ".", table)).status());
    return uow.tx()
        .Exec(absl::StrCat("CREATE TABLE ", shadow, ".", table, " (LIKE public.", table,
                           " INCLUDING ALL)"))
        .status();
  });
  EDA_RETURN_IF_ERROR(made);

  // A durable of its own that replays the feed from its first message.
  messaging::ConsumerSpec replay = feed;
  replay.durable = feed.durable + "-rebuild";
  replay.max_ack_pending = 10 * kBatch;
  EDA_RETURN_IF_ERROR(DeleteConsumer(nats.js(), replay));
  EDA_RETURN_IF_ERROR(messaging::EnsureConsumer(nats.js(), replay));
  RebuildProgress at{.phase = "replaying"};
  {
    jsConsumerInfo* info = nullptr;
    jsErrCode jerr = jsErrCode(0);
    EDA_RETURN_IF_ERROR(
        messaging::FromNats(js_GetConsumerInfo(&info, nats.js(), replay.stream.c_str(),
                                               replay.durable.c_str(), nullptr, &jerr),
                            "rebuild consumer info", jerr));
    at.total = static_cast<int64_t>(info->NumPending);
    jsConsumerInfo_Destroy(info);
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = replay.stream.c_str();
  so.Consumer = replay.durable.c_str();
  natsSubscription* raw = nullptr;
  jsErrCode jerr = jsErrCode(0);
  EDA_RETURN_IF_ERROR(
      messaging::FromNats(js_PullSubscribe(&raw, nats.js(), replay.filter_subject.c_str(),
                                           replay.durable.c_str(), nullptr, &so, &jerr),
                          "rebuild subscribe", jerr));
  messaging::NatsSubPtr sub(raw);
  LOG_INFO() << "rebuild started" << KV("read_model", model.name) << KV("table", model.table)
             << KV("stream", replay.stream) << KV("messages", at.total);
  progress(at);

  // Everything up to now into the shadow, a batch per transaction.
  for (bool more = at.total > 0; more;) {
    EDA_ASSIGN_OR_RETURN(Fetched batch, Fetch(sub.get(), absl::Seconds(2)));
    if (batch.decoded.empty()) break;
    absl::Status applied = outbox::RunUnitOfWork(pool, [&](outbox::UnitOfWork& uow) {
      absl::Status s = uow.tx().Exec(set_path).status();
      return s.ok() ? Apply(uow, model, batch) : s;
    });
    EDA_RETURN_IF_ERROR(applied);
    Ack(batch);
    at.applied += static_cast<int64_t>(batch.decoded.size());
    at.total = std::max(at.total, at.applied + static_cast<int64_t>(batch.pending));
    more = batch.pending > 0;
    progress(at);
  }

  // The swap: the live table locked, what came meanwhile applied, the tables exchanged.
  at.phase = "swapping";
  progress(at);
  // What an attempt fetched stays fetched (unacknowledged): a retried attempt applies it first.
  std::vector<Fetched> tail;
  absl::Status swapped = outbox::RunUnitOfWork(pool, [&](outbox::UnitOfWork& uow) -> absl::Status {
    EDA_RETURN_IF_ERROR(
        uow.tx()
            .Exec(absl::StrCat("LOCK TABLE public.", table, " IN ACCESS EXCLUSIVE MODE"))
            .status());
    EDA_RETURN_IF_ERROR(uow.tx().Exec(set_path).status());
    for (const Fetched& batch : tail) EDA_RETURN_IF_ERROR(Apply(uow, model, batch));
    for (bool more = tail.empty() || tail.back().pending > 0; more;) {
      EDA_ASSIGN_OR_RETURN(Fetched batch, Fetch(sub.get(), absl::Milliseconds(300)));
      if (batch.decoded.empty()) break;
      EDA_RETURN_IF_ERROR(Apply(uow, model, batch));
      more = batch.pending > 0;
      tail.push_back(std::move(batch));
    }
    EDA_RETURN_IF_ERROR(uow.tx().Exec("SET LOCAL search_path TO public").status());
    return Swap(uow.tx(), model.table);
  });
  EDA_RETURN_IF_ERROR(swapped);
  for (const Fetched& batch : tail) {
    Ack(batch);
    at.applied += static_cast<int64_t>(batch.decoded.size());
  }
  at.total = std::max(at.total, at.applied);
  sub.reset();
  if (absl::Status s = DeleteConsumer(nats.js(), replay); !s.ok()) {
    LOG_WARN() << "rebuild consumer left behind" << KV("durable", replay.durable) << KV("error", s);
  }
  at.phase = "done";
  LOG_INFO() << "rebuild done" << KV("read_model", model.name) << KV("messages", at.applied);
  progress(at);
  return absl::OkStatus();
}

}  // namespace eda::service
