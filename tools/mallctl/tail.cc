// mallctl tail: one ordered (ephemeral, unacknowledged) consumer per stream whose subjects meet
// the pattern; every message printed as a JSON line as it arrives.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/subjects.h"
#include "tools/mallctl/commands.h"
#include "tools/mallctl/render.h"

namespace mallctl {
namespace {

using eda::messaging::NatsSubPtr;

struct Printer {
  absl::Mutex mu;
  int64_t printed ABSL_GUARDED_BY(mu) = 0;
  int64_t limit = 0;
  std::string mentioning;  // only the lines that contain it (empty: every line)
  // While set, lines are kept (with their stored time) instead of printed: the stored messages of
  // every stream, printed in the order they were stored once the replay is in.
  bool holding ABSL_GUARDED_BY(mu) = false;
  std::vector<std::pair<int64_t, std::string>> held ABSL_GUARDED_BY(mu);
  absl::Time last_arrival ABSL_GUARDED_BY(mu) = absl::Now();  // of any message, even unprinted
};

void OnMessage(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  eda::messaging::NatsMsgPtr msg(raw);
  auto* printer = static_cast<Printer*>(closure);
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg.get()) != NATS_OK) return;  // flow control, heartbeats
  {
    absl::MutexLock lock(&printer->mu);
    printer->last_arrival = absl::Now();
  }
  const std::string line = ToJson(
      DescribeMessage(meta->Stream, meta->Sequence.Stream, meta->Timestamp, msg.get(), false));
  const int64_t stored_ns = meta->Timestamp;
  jsMsgMetaData_Destroy(meta);
  if (!printer->mentioning.empty() && line.find(printer->mentioning) == std::string::npos) return;
  absl::MutexLock lock(&printer->mu);
  if (printer->holding) {
    printer->held.emplace_back(stored_ns, line);
    return;
  }
  if (printer->limit > 0 && printer->printed >= printer->limit) return;
  std::cout << line << std::endl;
  ++printer->printed;
}

}  // namespace

int Follow(const Endpoints& nats, const std::string& id, absl::Duration timeout) {
  return Tail(nats, {.from_start = true, .timeout = timeout, .mentioning = id, .in_order = true});
}

int Tail(const Endpoints& nats, const TailArgs& args) {
  auto conn = eda::messaging::Connection::Connect({.url = nats.nats_url,
                                                   .user = nats.nats_user,
                                                   .password = nats.nats_password,
                                                   .name = "mallctl"});
  if (!conn.ok()) {
    std::cerr << "cannot connect to NATS at " << nats.nats_url << ": " << conn.status() << "\n";
    return kExitFailed;
  }
  jsStreamInfoList* list = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus listed = js_Streams(&list, (*conn)->js(), nullptr, &jerr);
  if (listed == NATS_NOT_FOUND) {
    std::cerr << "the server has no streams yet\n";
    return kExitFailed;
  }
  if (listed != NATS_OK) {
    std::cerr << eda::messaging::FromNats(listed, "listing streams", jerr) << "\n";
    return kExitFailed;
  }
  // Lives until the process exits: a callback already running when a subscription goes away may
  // still be printing through it.
  Printer& printer = *new Printer;
  printer.limit = args.count;
  printer.mentioning = args.mentioning;
  if (args.in_order) {
    absl::MutexLock lock(&printer.mu);
    printer.holding = true;
  }
  std::vector<NatsSubPtr> subs;
  for (int i = 0; i < list->Count; ++i) {
    const jsStreamConfig* cfg = list->List[i]->Config;
    for (int j = 0; j < cfg->SubjectsLen; ++j) {
      const std::optional<std::string> filter =
          eda::messaging::Intersect(args.pattern, cfg->Subjects[j]);
      if (!filter) continue;
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = cfg->Name;
      so.Ordered = true;
      so.Config.DeliverPolicy = args.from_start ? js_DeliverAll : js_DeliverNew;
      natsSubscription* sub = nullptr;
      if (natsStatus s = js_Subscribe(&sub, (*conn)->js(), filter->c_str(), OnMessage, &printer,
                                      nullptr, &so, &jerr);
          s != NATS_OK) {
        std::cerr << eda::messaging::FromNats(s, std::string("following ") + cfg->Name, jerr)
                  << "\n";
        jsStreamInfoList_Destroy(list);
        return kExitFailed;
      }
      subs.emplace_back(sub);
      std::cerr << "following " << cfg->Name << " (" << *filter << ")" << std::endl;
    }
  }
  jsStreamInfoList_Destroy(list);
  if (subs.empty()) {
    std::cerr << "no stream holds subjects matching " << args.pattern << "\n";
    return kExitFailed;
  }
  if (args.in_order) {
    // The stored messages come at once: the replay is in when nothing came for 300 ms (at least
    // 500 ms after subscribing, at most 30 s). What comes after is printed as it comes.
    const absl::Time start = absl::Now();
    while (absl::Now() - start < absl::Seconds(30)) {
      absl::SleepFor(absl::Milliseconds(100));
      absl::MutexLock lock(&printer.mu);
      if (absl::Now() - start >= absl::Milliseconds(500) &&
          absl::Now() - printer.last_arrival >= absl::Milliseconds(300)) {
        break;
      }
    }
    absl::MutexLock lock(&printer.mu);
    std::sort(printer.held.begin(), printer.held.end());
    for (const auto& [stored_ns, line] : printer.held) std::cout << line << "\n";
    std::cout << std::flush;
    printer.printed += static_cast<int64_t>(printer.held.size());
    printer.held.clear();
    printer.holding = false;
  }
  bool complete = false;
  {
    absl::MutexLock lock(&printer.mu);
    auto done = [&printer]() ABSL_SHARED_LOCKS_REQUIRED(printer.mu) {
      return printer.limit > 0 && printer.printed >= printer.limit;
    };
    printer.mu.AwaitWithTimeout(absl::Condition(&done), args.timeout);
    complete = args.count == 0 || printer.printed >= args.count;
  }
  return complete ? 0 : kExitFailed;
}

}  // namespace mallctl
