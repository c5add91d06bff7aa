#include "bench/floors.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/nats.h"
#include "libs/pg/connection.h"

namespace eda::bench {
namespace {

absl::Status NatsError(natsStatus s, absl::string_view what) {
  if (s == NATS_OK) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", natsStatus_GetText(s)));
}

}  // namespace

absl::StatusOr<PgFloor> MeasurePgCommits(const std::string& dsn, int clients,
                                         absl::Duration duration) {
  {
    EDA_ASSIGN_OR_RETURN(pg::Connection setup, pg::Connection::Open(dsn));
    EDA_RETURN_IF_ERROR(
        setup.Exec("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, v text)")
            .status());
  }
  std::vector<std::vector<double>> latencies(clients);
  std::vector<absl::Status> errors(clients);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  absl::Time end;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto conn = pg::Connection::Open(dsn);
      if (!conn.ok()) {
        errors[c] = conn.status();
        return;
      }
      while (!go) std::this_thread::yield();
      while (absl::Now() < end) {
        const absl::Time t0 = absl::Now();
        auto r = conn->Exec("INSERT INTO bench_floor (v) VALUES ($1)", {"x"});
        if (!r.ok()) {
          errors[c] = r.status();
          return;
        }
        latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      }
    });
  }
  const absl::Time start = absl::Now();
  end = start + duration;
  go = true;
  for (auto& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> all;
  for (int c = 0; c < clients; ++c) {
    EDA_RETURN_IF_ERROR(errors[c]);
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
  }
  if (all.empty()) return absl::InternalError("no commits measured");
  std::nth_element(all.begin(), all.begin() + all.size() / 2, all.end());
  return PgFloor{
      .commits_per_s = all.size() / seconds, .p50_ms = all[all.size() / 2], .clients = clients};
}

absl::StatusOr<JsFloor> MeasureJetStream(const std::string& nats_url, int messages) {
  // With the library settings the pipeline's connections use (it is opened once per process).
  EDA_RETURN_IF_ERROR(messaging::OpenNatsLibrary());
  natsConnection* nc = nullptr;
  EDA_RETURN_IF_ERROR(NatsError(natsConnection_ConnectTo(&nc, nats_url.c_str()), "connect"));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 256;
  jsCtx* js = nullptr;
  natsConnection_JetStream(&js, nc, &jo);
  auto cleanup = [&] {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  };

  const std::string stream = "BENCH_" + RandomHex(4);
  const std::string subject = "bench." + stream;
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = stream.c_str();
  const char* subjects[] = {subject.c_str()};
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js, &sc, nullptr, &jerr);
  jsStreamInfo_Destroy(si);
  if (s != NATS_OK) {
    cleanup();
    return NatsError(s, "add stream");
  }

  JsFloor floor;
  const std::string payload(256, 'x');
  absl::Time t0 = absl::Now();
  for (int i = 0; i < messages && s == NATS_OK; ++i) {
    s = js_PublishAsync(js, subject.c_str(), payload.data(), static_cast<int>(payload.size()),
                        nullptr);
  }
  if (s == NATS_OK) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 30000;
    s = js_PublishAsyncComplete(js, &po);
  }
  if (s != NATS_OK) {
    cleanup();
    return NatsError(s, "publish");
  }
  floor.publish_async_msgs_per_s = messages / absl::ToDoubleSeconds(absl::Now() - t0);

  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = "bench";
  cc.AckPolicy = js_AckExplicit;
  jsConsumerInfo* ci = nullptr;
  s = js_AddConsumer(&ci, js, stream.c_str(), &cc, nullptr, &jerr);
  jsConsumerInfo_Destroy(ci);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Consumer = "bench";
  natsSubscription* sub = nullptr;
  if (s == NATS_OK) s = js_PullSubscribe(&sub, js, subject.c_str(), "bench", nullptr, &so, &jerr);
  int received = 0;
  t0 = absl::Now();
  while (s == NATS_OK && received < messages) {
    natsMsgList list = {nullptr, 0};
    s = natsSubscription_Fetch(&list, sub, 100, 5000, &jerr);
    for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
    received += list.Count;
    natsMsgList_Destroy(&list);
  }
  floor.fetch_ack_msgs_per_s = received / absl::ToDoubleSeconds(absl::Now() - t0);
  natsSubscription_Destroy(sub);
  js_DeleteStream(js, stream.c_str(), nullptr, &jerr);
  cleanup();
  EDA_RETURN_IF_ERROR(NatsError(s, "fetch"));
  return floor;
}

}  // namespace eda::bench
