#include "libs/eventsourcing/event_store.h"

#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"

namespace eda::es {
namespace {

std::string MetadataJson(const std::map<std::string, std::string>& md) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : md) {
    if (!first) out += ",";
    first = false;
    for (const std::string* s : {&k, &v}) {
      out += "\"";
      for (char c : *s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) >= 0x20) out += c;
      }
      out += "\"";
      if (s == &k) out += ":";
    }
  }
  return out + "}";
}

}  // namespace

Writer Immediate(pg::Transaction& tx) {
  return [&tx](pg::Connection::Statement st) {
    absl::Status s = tx.Exec(st.sql, st.params).status();
    if (s.ok() || !st.on_error) return s;
    absl::Status mapped = st.on_error(s);
    return mapped.ok() ? s : mapped;  // a mapping may rename an error, not drop it
  };
}

absl::Status AppendEvents(const Writer& write, const std::string& stream_id,
                          const std::string& stream_type, int expected_version,
                          std::vector<StoredEvent>& events) {
  if (events.empty()) return absl::OkStatus();
  std::string sql =
      "INSERT INTO events (stream_id, stream_type, stream_version, event_id, event_name, "
      "event_version, payload, metadata, occurred_at) VALUES ";
  std::vector<pg::Param> params;
  params.reserve(events.size() * 9);
  for (size_t i = 0; i < events.size(); ++i) {
    StoredEvent& e = events[i];
    if (e.id.empty()) e.id = NewUuid();
    if (e.occurred_at == absl::UnixEpoch()) e.occurred_at = absl::Now();
    e.stream_version = expected_version + static_cast<int>(i) + 1;
    const size_t p = params.size();
    absl::StrAppend(&sql, i > 0 ? ", " : "", "($", p + 1, ", $", p + 2, ", $", p + 3, ", $", p + 4,
                    ", $", p + 5, ", $", p + 6, ", $", p + 7, ", $", p + 8, "::jsonb, $", p + 9,
                    "::timestamptz)");
    params.emplace_back(stream_id);
    params.emplace_back(stream_type);
    params.emplace_back(e.stream_version);
    params.emplace_back(e.id);
    params.emplace_back(e.name);
    params.emplace_back(e.version);
    params.push_back(pg::Param::Bytes(e.payload));
    params.emplace_back(MetadataJson(e.metadata));
    params.emplace_back(absl::FormatTime(absl::RFC3339_full, e.occurred_at, absl::UTCTimeZone()));
  }
  return write({std::move(sql), std::move(params), [=](absl::Status s) {
                  if (s.code() != absl::StatusCode::kAlreadyExists) return s;
                  return absl::AbortedError(absl::StrCat(
                      stream_type, " ", stream_id, " was changed concurrently (expected version ",
                      expected_version, ")"));
                }});
}

namespace {

// Row i of a result whose columns `first`.. are: stream_version, event_id, event_name,
// event_version, payload, occurred_at (epoch seconds).
absl::StatusOr<StoredEvent> EventRow(const pg::Result& r, int i, int first) {
  StoredEvent e;
  EDA_ASSIGN_OR_RETURN(int64_t v, r.Int(i, first));
  e.stream_version = static_cast<int>(v);
  e.id = std::string(r.Text(i, first + 1));
  e.name = std::string(r.Text(i, first + 2));
  EDA_ASSIGN_OR_RETURN(int64_t ev, r.Int(i, first + 3));
  e.version = static_cast<int>(ev);
  EDA_ASSIGN_OR_RETURN(e.payload, r.Bytes(i, first + 4));
  EDA_ASSIGN_OR_RETURN(double at, r.Double(i, first + 5));
  e.occurred_at = absl::FromUnixMicros(static_cast<int64_t>(at * 1e6));
  return e;
}

}  // namespace

absl::StatusOr<std::vector<StoredEvent>> LoadEvents(pg::Transaction& tx,
                                                    const std::string& stream_id,
                                                    const std::string& stream_type,
                                                    int after_version) {
  EDA_ASSIGN_OR_RETURN(
      pg::Result r, tx.Exec("SELECT stream_version, event_id, event_name, event_version, payload, "
                            "extract(epoch from occurred_at)::float8 FROM events "
                            "WHERE stream_id = $1 AND stream_type = $2 AND stream_version > $3 "
                            "ORDER BY stream_version",
                            {stream_id, stream_type, after_version}));
  std::vector<StoredEvent> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    EDA_ASSIGN_OR_RETURN(StoredEvent e, EventRow(r, i, 0));
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<StoredStream> LoadStream(pg::Transaction& tx, const std::string& stream_id,
                                        const std::string& stream_type) {
  // The snapshot row (is_snapshot = true) sorts first, then the events after it in order.
  EDA_ASSIGN_OR_RETURN(
      pg::Result r,
      tx.Exec("WITH snap AS (SELECT stream_version, snapshot_name, snapshot_version, payload "
              "              FROM snapshots WHERE stream_id = $1 AND stream_type = $2) "
              "SELECT true AS is_snapshot, stream_version, NULL, snapshot_name, snapshot_version, "
              "       payload, 0::float8 FROM snap "
              "UNION ALL "
              "SELECT false, stream_version, event_id, event_name, event_version, payload, "
              "       extract(epoch from occurred_at)::float8 FROM events "
              "WHERE stream_id = $1 AND stream_type = $2 "
              "  AND stream_version > COALESCE((SELECT stream_version FROM snap), 0) "
              "ORDER BY 1 DESC, 2",
              {stream_id, stream_type}));
  StoredStream out;
  out.events.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    if (r.Bool(i, 0)) {
      StoredSnapshot s;
      EDA_ASSIGN_OR_RETURN(int64_t sv, r.Int(i, 1));
      s.stream_version = static_cast<int>(sv);
      s.name = std::string(r.Text(i, 3));
      EDA_ASSIGN_OR_RETURN(int64_t version, r.Int(i, 4));
      s.version = static_cast<int>(version);
      EDA_ASSIGN_OR_RETURN(s.payload, r.Bytes(i, 5));
      out.snapshot = std::move(s);
      continue;
    }
    EDA_ASSIGN_OR_RETURN(StoredEvent e, EventRow(r, i, 1));
    out.events.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::optional<StoredSnapshot>> LoadSnapshot(pg::Transaction& tx,
                                                           const std::string& stream_id,
                                                           const std::string& stream_type) {
  EDA_ASSIGN_OR_RETURN(pg::Result r,
                       tx.Exec("SELECT snapshot_name, snapshot_version, payload, stream_version "
                               "FROM snapshots WHERE stream_id = $1 AND stream_type = $2",
                               {stream_id, stream_type}));
  if (r.rows() == 0) return std::optional<StoredSnapshot>();
  StoredSnapshot s;
  s.name = std::string(r.Text(0, 0));
  EDA_ASSIGN_OR_RETURN(int64_t version, r.Int(0, 1));
  s.version = static_cast<int>(version);
  EDA_ASSIGN_OR_RETURN(s.payload, r.Bytes(0, 2));
  EDA_ASSIGN_OR_RETURN(int64_t sv, r.Int(0, 3));
  s.stream_version = static_cast<int>(sv);
  return std::optional<StoredSnapshot>(std::move(s));
}

absl::Status SaveSnapshot(const Writer& write, const std::string& stream_id,
                          const std::string& stream_type, const StoredSnapshot& s) {
  return write(
      {"INSERT INTO snapshots (stream_id, stream_type, stream_version, snapshot_name, "
       "snapshot_version, payload) VALUES ($1, $2, $3, $4, $5, $6) "
       "ON CONFLICT (stream_id, stream_type) DO UPDATE SET stream_version = "
       "EXCLUDED.stream_version, "
       "snapshot_name = EXCLUDED.snapshot_name, snapshot_version = EXCLUDED.snapshot_version, "
       "payload = EXCLUDED.payload, updated_at = now() "
       "WHERE snapshots.stream_version < EXCLUDED.stream_version",
       {stream_id, stream_type, s.stream_version, s.name, s.version, pg::Param::Bytes(s.payload)}});
}

}  // namespace eda::es
