#include "libs/messaging/streams.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/subjects.h"

namespace eda::messaging {
namespace {

int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

struct StreamConfigHolder {
  explicit StreamConfigHolder(const StreamSpec& spec) {
    jsStreamConfig_Init(&cfg);
    for (const std::string& s : spec.subjects) subjects.push_back(s.c_str());
    cfg.Name = spec.name.c_str();
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = Nanos(spec.duplicates);
    cfg.Replicas = spec.replicas;
    cfg.MaxAge = Nanos(spec.max_age);
    cfg.MaxBytes = spec.max_bytes > 0 ? spec.max_bytes : -1;
    cfg.Discard = spec.discard_new ? js_DiscardNew : js_DiscardOld;
  }
  std::vector<const char*> subjects;
  jsStreamConfig cfg;
};

std::string DescribeStream(const jsStreamConfig& c) {
  std::vector<std::string> subjects(c.Subjects, c.Subjects + c.SubjectsLen);
  return absl::StrCat(
      "subjects=[", absl::StrJoin(subjects, ","),
      "] duplicates=", absl::FormatDuration(absl::Nanoseconds(c.Duplicates)),
      " replicas=", c.Replicas, " max_age=", absl::FormatDuration(absl::Nanoseconds(c.MaxAge)),
      " max_bytes=", c.MaxBytes, " discard=", c.Discard == js_DiscardNew ? "new" : "old");
}

std::string DescribeConsumer(const jsConsumerConfig& c) {
  std::vector<std::string> backoff;
  for (int i = 0; i < c.BackOffLen; ++i) {
    backoff.push_back(absl::FormatDuration(absl::Nanoseconds(c.BackOff[i])));
  }
  return absl::StrCat("filter=", c.FilterSubject != nullptr ? c.FilterSubject : "",
                      " ack=", c.AckPolicy == js_AckExplicit ? "explicit" : "other",
                      " ack_wait=", absl::FormatDuration(absl::Nanoseconds(c.AckWait)),
                      " max_deliver=", c.MaxDeliver, " backoff=[", absl::StrJoin(backoff, ","),
                      "] max_ack_pending=", c.MaxAckPending,
                      c.DeliverSubject != nullptr ? " push" : " pull");
}

}  // namespace

absl::Status EnsureStream(jsCtx* js, const StreamSpec& spec, bool update) {
  StreamConfigHolder wanted(spec);
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_GetStreamInfo(&info, js, spec.name.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    jerr = jsErrCode(0);
    s = js_AddStream(&info, js, &wanted.cfg, nullptr, &jerr);
    jsStreamInfo_Destroy(info);
    return FromNats(s, absl::StrCat("create stream ", spec.name), jerr);
  }
  if (s != NATS_OK) return FromNats(s, absl::StrCat("stream info ", spec.name), jerr);
  const jsStreamConfig& have = *info->Config;
  const std::string have_text = DescribeStream(have);
  const std::string want_text = DescribeStream(wanted.cfg);
  jsStreamInfo_Destroy(info);
  if (have_text == want_text || !update) return absl::OkStatus();
  jsStreamInfo* updated = nullptr;
  s = js_UpdateStream(&updated, js, &wanted.cfg, nullptr, &jerr);
  jsStreamInfo_Destroy(updated);
  if (s != NATS_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream ", spec.name, " exists with ", have_text, "; wanted ", want_text,
                     "; the update was refused: ", FromNats(s, "update", jerr).message()));
  }
  return absl::OkStatus();
}

absl::Status EnsureConsumer(jsCtx* js, const ConsumerSpec& spec) {
  std::vector<int64_t> backoff;
  for (absl::Duration d : spec.backoff) backoff.push_back(Nanos(d));
  jsConsumerConfig cfg;
  jsConsumerConfig_Init(&cfg);
  // Name + FilterSubject make nats.c use $JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>, the
  // only consumer-creating subject a service's NATS user is granted.
  cfg.Name = spec.durable.c_str();
  cfg.Durable = spec.durable.c_str();
  cfg.FilterSubject = spec.filter_subject.c_str();
  cfg.AckPolicy = js_AckExplicit;
  cfg.AckWait = Nanos(spec.ack_wait);
  // The server redelivers without limit; the consumer enforces max_deliver itself and
  // dead-letters, so a message whose dead-lettering failed is delivered again, not dropped.
  cfg.MaxDeliver = -1;
  cfg.BackOff = backoff.empty() ? nullptr : backoff.data();
  cfg.BackOffLen = static_cast<int>(backoff.size());
  cfg.MaxAckPending = spec.max_ack_pending;
  cfg.DeliverPolicy = js_DeliverAll;
  const std::string where = absl::StrCat("consumer ", spec.durable, " on ", spec.stream);

  jsConsumerInfo* info = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s =
      js_GetConsumerInfo(&info, js, spec.stream.c_str(), spec.durable.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
    jerr = jsErrCode(0);
    s = js_AddConsumer(&info, js, spec.stream.c_str(), &cfg, nullptr, &jerr);
    jsConsumerInfo_Destroy(info);
    return FromNats(s, absl::StrCat("create ", where), jerr);
  }
  if (s != NATS_OK) return FromNats(s, absl::StrCat("info of ", where), jerr);
  const jsConsumerConfig& have = *info->Config;
  const std::string have_text = DescribeConsumer(have);
  const std::string want_text = DescribeConsumer(cfg);
  const bool fixed_differs =
      have.DeliverSubject != nullptr || have.AckPolicy != cfg.AckPolicy ||
      std::string(have.FilterSubject ? have.FilterSubject : "") != spec.filter_subject;
  jsConsumerInfo_Destroy(info);
  if (have_text == want_text) return absl::OkStatus();
  if (fixed_differs) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, " exists with ", have_text, "; wanted ", want_text,
                     "; it cannot be changed in place (delete the consumer to recreate it, "
                     "which restarts its position)"));
  }
  jsConsumerInfo* updated = nullptr;
  s = js_UpdateConsumer(&updated, js, spec.stream.c_str(), &cfg, nullptr, &jerr);
  jsConsumerInfo_Destroy(updated);
  if (s != NATS_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, " exists with ", have_text, "; wanted ", want_text,
                     "; update refused: ", FromNats(s, "update", jerr).message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Topology> Topology::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("topology file ", path, " cannot be read"));
  Topology t;
  std::vector<int> subscriber_lines;  // for the checks after the whole file is read
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::vector<std::string> f = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.empty()) continue;
    if (f[0] == "stream" && f.size() >= 4) {
      StreamSpec spec{.name = f[2]};
      for (auto it = f.begin() + 3; it != f.end(); ++it) {
        if (it->find('=') == std::string::npos) {
          spec.subjects.push_back(*it);
        } else if (absl::Status s = ParseStreamOption(*it, spec); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": ", s.message()));
        }
      }
      if (spec.subjects.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", n, ": stream ", spec.name, " has no subjects"));
      }
      t.streams.push_back({f[1], std::move(spec)});
    } else if (f[0] == "publish" && f.size() == 3) {
      t.publishes.emplace_back(f[1], f[2]);
    } else if (f[0] == "call" && f.size() == 3) {
      t.calls.emplace_back(f[1], f[2]);
    } else if (f[0] == "consume" && f.size() == 5) {
      t.consumers.push_back(
          {f[1], ConsumerSpec{.stream = f[3], .durable = f[2], .filter_subject = f[4]}});
    } else if (f[0] == "subscriber" && f.size() == 5) {
      t.subscribers.push_back(
          {f[1], ConsumerSpec{.stream = f[3], .durable = f[2], .filter_subject = f[4]}});
      subscriber_lines.push_back(n);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": cannot parse '", line, "'"));
    }
  }
  for (size_t i = 0; i < t.subscribers.size(); ++i) {
    if (absl::Status s = t.CheckSubscriber(t.subscribers[i]); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", subscriber_lines[i], ": ", s.message()));
    }
  }
  return t;
}

absl::Status Topology::CheckSubscriber(const Subscriber& sub) const {
  const ConsumerSpec& spec = sub.spec;
  // Names become NATS user names, inbox prefixes and subject tokens.
  for (const std::string& name : {sub.name, spec.durable}) {
    const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (!plain) {
      return absl::InvalidArgumentError(absl::StrCat("subscriber ", sub.name, ": '", name,
                                                     "' is not made of letters, digits, - and _"));
    }
  }
  bool service = sub.name == "admin";
  for (const Stream& s : streams) service |= s.owner == sub.name;
  for (const Consumer& c : consumers) service |= c.service == sub.name;
  for (const auto& publish : publishes) service |= publish.first == sub.name;
  if (service) {
    return absl::InvalidArgumentError(
        absl::StrCat("subscriber ", sub.name, ": the name of a service's (or the admin's) user"));
  }
  const Stream* stream = nullptr;
  for (const Stream& s : streams) {
    if (s.spec.name == spec.stream) stream = &s;
  }
  if (stream == nullptr || stream->owner == kShared) {
    return absl::InvalidArgumentError(
        absl::StrCat("subscriber ", sub.name, ": ", spec.stream, " is no stream of a service"));
  }
  const bool inside =
      std::any_of(stream->spec.subjects.begin(), stream->spec.subjects.end(),
                  [&](const std::string& p) { return SubjectMatches(p, spec.filter_subject); });
  if (!inside) {
    return absl::InvalidArgumentError(absl::StrCat(
        "subscriber ", sub.name, ": ", spec.filter_subject, " is not a subject of ", spec.stream));
  }
  int taken = 0;
  for (const Consumer& c : consumers) {  // a service's durable, or the one its rebuilds make
    taken += c.spec.stream == spec.stream &&
             (c.spec.durable == spec.durable || c.spec.durable + "-rebuild" == spec.durable);
  }
  for (const Subscriber& other : subscribers) {
    taken += other.spec.stream == spec.stream && other.spec.durable == spec.durable;
  }
  if (taken > 1) {
    return absl::InvalidArgumentError(absl::StrCat("subscriber ", sub.name, ": durable ",
                                                   spec.durable, " on ", spec.stream, " is taken"));
  }
  return absl::OkStatus();
}

std::vector<ConsumerSpec> Topology::SubscriberDurablesOn(const std::string& service) const {
  std::vector<ConsumerSpec> out;
  for (const Subscriber& sub : subscribers) {
    for (const Stream& s : streams) {
      if (s.owner == service && s.spec.name == sub.spec.stream) out.push_back(sub.spec);
    }
  }
  return out;
}

std::vector<std::string> Topology::PeersOf(const std::string& service) const {
  std::vector<std::string> out;
  for (const auto& [caller, peer] : calls) {
    if (caller == service) out.push_back(peer);
  }
  return out;
}

std::vector<std::string> Topology::ReplyChannelsOf(const std::string& service) const {
  const std::vector<StreamSpec> own = StreamsOwnedBy(service);
  std::vector<std::string> out;
  for (const auto& publish : publishes) {
    if (publish.first != service) continue;
    const std::string& subject = publish.second;  // a lambda may not capture a binding (clang 14)
    const bool event = std::any_of(own.begin(), own.end(), [&](const StreamSpec& s) {
      return std::any_of(s.subjects.begin(), s.subjects.end(),
                         [&](const std::string& p) { return SubjectMatches(p, subject); });
    });
    const std::vector<absl::string_view> tokens = absl::StrSplit(subject, '.');
    const bool replies = std::find(tokens.begin(), tokens.end(), "replies") != tokens.end();
    if (!event && replies) out.push_back(subject);
  }
  return out;
}

std::vector<StreamSpec> Topology::StreamsOwnedBy(const std::string& service) const {
  std::vector<StreamSpec> out;
  for (const Stream& s : streams) {
    if (s.owner == service) out.push_back(s.spec);
  }
  return out;
}

std::vector<StreamSpec> Topology::SharedStreams() const {
  std::vector<StreamSpec> out = StreamsOwnedBy(kShared);
  if (out.empty()) out.push_back(DeadLetterStream());
  return out;
}

std::vector<ConsumerSpec> Topology::ConsumersOf(const std::string& service) const {
  std::vector<ConsumerSpec> out;
  for (const Consumer& c : consumers) {
    if (c.service == service) out.push_back(c.spec);
  }
  return out;
}

StreamSpec DeadLetterStream() {
  return StreamSpec{.name = "DEADLETTER", .subjects = {"mallbots.deadletter.>"}};
}

absl::Status ParseStreamOption(absl::string_view option, StreamSpec& spec) {
  const std::pair<absl::string_view, absl::string_view> kv =
      absl::StrSplit(option, absl::MaxSplits('=', 1));
  const absl::string_view key = kv.first, value = kv.second;
  if (key == "max_age") {
    if (absl::ParseDuration(value, &spec.max_age) && spec.max_age >= absl::ZeroDuration()) {
      return absl::OkStatus();
    }
  } else if (key == "max_bytes") {
    static constexpr std::pair<absl::string_view, int64_t> kUnits[] = {
        {"TiB", int64_t{1} << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}};
    absl::string_view digits = value;
    int64_t unit = 1;
    for (const auto& [suffix, factor] : kUnits) {
      if (absl::ConsumeSuffix(&digits, suffix)) {
        unit = factor;
        break;
      }
    }
    int64_t n = 0;
    if (absl::SimpleAtoi(digits, &n) && n >= 0 && n <= INT64_MAX / unit) {
      spec.max_bytes = n * unit;
      return absl::OkStatus();
    }
  } else if (key == "discard") {
    if (value == "old" || value == "new") {
      spec.discard_new = value == "new";
      return absl::OkStatus();
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown stream option '", option, "' (max_age, max_bytes, discard)"));
  }
  return absl::InvalidArgumentError(absl::StrCat("bad value in stream option '", option, "'"));
}

}  // namespace eda::messaging
