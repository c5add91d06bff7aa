// mallctl, run as a program against the real stores and customers binaries, PostgreSQL and
// nats-server, reading its addresses from a state directory as it does against `make up`.
#include <fcntl.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/customers/customers_service.pb.h"
#include "proto/eda/options.pb.h"
#include "proto/stores/stores_service.pb.h"
#include "tools/mallctl/mallctl.pb.h"

namespace mallctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;

struct Result {
  int rc = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs mallctl with MALLBOTS_HOME=home and no other hint of where the system is.
Result RunMallctl(const std::vector<std::string>& args, const std::string& home) {
  testing::TempDir dir("mallctl-run");
  const std::string out = dir.path() + "/out";
  const std::string err = dir.path() + "/err";
  std::vector<std::string> argv = {std::getenv("MALLCTL_BIN")};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::string home_env = "MALLBOTS_HOME=" + home;
  std::string path_env = "PATH=/usr/bin:/bin";
  char* envp[] = {home_env.data(), path_env.data(), nullptr};
  const pid_t pid = fork();
  if (pid == 0) {
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    execve(cargv[0], cargv.data(), envp);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ReadFile(out),
          ReadFile(err)};
}

template <typename M>
M FromJson(const std::string& json) {
  M m;
  auto s = google::protobuf::util::JsonStringToMessage(json, &m);
  EXPECT_TRUE(s.ok()) << s.ToString() << " in: " << json;
  return m;
}

std::vector<std::string> JsonLines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(l, "{")) lines.emplace_back(l);
  }
  return lines;
}

std::string PayloadField(const MessageLine& line, const std::string& field) {
  auto it = line.payload().struct_value().fields().find(field);
  return it == line.payload().struct_value().fields().end() ? "" : it->second.string_value();
}

// The public protos of the contexts deploy/topology.conf names, found on disk by the naming
// convention alone (proto/<context>/<context>_service.proto and _api.proto) and compiled here with
// protoc: what mallctl must know without being told.
struct PublicProtos {
  google::protobuf::DescriptorPool pool;
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  std::map<std::string, const google::protobuf::Descriptor*> messages;  // by (eda.wire_name)
};

void CollectWireNames(const google::protobuf::Descriptor* type, PublicProtos& out) {
  for (int i = 0; i < type->options().ExtensionSize(eda::wire_name); ++i) {
    out.messages[type->options().GetExtension(eda::wire_name, i)] = type;
  }
  for (int i = 0; i < type->nested_type_count(); ++i) CollectWireNames(type->nested_type(i), out);
}

void CompilePublicProtos(PublicProtos& out) {
  const std::string root = testing::SourceDir();
  std::vector<std::string> argv = {std::getenv("PROTOC"), "-I" + root, "--include_imports"};
  const size_t first_file = argv.size() + 1;
  testing::TempDir dir("mallctl-protos");
  argv.push_back("--descriptor_set_out=" + dir.path() + "/set.pb");
  std::vector<std::string> contexts;  // column 2 of every entry: its service
  std::ifstream topology(root + "/deploy/topology.conf");
  for (std::string line; std::getline(topology, line);) {
    std::vector<std::string> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.size() < 2 || absl::StartsWith(words[0], "#")) continue;
    if (std::find(contexts.begin(), contexts.end(), words[1]) == contexts.end()) {
      contexts.push_back(words[1]);
    }
  }
  for (const std::string& context : contexts) {
    for (const char* kind : {"_service.proto", "_api.proto"}) {
      const std::string file = absl::StrCat(root, "/proto/", context, "/", context, kind);
      if (std::filesystem::exists(file)) argv.push_back(file);
    }
  }
  ASSERT_GT(argv.size(), first_file) << "no public protos under " << root << "/proto";
  auto protoc = testing::Process::Start(argv, {.log_file = dir.path() + "/protoc.log"});
  ASSERT_TRUE(protoc.ok()) << protoc.status();
  ASSERT_EQ((*protoc)->Wait(), 0) << ReadFile(dir.path() + "/protoc.log");
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(ReadFile(dir.path() + "/set.pb")));
  for (const google::protobuf::FileDescriptorProto& proto : set.file()) {
    const google::protobuf::FileDescriptor* file = out.pool.BuildFile(proto);
    ASSERT_NE(file, nullptr) << proto.name();
    for (int i = 0; i < file->service_count(); ++i) out.services.push_back(file->service(i));
    for (int i = 0; i < file->message_type_count(); ++i)
      CollectWireNames(file->message_type(i), out);
  }
}

class MallctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stores = testing::ServiceUnderTest::Start("STORES_BIN", "stores");
    ASSERT_TRUE(stores.ok()) << stores.status();
    stores_ = stores->release();
    auto customers = testing::ServiceUnderTest::Start("CUSTOMERS_BIN", "customers");
    ASSERT_TRUE(customers.ok()) << customers.status();
    customers_ = customers->release();
    auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = nats->release();
    // Replies to commands go to the saga's stream, which no service of this test owns.
    ASSERT_TRUE(messaging::EnsureStream(nats_->js(), {.name = "COSEC_REPLIES",
                                                      .subjects = {"mallbots.cosec.replies.>"}})
                    .ok());
    home_ = new testing::TempDir("mallctl-home");
    // As deploy/local/stack.sh writes it: mallctl connects to NATS as the admin.
    std::ofstream env(home_->path() + "/stack.env");
    env << "MALLBOTS_NATS_URL=" << testing::SharedStackNats().url() << "\n"
        << "MALLBOTS_NATS_ADMIN_USER=admin\n"
        << "MALLBOTS_NATS_ADMIN_PASSWORD=" << testing::SharedStackNats().Password("admin") << "\n"
        << "MALLBOTS_GRPC_STORES=" << stores_->grpc_target() << "\n"
        << "MALLBOTS_GRPC_CUSTOMERS=" << customers_->grpc_target() << "\n"
        << "MALLBOTS_ADMIN_STORES=127.0.0.1:" << stores_->admin_port() << "\n"
        << "MALLBOTS_ADMIN_CUSTOMERS=127.0.0.1:" << customers_->admin_port() << "\n";
    env.close();
    chmod((home_->path() + "/stack.env").c_str(), 0600);
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      if (stores_) std::fprintf(stderr, "--- stores log ---\n%s\n", stores_->LogTail().c_str());
      if (customers_)
        std::fprintf(stderr, "--- customers log ---\n%s\n", customers_->LogTail().c_str());
    }
    delete stores_;
    delete customers_;
    delete nats_;
    delete home_;
  }

  static Result Mallctl(const std::vector<std::string>& args) {
    return RunMallctl(args, home_->path());
  }

  // Every message on `subject` of `stream` whose payload has id == `id`, waited for.
  static void WaitForEvent(const std::string& stream, const std::string& subject,
                           const std::string& id) {
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          auto msgs = testing::StreamMessages(*nats_, stream, subject);
          if (!msgs.ok()) return false;
          for (const auto& m : *msgs) {
            if (absl::StrContains(m.payload, id)) return true;
          }
          return false;
        },
        absl::Seconds(15)))
        << "no event for " << id << " on " << subject;
  }

  static size_t StoredCount(const std::string& stream, const std::string& subject) {
    auto msgs = testing::StreamMessages(*nats_, stream, subject);
    return msgs.ok() ? msgs->size() : 0;
  }

  static std::vector<DeadLetter> ListDeadLetters() {
    Result r = Mallctl({"dlq", "list"});
    EXPECT_EQ(r.rc, 0) << r.err;
    std::vector<DeadLetter> out;
    for (const std::string& l : JsonLines(r.out)) out.push_back(FromJson<DeadLetter>(l));
    return out;
  }

  static inline testing::ServiceUnderTest* stores_ = nullptr;
  static inline testing::ServiceUnderTest* customers_ = nullptr;
  static inline messaging::Connection* nats_ = nullptr;
  static inline testing::TempDir* home_ = nullptr;
};

TEST_F(MallctlTest, CallsRpcsWithJsonAndTailsTheirEvents) {
  Result created =
      Mallctl({"call", "stores", "CreateStore", R"({"name":"Waldorf","location":"Upper level"})"});
  ASSERT_EQ(created.rc, 0) << created.err;
  const std::string store_id = FromJson<storespb::CreateStoreResponse>(created.out).id();
  ASSERT_TRUE(eda::IsUuid(store_id)) << created.out;

  Result added =
      Mallctl({"call", "stores", "AddProduct",
               absl::StrCat(R"({"store_id":")", store_id,
                            R"(","name":"Bolts","description":"M4","sku":"B-4","price":9.5})")});
  ASSERT_EQ(added.rc, 0) << added.err;
  const std::string product_id = FromJson<storespb::AddProductResponse>(added.out).id();

  Result got =
      Mallctl({"call", "stores", "GetProduct", absl::StrCat(R"({"id":")", product_id, R"("})")});
  ASSERT_EQ(got.rc, 0) << got.err;
  const auto product = FromJson<storespb::GetProductResponse>(got.out).product();
  EXPECT_EQ(product.name(), "Bolts");
  EXPECT_EQ(product.price(), 9.5);
  EXPECT_EQ(product.store_id(), store_id);

  // --from-start replays what the stream holds: exactly as many lines as stored messages (asked
  // for one more, it prints them all, waits in vain for another and exits with 1).
  WaitForEvent("STORES", "mallbots.stores.events.Product", product_id);
  const size_t stored = StoredCount("STORES", "mallbots.stores.events.Store") +
                        StoredCount("STORES", "mallbots.stores.events.Product");
  Result replay = Mallctl({"tail", "mallbots.stores.>", "--from-start", "--count",
                           std::to_string(stored + 1), "--timeout", "3s"});
  ASSERT_EQ(replay.rc, 1) << replay.err;
  const std::vector<std::string> lines = JsonLines(replay.out);
  ASSERT_EQ(lines.size(), stored);
  bool saw_store = false;
  bool saw_product = false;
  for (const std::string& l : lines) {
    const MessageLine m = FromJson<MessageLine>(l);
    EXPECT_EQ(m.stream(), "STORES");
    EXPECT_TRUE(eda::IsUuid(m.id())) << l;
    if (m.name() == "storesapi.StoreCreated" && PayloadField(m, "id") == store_id) {
      saw_store = true;
      EXPECT_EQ(m.subject(), "mallbots.stores.events.Store");
      EXPECT_EQ(PayloadField(m, "name"), "Waldorf");
      EXPECT_EQ(PayloadField(m, "location"), "Upper level");
      EXPECT_EQ(m.metadata().count("traceparent"), 1u) << l;
    }
    if (m.name() == "storesapi.ProductAdded" && PayloadField(m, "id") == product_id) {
      saw_product = true;
      EXPECT_EQ(PayloadField(m, "store_id"), store_id);
      EXPECT_EQ(m.payload().struct_value().fields().at("price").number_value(), 9.5);
    }
  }
  EXPECT_TRUE(saw_store) << replay.out;
  EXPECT_TRUE(saw_product) << replay.out;

  // Following live: only what arrives after the subscription.
  testing::TempDir dir("mallctl-tail");
  const std::string log = dir.path() + "/tail.log";
  auto tail = testing::Process::Start(
      {std::getenv("MALLCTL_BIN"), "--state-dir", home_->path(), "tail",
       "mallbots.stores.events.Product", "--count", "1", "--timeout", "20s"},
      {.log_file = log});
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return absl::StrContains(ReadFile(log), "following STORES"); }, absl::Seconds(10)))
      << ReadFile(log);
  Result rebranded =
      Mallctl({"call", "stores", "RebrandProduct",
               absl::StrCat(R"({"id":")", product_id, R"(","name":"Nuts","description":"M5"})")});
  ASSERT_EQ(rebranded.rc, 0) << rebranded.err;
  EXPECT_EQ((*tail)->Wait(), 0);
  const std::vector<std::string> live = JsonLines(ReadFile(log));
  ASSERT_EQ(live.size(), 1u) << ReadFile(log);
  const MessageLine m = FromJson<MessageLine>(live[0]);
  EXPECT_EQ(m.name(), "storesapi.ProductRebranded");
  EXPECT_EQ(PayloadField(m, "name"), "Nuts");
}

TEST_F(MallctlTest, ReportsErrorsWithTheirCodeAndExitStatus) {
  Result missing =
      Mallctl({"call", "stores", "GetStore", absl::StrCat(R"({"id":")", eda::NewUuid(), R"("})")});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_THAT(missing.err, StartsWith("NOT_FOUND: "));
  EXPECT_EQ(missing.out, "");

  Result invalid = Mallctl({"call", "stores", "CreateStore", R"({"name":"","location":"x"})"});
  EXPECT_EQ(invalid.rc, 1);
  EXPECT_THAT(invalid.err, StartsWith("INVALID_ARGUMENT: "));

  Result bad_json = Mallctl({"call", "stores", "CreateStore", R"({"nmae":"x"})"});
  EXPECT_EQ(bad_json.rc, 2);
  EXPECT_THAT(bad_json.err, HasSubstr("invalid request for storespb.CreateStoreRequest"));

  Result no_service = Mallctl({"call", "warehouse", "GetThing"});
  EXPECT_EQ(no_service.rc, 2);
  // Every service of the topology that has a public API, in the topology's order.
  EXPECT_THAT(no_service.err,
              HasSubstr("unknown service 'warehouse' (known: stores, customers, baskets"));

  Result no_method = Mallctl({"call", "customers", "Fly"});
  EXPECT_EQ(no_method.rc, 2);
  EXPECT_THAT(no_method.err, HasSubstr("unknown method 'Fly' of customerspb.CustomersService"));

  Result methods = Mallctl({"call", "customers"});
  EXPECT_EQ(methods.rc, 0);
  EXPECT_THAT(methods.out,
              HasSubstr("RegisterCustomer(customerspb.RegisterCustomerRequest) returns "
                        "customerspb.RegisterCustomerResponse"));

  Result nowhere = RunMallctl({"call", "stores", "GetStore", "{}"}, home_->path() + "/absent");
  EXPECT_EQ(nowhere.rc, 2);
  EXPECT_THAT(nowhere.err, HasSubstr("absent/stack.env"));

  // A state file that someone else could have written is not trusted with the admin password.
  testing::TempDir shared("mallctl-shared");
  std::ofstream(shared.path() + "/stack.env") << "MALLBOTS_NATS_URL=nats://127.0.0.1:1\n";
  chmod((shared.path() + "/stack.env").c_str(), 0666);
  Result untrusted = RunMallctl({"dlq", "list"}, shared.path());
  EXPECT_EQ(untrusted.rc, 2);
  EXPECT_THAT(untrusted.err, HasSubstr("refusing " + shared.path() + "/stack.env"));

  Result bad_flag = Mallctl({"tail", "--follow"});
  EXPECT_EQ(bad_flag.rc, 2);
  EXPECT_THAT(bad_flag.err, HasSubstr("unknown flag --follow"));
}

// Nothing in mallctl names a context: it calls every service and decodes every message name
// that the public protos declare (a new context's appear once its protos are built).
TEST_F(MallctlTest, KnowsEveryServiceAndMessageNameThePublicProtosDeclare) {
  PublicProtos declared;
  ASSERT_NO_FATAL_FAILURE(CompilePublicProtos(declared));
  ASSERT_GE(declared.services.size(), 2u);
  ASSERT_GE(declared.messages.size(), 2u);

  // Services: exactly those declared, in the topology's order, each with its methods, by short
  // and by full name.
  std::vector<std::string> short_names;
  for (const google::protobuf::ServiceDescriptor* service : declared.services) {
    std::string name = service->file()->package();
    if (absl::EndsWith(name, "pb")) name.resize(name.size() - 2);
    short_names.push_back(name);
    for (const std::string& as : {name, service->full_name()}) {
      Result listed = Mallctl({"call", as});
      ASSERT_EQ(listed.rc, 0) << as << ": " << listed.err;
      for (int i = 0; i < service->method_count(); ++i) {
        const google::protobuf::MethodDescriptor* m = service->method(i);
        EXPECT_THAT(listed.out,
                    HasSubstr(absl::StrCat(m->name(), "(", m->input_type()->full_name(),
                                           ") returns ", m->output_type()->full_name(), "\n")));
      }
    }
  }
  Result unknown = Mallctl({"call", "nosuchcontext"});
  EXPECT_EQ(unknown.rc, 2);
  std::vector<std::string> known;
  const size_t at = unknown.err.find("(known: ");
  ASSERT_NE(at, std::string::npos) << unknown.err;
  const size_t end = unknown.err.find(')', at);
  for (absl::string_view n : absl::StrSplit(unknown.err.substr(at + 8, end - at - 8), ", ")) {
    known.emplace_back(n);
  }
  EXPECT_THAT(known, ::testing::ElementsAreArray(short_names));

  // Messages: one of each declared name, on a stream of its own, with every string field set;
  // tail prints each payload as JSON with every field of its type.
  ASSERT_TRUE(
      messaging::EnsureStream(nats_->js(), {.name = "MALLCTLTEST", .subjects = {"mallctltest.>"}})
          .ok());
  google::protobuf::DynamicMessageFactory factory(&declared.pool);
  for (const auto& [name, type] : declared.messages) {
    std::unique_ptr<google::protobuf::Message> payload(factory.GetPrototype(type)->New());
    for (int i = 0; i < type->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = type->field(i);
      if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING && !f->is_repeated()) {
        payload->GetReflection()->SetString(payload.get(), f, name + "/" + f->name());
      }
    }
    messaging::Message m{.id = eda::NewUuid(),
                         .name = name,
                         .subject = "mallctltest.messages",
                         .payload = payload->SerializeAsString()};
    ASSERT_TRUE(testing::PublishRaw(*nats_, m.subject, messaging::EncodeEnvelope(m),
                                    {{"Nats-Msg-Id", m.id}})
                    .ok());
  }
  Result tail = Mallctl({"tail", "mallctltest.>", "--from-start", "--count",
                         std::to_string(declared.messages.size()), "--timeout", "10s"});
  ASSERT_EQ(tail.rc, 0) << tail.err;
  const std::vector<std::string> lines = JsonLines(tail.out);
  ASSERT_EQ(lines.size(), declared.messages.size()) << tail.out;
  std::set<std::string> decoded;
  for (const std::string& l : lines) {
    const MessageLine m = FromJson<MessageLine>(l);
    ASSERT_EQ(declared.messages.count(m.name()), 1u) << l;
    EXPECT_EQ(m.error(), "") << l;
    EXPECT_EQ(m.payload_raw(), "") << l;
    const google::protobuf::Descriptor* type = declared.messages.at(m.name());
    ASSERT_TRUE(m.payload().has_struct_value()) << l;
    const auto& fields = m.payload().struct_value().fields();
    for (const auto& entry : fields) EXPECT_NE(type->FindFieldByName(entry.first), nullptr) << l;
    for (int i = 0; i < type->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = type->field(i);
      if (f->message_type() != nullptr && !f->is_repeated()) continue;  // unset: not printed
      EXPECT_EQ(fields.count(f->name()), 1u) << f->name() << " in " << l;
      if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING && !f->is_repeated()) {
        EXPECT_EQ(PayloadField(m, f->name()), m.name() + "/" + f->name()) << l;
      }
    }
    decoded.insert(m.name());
  }
  EXPECT_EQ(decoded.size(), declared.messages.size());
}

TEST_F(MallctlTest, CallsEveryServicesAdminApi) {
  Result info = Mallctl({"admin", "stores", "GetInfo"});
  ASSERT_EQ(info.rc, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr(R"("service":"stores")"));
  EXPECT_THAT(info.out, HasSubstr(R"("streams":["STORES"])"));
  // Rows written by other tests are marked published within the relay's mark delay.
  Result outbox;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        outbox = Mallctl({"admin", "stores", "GetOutbox", R"({"limit":5})"});
        return outbox.rc == 0 && absl::StrContains(outbox.out, R"("unpublished":"0")");
      },
      absl::Seconds(5)))
      << outbox.err << outbox.out;
  // A command the customers service handled shows in its inbox.
  customerspb::AuthorizeCustomer cmd;
  cmd.set_id(eda::NewUuid());
  messaging::Message command{.id = eda::NewUuid(),
                             .name = "customersapi.AuthorizeCustomer",
                             .subject = "mallbots.customers.commands",
                             .payload = cmd.SerializeAsString()};
  command.metadata = {{messaging::kCommandReplyChannel, "mallbots.cosec.replies.CreateOrder"}};
  ASSERT_TRUE(testing::PublishRaw(*nats_, command.subject, messaging::EncodeEnvelope(command),
                                  {{"Nats-Msg-Id", command.id}})
                  .ok());
  Result processed;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        processed =
            Mallctl({"admin", "customers", "ListProcessed", R"({"consumer":"customer-commands"})"});
        return processed.rc == 0 && absl::StrContains(processed.out, command.id);
      },
      absl::Seconds(10)))
      << processed.out << processed.err;
  EXPECT_THAT(processed.out, HasSubstr(R"("name":"customersapi.AuthorizeCustomer")"));
  Result unknown = Mallctl({"admin", "customers", "ListProcessed", R"({"consumer":"nope"})"});
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND: customers has no durable consumer named nope"));
  Result methods = Mallctl({"admin", "stores"});
  ASSERT_EQ(methods.rc, 0) << methods.err;
  EXPECT_THAT(methods.out, HasSubstr("GetOutbox(adminpb.GetOutboxRequest) returns "
                                     "adminpb.GetOutboxResponse"));
  Result nowhere = Mallctl({"admin", "baskets", "GetInfo"});
  EXPECT_EQ(nowhere.rc, 2);
  EXPECT_THAT(nowhere.err, HasSubstr("no admin address for service 'baskets'"));
}

TEST_F(MallctlTest, PrintsASubscriberAccountsConnectionSettings) {
  testing::TempDir home("mallctl-subscriber");
  std::ofstream(home.path() + "/stack.env")
      << "MALLBOTS_NATS_URL=nats://127.0.0.1:54222\n"
      << "MALLBOTS_STACK_TOPOLOGY=" << testing::SourceDir() << "/deploy/topology.conf\n";
  chmod((home.path() + "/stack.env").c_str(), 0600);

  Result listed = RunMallctl({"subscriber"}, home.path());
  EXPECT_EQ(listed.rc, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("example-go\nexample-node\n"));

  Result shown = RunMallctl({"subscriber", "example-node"}, home.path());
  EXPECT_EQ(shown.rc, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("url       nats://127.0.0.1:54222\n"));
  EXPECT_THAT(shown.out, HasSubstr("user      example-node\n"));
  EXPECT_THAT(shown.out, HasSubstr(home.path() + "/secrets/nats-example-node.pass"));
  EXPECT_THAT(shown.out, HasSubstr("inbox     _INBOX_example-node\n"));
  EXPECT_THAT(shown.out, HasSubstr("ORDERING   example-node-orders      "
                                   "mallbots.ordering.events.Order\n"));
  EXPECT_THAT(shown.out, HasSubstr("PAYMENTS   example-node-invoices    "
                                   "mallbots.payments.events.Invoice\n"));
  EXPECT_THAT(shown.out, Not(HasSubstr("example-go-")));

  Result unknown = RunMallctl({"subscriber", "nobody"}, home.path());
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no subscriber account 'nobody'"));
  EXPECT_THAT(unknown.err, HasSubstr("it has example-go, example-node"));
}

TEST_F(MallctlTest, NoDeadLetterStreamMeansNoDeadLetters) {
  // A NATS server no consuming service has used yet.
  auto fresh = testing::NatsServer::Start();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  testing::TempDir home("mallctl-fresh");
  std::ofstream(home.path() + "/stack.env") << "MALLBOTS_NATS_URL=" << (*fresh)->url() << "\n";
  chmod((home.path() + "/stack.env").c_str(), 0600);

  Result listed = RunMallctl({"dlq", "list"}, home.path());
  EXPECT_EQ(listed.rc, 0) << listed.err;
  EXPECT_EQ(listed.out, "");
  Result replayed = RunMallctl({"dlq", "replay", "all"}, home.path());
  EXPECT_EQ(replayed.rc, 0) << replayed.err;
  Result shown = RunMallctl({"dlq", "show", "1"}, home.path());
  EXPECT_NE(shown.rc, 0);
  EXPECT_THAT(shown.err, HasSubstr("NOT_FOUND: there is no DEADLETTER stream yet"));
}

TEST_F(MallctlTest, ListsShowsReplaysAndDiscardsDeadLetters) {
  // A poison message on the customers' command subject: the consumer dead-letters it.
  const std::string poison_id = eda::NewUuid();
  ASSERT_TRUE(testing::PublishRaw(*nats_, "mallbots.customers.commands", "not an envelope",
                                  {{"Nats-Msg-Id", poison_id}})
                  .ok());
  std::vector<DeadLetter> dead;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        dead = ListDeadLetters();
        for (const DeadLetter& d : dead) {
          if (d.original_msg_id() == poison_id) return true;
        }
        return false;
      },
      absl::Seconds(15)));
  DeadLetter poison;
  for (const DeadLetter& d : dead) {
    if (d.original_msg_id() == poison_id) poison = d;
  }
  EXPECT_EQ(poison.consumer(), "customer-commands");
  EXPECT_EQ(poison.subject(), "mallbots.customers.commands");
  EXPECT_EQ(poison.stream(), "CUSTOMERS_COMMANDS");
  EXPECT_FALSE(poison.reason().empty());

  Result shown = Mallctl({"dlq", "show", std::to_string(poison.seq())});
  ASSERT_EQ(shown.rc, 0) << shown.err;
  const DeadLetter detail = FromJson<DeadLetter>(shown.out);
  EXPECT_EQ(detail.message().body_raw(), "not an envelope");
  EXPECT_FALSE(detail.message().error().empty());
  EXPECT_EQ(detail.message().headers().at("Mallbots-Dead-Consumer"), "customer-commands");

  // A dead letter whose message can succeed now (as after fixing what made it fail): an
  // AuthorizeCustomer command for a customer that exists. Replayed, it gets its one reply.
  Result registered = Mallctl(
      {"call", "customers", "RegisterCustomer", R"({"name":"Ada","sms_number":"555-0199"})"});
  ASSERT_EQ(registered.rc, 0) << registered.err;
  const std::string customer_id =
      FromJson<customerspb::RegisterCustomerResponse>(registered.out).id();
  // An AuthorizeCustomer command for that customer from saga `saga`, as an envelope.
  auto authorize = [&](const std::string& id, const std::string& saga) {
    customerspb::AuthorizeCustomer cmd;
    cmd.set_id(customer_id);
    messaging::Message m{.id = id,
                         .name = "customersapi.AuthorizeCustomer",
                         .subject = "mallbots.customers.commands",
                         .payload = cmd.SerializeAsString()};
    m.metadata = {{messaging::kCommandReplyChannel, "mallbots.cosec.replies.CreateOrder"},
                  {messaging::kCommandSagaId, saga},
                  {messaging::kCommandSagaName, "cosec.CreateOrder"}};
    return messaging::EncodeEnvelope(m);
  };
  const std::string saga_id = eda::NewUuid();
  const std::string command_id = eda::NewUuid();
  ASSERT_TRUE(testing::PublishRaw(*nats_, "mallbots.deadletter.customers.customer-commands",
                                  authorize(command_id, saga_id),
                                  {{"Mallbots-Dead-Reason", "UNAVAILABLE: the database was down"},
                                   {"Mallbots-Dead-Consumer", "customer-commands"},
                                   {"Mallbots-Dead-Stream", "CUSTOMERS_COMMANDS"},
                                   {"Mallbots-Dead-Subject", "mallbots.customers.commands"},
                                   {"Mallbots-Dead-Original-Msg-Id", command_id}})
                  .ok());
  uint64_t command_seq = 0;
  for (const DeadLetter& d : ListDeadLetters()) {
    if (d.original_msg_id() == command_id) command_seq = d.seq();
  }
  ASSERT_NE(command_seq, 0u);

  Result replayed = Mallctl({"dlq", "replay", std::to_string(command_seq)});
  ASSERT_EQ(replayed.rc, 0) << replayed.err;
  EXPECT_THAT(
      replayed.out,
      HasSubstr(absl::StrCat("replayed ", command_seq,
                             " (customersapi.AuthorizeCustomer) on mallbots.customers.commands")));
  auto replies_to = [&](const std::string& saga) {
    auto all =
        testing::StreamMessages(*nats_, "COSEC_REPLIES", "mallbots.cosec.replies.CreateOrder");
    std::vector<messaging::Message> replies;
    for (const auto& r : all.ok() ? *all : std::vector<messaging::Message>()) {
      if (r.metadata.count("REPLY_SAGA_ID") && r.metadata.at("REPLY_SAGA_ID") == saga)
        replies.push_back(r);
    }
    return replies;
  };
  ASSERT_TRUE(testing::WaitUntil([&] { return !replies_to(saga_id).empty(); }, absl::Seconds(15)));
  // Then the reply to a later command: the service handles its commands in order and publishes
  // its replies in commit order, so a second reply to the replayed command would precede it.
  const std::string marker_saga = eda::NewUuid();
  const std::string marker_id = eda::NewUuid();
  ASSERT_TRUE(testing::PublishRaw(*nats_, "mallbots.customers.commands",
                                  authorize(marker_id, marker_saga), {{"Nats-Msg-Id", marker_id}})
                  .ok());
  ASSERT_TRUE(
      testing::WaitUntil([&] { return !replies_to(marker_saga).empty(); }, absl::Seconds(15)));
  const std::vector<messaging::Message> replies = replies_to(saga_id);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].name, "am.Success");
  for (const DeadLetter& d : ListDeadLetters()) EXPECT_NE(d.seq(), command_seq);

  Result again = Mallctl({"dlq", "replay", std::to_string(command_seq)});
  EXPECT_EQ(again.rc, 1);
  EXPECT_THAT(again.err, HasSubstr(absl::StrCat("NOT_FOUND: no dead letter ", command_seq)));

  Result discarded = Mallctl({"dlq", "discard", std::to_string(poison.seq())});
  ASSERT_EQ(discarded.rc, 0) << discarded.err;
  for (const DeadLetter& d : ListDeadLetters()) EXPECT_NE(d.seq(), poison.seq());

  Result usage = Mallctl({"dlq", "show"});
  EXPECT_EQ(usage.rc, 2);
  EXPECT_THAT(usage.err, HasSubstr("usage: mallctl dlq"));
}

}  // namespace
}  // namespace mallctl
