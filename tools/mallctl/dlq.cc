// mallctl dlq: the DEADLETTER stream (libs/messaging/consumer.h writes it). Entries are named by
// their sequence in that stream.
//
// A replay (messaging::ReplayDeadLetter) publishes the entry again on its original subject for
// the durable that failed it only, then deletes it.
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/consumer.h"
#include "libs/messaging/nats.h"
#include "tools/mallctl/commands.h"
#include "tools/mallctl/render.h"

namespace mallctl {
namespace {

using eda::messaging::FromNats;
using eda::messaging::NatsMsgPtr;

constexpr char kStream[] = "DEADLETTER";
constexpr char kNoStream[] =
    "there is no DEADLETTER stream yet (a consuming service creates it when it starts), so no "
    "dead letters";
constexpr char kUsage[] =
    "usage: mallctl dlq list | show SEQ | replay SEQ...|all | discard SEQ...|all";

// The entry at `seq`; nullopt (with nothing printed) when there is none.
absl::StatusOr<std::optional<NatsMsgPtr>> Get(jsCtx* js, uint64_t seq) {
  natsMsg* raw = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_GetMsg(&raw, js, kStream, seq, nullptr, &jerr);
  if (jerr == JSStreamNotFoundErr) return absl::NotFoundError(kNoStream);
  if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) return std::optional<NatsMsgPtr>();
  if (s != NATS_OK) return FromNats(s, absl::StrCat("reading dead letter ", seq), jerr);
  return std::optional<NatsMsgPtr>(NatsMsgPtr(raw));
}

// Every sequence currently in the stream (deleted ones skipped by Get).
absl::StatusOr<std::pair<uint64_t, uint64_t>> Range(jsCtx* js) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_GetStreamInfo(&si, js, kStream, nullptr, &jerr);
  if (jerr == JSStreamNotFoundErr) return std::pair<uint64_t, uint64_t>{1, 0};  // nothing yet
  if (s != NATS_OK) return FromNats(s, "reading the DEADLETTER stream", jerr);
  std::pair<uint64_t, uint64_t> range{si->State.FirstSeq, si->State.LastSeq};
  if (si->State.Msgs == 0) range = {1, 0};
  jsStreamInfo_Destroy(si);
  return range;
}

absl::Status Replay(jsCtx* js, uint64_t seq, natsMsg* dead) {
  EDA_RETURN_IF_ERROR(eda::messaging::ReplayDeadLetter(js, seq, dead));
  std::cout << "replayed " << seq << " (" << DescribeDeadLetter(dead, false).name() << ") on "
            << eda::messaging::Header(dead, "Mallbots-Dead-Subject") << " for "
            << eda::messaging::Header(dead, "Mallbots-Dead-Consumer") << "\n";
  return absl::OkStatus();
}

absl::Status Discard(jsCtx* js, uint64_t seq) {
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_DeleteMsg(js, kStream, seq, nullptr, &jerr);
  if (s != NATS_OK) return FromNats(s, absl::StrCat("discarding dead letter ", seq), jerr);
  std::cout << "discarded " << seq << "\n";
  return absl::OkStatus();
}

int Fail(const absl::Status& s) {
  std::cerr << absl::StatusCodeToString(s.code()) << ": " << s.message() << "\n";
  return kExitFailed;
}

}  // namespace

int DeadLetters(const Endpoints& nats, const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << kUsage << "\n";
    return kExitUsage;
  }
  const std::string& verb = args[0];
  const bool all = args.size() == 2 && args[1] == "all";
  std::vector<uint64_t> seqs;
  for (size_t i = 1; i < args.size() && !all; ++i) {
    uint64_t seq = 0;
    if (!absl::SimpleAtoi(args[i], &seq) || seq == 0) {
      std::cerr << "not a dead-letter sequence: '" << args[i] << "'\n" << kUsage << "\n";
      return kExitUsage;
    }
    seqs.push_back(seq);
  }
  const bool wants_seqs = verb == "show" || verb == "replay" || verb == "discard";
  if ((verb == "list" && args.size() != 1) || (wants_seqs && seqs.empty() && !all) ||
      (verb == "show" && (all || seqs.size() != 1)) || (!wants_seqs && verb != "list")) {
    std::cerr << kUsage << "\n";
    return kExitUsage;
  }

  auto conn = eda::messaging::Connection::Connect({.url = nats.nats_url,
                                                   .user = nats.nats_user,
                                                   .password = nats.nats_password,
                                                   .name = "mallctl"});
  if (!conn.ok()) return Fail(conn.status());
  jsCtx* js = (*conn)->js();

  if (all || verb == "list") {
    absl::StatusOr<std::pair<uint64_t, uint64_t>> range = Range(js);
    if (!range.ok()) return Fail(range.status());
    for (uint64_t seq = range->first; seq <= range->second; ++seq) seqs.push_back(seq);
  }
  int rc = 0;
  for (uint64_t seq : seqs) {
    absl::StatusOr<std::optional<NatsMsgPtr>> entry = Get(js, seq);
    if (!entry.ok()) return Fail(entry.status());
    if (!entry->has_value()) {
      if (all || verb == "list") continue;  // deleted earlier
      rc = Fail(absl::NotFoundError(absl::StrCat("no dead letter ", seq)));
      continue;
    }
    natsMsg* dead = (*entry)->get();
    absl::Status s;
    if (verb == "list") {
      std::cout << ToJson(DescribeDeadLetter(dead, false)) << "\n";
    } else if (verb == "show") {
      std::cout << ToJson(DescribeDeadLetter(dead, true), /*pretty=*/true) << "\n";
    } else if (verb == "replay") {
      s = Replay(js, seq, dead);
    } else {
      s = Discard(js, seq);
    }
    if (!s.ok()) rc = Fail(s);
  }
  std::cout.flush();
  return rc;
}

}  // namespace mallctl
