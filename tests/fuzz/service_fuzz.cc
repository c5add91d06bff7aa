// File: service_fuzz.cc
#include "tests/fuzz/service_fuzz.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/streams.h"
#include "libs/observability/logging.h"
#include "libs/testing/harness.h"
#include "tests/fuzz/api_registry.h"

namespace eda::fuzz {
namespace {

constexpr absl::Duration kHang = absl::Seconds(10);
constexpr char kSeedId[] = "0f0f0f0f-1111-4222-8333-444444444444";

// One thing an input can be: a call of `method`, or a message on `subject` for `durable`.
struct Entry {
  std::string label;  // what a report and a seed's file name say
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string path;  // the method's "/package.Service/Method"
  std::string durable;
  std::string subject;
  messaging::BatchHandler handler;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "service_fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Sets every field of `m` (one element for repeated ones, nested messages to `depth`): strings
// ending in "id" the seed UUID, other strings a word, numbers 1, enums their second value.
void Fill(google::protobuf::Message& m, int depth = 3) {
  using FD = google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection& r = *m.GetReflection();
  const google::protobuf::Descriptor& d = *m.GetDescriptor();
  for (int i = 0; i < d.field_count(); ++i) {
    const FD* f = d.field(i);
    if (f->containing_oneof() != nullptr && f->index_in_oneof() != 0) continue;
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FD::CPPTYPE_STRING: {
        const std::string v = absl::EndsWith(f->name(), "id") ? kSeedId : "fuzz";
        rep ? r.AddString(&m, f, v) : r.SetString(&m, f, v);
        break;
      }
      case FD::CPPTYPE_INT32:
        rep ? r.AddInt32(&m, f, 1) : r.SetInt32(&m, f, 1);
        break;
      case FD::CPPTYPE_INT64:
        rep ? r.AddInt64(&m, f, 1) : r.SetInt64(&m, f, 1);
        break;
      case FD::CPPTYPE_UINT32:
        rep ? r.AddUInt32(&m, f, 1) : r.SetUInt32(&m, f, 1);
        break;
      case FD::CPPTYPE_UINT64:
        rep ? r.AddUInt64(&m, f, 1) : r.SetUInt64(&m, f, 1);
        break;
      case FD::CPPTYPE_DOUBLE:
        rep ? r.AddDouble(&m, f, 1.5) : r.SetDouble(&m, f, 1.5);
        break;
      case FD::CPPTYPE_FLOAT:
        rep ? r.AddFloat(&m, f, 1.5F) : r.SetFloat(&m, f, 1.5F);
        break;
      case FD::CPPTYPE_BOOL:
        rep ? r.AddBool(&m, f, true) : r.SetBool(&m, f, true);
        break;
      case FD::CPPTYPE_ENUM: {
        const google::protobuf::EnumDescriptor* e = f->enum_type();
        const int v = e->value(e->value_count() > 1 ? 1 : 0)->number();
        rep ? r.AddEnumValue(&m, f, v) : r.SetEnumValue(&m, f, v);
        break;
      }
      case FD::CPPTYPE_MESSAGE:
        if (depth > 0) Fill(rep ? *r.AddMessage(&m, f) : *r.MutableMessage(&m, f), depth - 1);
        break;
    }
  }
}

// The context a subject belongs to: mallbots.<ctx>.events.X, mallbots.<ctx>.commands, ...
std::string ContextOf(const std::string& subject) {
  std::vector<std::string> parts = absl::StrSplit(subject, '.');
  return parts.size() > 1 ? parts[1] : "";
}

// The message names a subject carries, for seeds: those of the context's API file (every name
// for the saga's replies, which come from every context).
std::vector<std::string> NamesOn(const std::string& subject) {
  const messaging::TypeRegistry& registry = ApiRegistry();
  const std::string ctx = ContextOf(subject);
  std::vector<std::string> names;
  for (const std::string& name : registry.Names()) {
    if (ctx == "cosec") {
      names.push_back(name);
      continue;
    }
    auto m = registry.Decode(name, "");
    if (m.ok() && *m != nullptr &&
        absl::StartsWith((*m)->GetDescriptor()->file()->name(), "proto/" + ctx + "/")) {
      names.push_back(name);
    }
  }
  return names;
}

std::string FileName(std::string label) {
  for (char& c : label) {
    if (c == '/' || c == ' ') c = '_';
  }
  return "seed_" + label;
}

}  // namespace

struct ServiceTarget::Impl {
  std::unique_ptr<service::Runtime> rt;
  service::Wired wired;
  std::unique_ptr<grpcserver::Server> server;
  std::unique_ptr<grpc::GenericStub> stub;
  std::vector<Entry> entries;

  void WriteSeeds(const std::string& dir) const;
  void Call(const Entry& e, const std::string& body) const;
  void Deliver(const Entry& e, const std::string& body) const;
};

ServiceTarget::ServiceTarget(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ServiceTarget& ServiceTarget::StartOrDie(const std::string& name,
                                         std::vector<pg::Migration> migrations,
                                         const WireFn& wire) {
  const char* level_name = std::getenv("LOG_LEVEL");
  std::optional<log::Level> level = log::ParseLevel(level_name ? level_name : "ERROR");
  log::Init({.service = name, .level = level.value_or(log::Level::kError), .json = false});
  google::protobuf::SetLogHandler(nullptr);  // undecodable inputs are the point: no complaints

  auto impl = std::make_unique<Impl>();
  testing::PostgresServer& pg = testing::SharedPostgres();
  testing::NatsServer& nats = testing::SharedStackNats();
  absl::StatusOr<std::string> dsn = pg.CreateServiceDatabase(name);
  if (!dsn.ok()) Die(dsn.status().ToString());
  const std::string topology_file = testing::SourceDir() + "/deploy/topology.conf";
  absl::StatusOr<messaging::Topology> topology = messaging::Topology::Load(topology_file);
  if (!topology.ok()) Die(topology.status().ToString());

  service::Settings s;
  s.name = name;
  s.pg_conn = *dsn;
  s.pg_pool_size = 4;
  s.nats_url = nats.url();
  s.nats_user = name;
  s.nats_password = nats.Password(name);
  s.rpc_host = s.web_host = s.admin_host = "127.0.0.1";
  s.rpc_port = s.web_port = s.admin_port = 0;
  s.topology_file = topology_file;
  s.peer_timeout = absl::Seconds(1);
  for (const std::string& peer : topology->PeersOf(name)) {
    s.rpc_services[peer] = "127.0.0.1:1";  // refused at once: the peer is down
  }
  absl::StatusOr<std::unique_ptr<service::Runtime>> rt =
      service::Runtime::Start(s, std::move(migrations));
  if (!rt.ok()) Die(rt.status().ToString());
  impl->rt = *std::move(rt);
  impl->wired = wire(*impl->rt);

  for (const grpcserver::ServiceEntry& entry : impl->wired.grpc) {
    const google::protobuf::ServiceDescriptor* sd =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(entry.name);
    if (sd == nullptr) Die("no descriptor for " + entry.name);
    for (int i = 0; i < sd->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = sd->method(i);
      impl->entries.push_back({.label = absl::StrCat("rpc ", m->name()),
                               .method = m,
                               .path = absl::StrCat("/", sd->full_name(), "/", m->name())});
    }
  }
  if (!impl->wired.grpc.empty()) {
    absl::StatusOr<std::unique_ptr<grpcserver::Server>> server =
        impl->rt->StartGrpc(impl->wired.grpc);
    if (!server.ok()) Die(server.status().ToString());
    impl->server = *std::move(server);
    impl->stub = std::make_unique<grpc::GenericStub>(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", impl->server->port()), grpc::InsecureChannelCredentials()));
  }
  for (const messaging::ConsumerSpec& spec : topology->ConsumersOf(name)) {
    absl::StatusOr<messaging::BatchHandler> handler = impl->rt->BatchHandlerOf(spec.durable);
    if (!handler.ok()) Die(handler.status().ToString());
    impl->entries.push_back({.label = absl::StrCat("msg ", spec.durable),
                             .durable = spec.durable,
                             .subject = spec.filter_subject,
                             .handler = *std::move(handler)});
  }
  if (impl->entries.empty() || impl->entries.size() > 256) {
    Die(absl::StrCat(name, " has ", impl->entries.size(), " entries (1 to 256 fit a byte)"));
  }
  if (const char* dir = std::getenv("FUZZ_WRITE_SEEDS"); dir != nullptr && *dir != '\0') {
    impl->WriteSeeds(dir);
  }
  return *new ServiceTarget(std::move(impl));
}

void ServiceTarget::Impl::WriteSeeds(const std::string& dir) const {
  std::filesystem::create_directories(dir);
  // A seed already there for the same entry is kept: the same seed encodes differently from run
  // to run (protobuf map order), and the corpus should not change for nothing. One whose first
  // byte names another entry (RPCs or durables were added) is written again.
  auto write = [&dir](const std::string& label, size_t entry, const std::string& body) {
    const std::filesystem::path path = std::filesystem::path(dir) / FileName(label);
    std::ifstream in(path, std::ios::binary);
    if (char first = 0; in.get(first) && static_cast<uint8_t>(first) == entry) return;
    in.close();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.put(static_cast<char>(entry));
    out << body;
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.method != nullptr) {
      std::unique_ptr<google::protobuf::Message> request(
          google::protobuf::MessageFactory::generated_factory()
              ->GetPrototype(e.method->input_type())
              ->New());
      Fill(*request);
      write(e.label, i, request->SerializeAsString());
      continue;
    }
    for (const std::string& name : NamesOn(e.subject)) {
      messaging::Message m{.id = kSeedId, .name = name, .subject = e.subject};
      auto payload = ApiRegistry().Decode(name, "");
      if (payload.ok() && *payload != nullptr) {
        Fill(**payload);
        m.payload = (*payload)->SerializeAsString();
      }
      if (absl::StrContains(e.subject, ".commands")) {
        m.metadata[messaging::kCommandReplyChannel] = "mallbots.cosec.replies.CreateOrder";
        m.metadata[messaging::kCommandSagaId] = kSeedId;
        m.metadata[messaging::kCommandSagaName] = "cosec.CreateOrder";
      }
      if (absl::StrContains(e.subject, ".replies.")) {
        m.metadata[messaging::kCommandSagaId] = kSeedId;
        m.metadata[messaging::kCommandSagaName] = "cosec.CreateOrder";
        m.metadata[messaging::kReplyOutcome] = "SUCCESS";
      }
      write(absl::StrCat(e.label, " ", name), i, messaging::EncodeEnvelope(m));
    }
  }
}

void ServiceTarget::Impl::Call(const Entry& e, const std::string& body) const {
  // A body that is no request (truncated, invalid UTF-8 in a string) is refused by gRPC's own
  // decoder before any code of ours runs, with INTERNAL: only its refusal is checked.
  std::unique_ptr<google::protobuf::Message> parsed(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(e.method->input_type())
          ->New());
  const bool decodes = parsed->ParseFromString(body);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + kHang));
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub->UnaryCall(&ctx, e.path, grpc::StubOptions(), &request, &response,
                  [&status, &done](grpc::Status s) {
                    status = std::move(s);
                    done.Notify();
                  });
  done.WaitForNotification();
  if (!decodes) {
    if (status.ok()) Die(absl::StrCat(e.path, " accepted a request that does not decode"));
    return;
  }
  switch (status.error_code()) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      Die(absl::StrCat(e.path, " answered ", status.error_code(), ": ", status.error_message()));
    default:
      break;
  }
}

void ServiceTarget::Impl::Deliver(const Entry& e, const std::string& body) const {
  absl::StatusOr<messaging::Message> m = messaging::DecodeEnvelope(e.subject, body);
  if (!m.ok()) return;  // the consumer dead-letters it before any handler (consumer.cc)
  // A message id of its own: the inbox would take a second input with an id already handled
  // for a duplicate, and its handler would not run.
  m->id = NewUuid();
  const absl::Time start = absl::Now();
  std::vector<messaging::Outcome> outcomes =
      e.handler({{.message = *m, .stream_seq = 1, .stored_at = absl::Now()}});
  if (absl::Now() - start > kHang) Die(absl::StrCat(e.durable, ": ", m->name, " took over 10 s"));
  if (outcomes.size() != 1) Die(absl::StrCat(e.durable, ": ", outcomes.size(), " outcomes"));
  const messaging::Outcome& o = outcomes[0];
  if (o.kind == messaging::Outcome::kRetry &&
      (absl::IsInternal(o.status) || absl::IsUnknown(o.status))) {
    Die(absl::StrCat(e.durable, ": ", m->name, " failed unexpectedly: ", o.status.ToString()));
  }
}

int ServiceTarget::Run(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Entry& e = impl_->entries[data[0] % impl_->entries.size()];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (e.method != nullptr) {
    impl_->Call(e, body);
  } else {
    impl_->Deliver(e, body);
  }
  return 0;
}

}  // namespace eda::fuzz
