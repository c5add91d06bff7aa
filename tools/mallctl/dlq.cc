// mallctl dlq: the DEADLETTER stream (libs/messaging/consumer.h writes it). Entries are named by
// their sequence in that stream.
//
// A replay publishes the original body and headers again on the original subject, then deletes the
// dead letter. Every durable on that subject receives it; those that had handled it already find
// its envelope id in their inbox and skip it. Its Nats-Msg-Id is <original id>:replay:<seq>, so
// the stream does not drop it as a duplicate of the original, and replaying one entry twice within
// the duplicate window stores it once.
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
  const std::string subject = eda::messaging::Header(dead, "Mallbots-Dead-Subject");
  if (subject.empty())
    return absl::FailedPreconditionError(absl::StrCat("dead letter ", seq, " names no subject"));
  natsMsg* raw = nullptr;
  natsMsg_Create(&raw, subject.c_str(), nullptr, natsMsg_GetData(dead),
                 natsMsg_GetDataLength(dead));
  NatsMsgPtr msg(raw);
  eda::messaging::CopyHeaders(dead, msg.get(), [](absl::string_view key) {
    return !absl::StartsWith(key, "Mallbots-Dead-") && key != "Nats-Msg-Id";
  });
  const std::string id =
      absl::StrCat(eda::messaging::Header(dead, "Mallbots-Dead-Original-Msg-Id"), ":replay:", seq);
  natsMsgHeader_Set(msg.get(), "Nats-Msg-Id", id.c_str());
  jsPubAck* ack = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_PublishMsg(&ack, js, msg.get(), nullptr, &jerr);
  jsPubAck_Destroy(ack);
  if (s != NATS_OK)
    return FromNats(s, absl::StrCat("republishing dead letter ", seq, " on ", subject), jerr);
  // Only once the copy is stored: a failure here leaves the entry for another try.
  s = js_DeleteMsg(js, kStream, seq, nullptr, &jerr);
  if (s != NATS_OK)
    return FromNats(s, absl::StrCat("deleting dead letter ", seq, " after its replay"), jerr);
  std::cout << "replayed " << seq << " (" << DescribeDeadLetter(dead, false).name() << ") on "
            << subject << "\n";
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
