// Every RPC of every service's API, called with hostile values of each class below through a
// generic gRPC client against the real binaries (real PostgreSQL and nats-server): each answer
// must be the one expected.txt holds for it (code and message, as the spec gives them), no
// service may crash, and a refused call must leave the service's tables as they were (nothing
// half-written).
//
//   empty          the empty request
//   unknown_field  the empty request with a field no proto declares (protobuf ignores it: the
//                  answer must be the empty request's)
//   bad_id         every id field "not-a-uuid", the other fields well-formed
//   nul            every string "a\0b"
//   oversized      every string 256 KiB long
//   negative       every number -1 (a timestamp one second before 1970)
//   nan / inf      every floating-point number NaN / +infinity
//   invalid_utf8   every string "\xff\xfe": gRPC's decoder refuses it; only the refusal is checked
//
// Well-formed values: ids 6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f (known to no service), other
// strings "x", numbers 1, booleans true, timestamps now, enums their first named non-zero value,
// one element in a repeated field, messages filled the same way.
//
// An unknown id stops most calls before their values are looked at (NOT_FOUND), so the value
// classes run again as existing_<class>: before each call the service's entities are made anew
// through its own RPCs (a store and its product, a customer, a basket with an item, an order,
// a payment and its invoice, a shopping list), and every id field names the entity of its kind
// (`id` the one the method is about); the other fields are spoiled as in <class>. Answers show
// those ids as <store>, <product>, ... (search holds nothing a call makes at once: it is left
// out of these).
//
// SWEEP_RECORD=path writes the answers seen, in expected.txt's format, to `path`: the way to
// update the table, whose every change is then reviewed against the spec.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/pg/connection.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/baskets/baskets_service.grpc.pb.h"
#include "proto/customers/customers_service.grpc.pb.h"
#include "proto/depot/depot_service.grpc.pb.h"
#include "proto/notifications/notifications_service.pb.h"
#include "proto/ordering/ordering_service.grpc.pb.h"
#include "proto/payments/payments_service.grpc.pb.h"
#include "proto/search/search_service.pb.h"
#include "proto/stores/stores_service.grpc.pb.h"

namespace mallbots {
namespace {

namespace testing = ::eda::testing;
namespace pb = ::google::protobuf;

constexpr char kWellFormedId[] = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";
const std::vector<std::string> kClasses = {"empty", "unknown_field", "bad_id",
                                           "nul",   "oversized",     "negative",
                                           "nan",   "inf",           "invalid_utf8"};
const std::vector<std::string> kValueClasses = {"nul", "oversized", "negative", "nan", "inf"};
constexpr char kExisting[] = "existing_";

// Entities that exist, by kind ("store", "product", "customer", "basket", "order", "payment",
// "invoice", "list").
using World = std::map<std::string, std::string>;

struct ServiceRow {
  std::string name;                    // in the topology
  std::string env;                     // the variable ctest sets to its binary
  std::string grpc;                    // its API's full name
  std::vector<std::string> peers;      // services it calls (started before it)
  const pb::Descriptor* (*request)();  // a request of its API: links the API's descriptors in
};

const std::vector<ServiceRow>& Services() {
  static const auto* rows = new std::vector<ServiceRow>{
      {"stores",
       "STORES_BIN",
       "storespb.StoresService",
       {},
       &storespb::CreateStoreRequest::descriptor},
      {"customers",
       "CUSTOMERS_BIN",
       "customerspb.CustomersService",
       {},
       &customerspb::RegisterCustomerRequest::descriptor},
      {"baskets",
       "BASKETS_BIN",
       "basketspb.BasketService",
       {"stores"},
       &basketspb::StartBasketRequest::descriptor},
      {"ordering",
       "ORDERING_BIN",
       "orderingpb.OrderingService",
       {},
       &orderingpb::CreateOrderRequest::descriptor},
      {"payments",
       "PAYMENTS_BIN",
       "paymentspb.PaymentsService",
       {},
       &paymentspb::AuthorizePaymentRequest::descriptor},
      {"depot",
       "DEPOT_BIN",
       "depotpb.DepotService",
       {"stores"},
       &depotpb::CreateShoppingListRequest::descriptor},
      {"notifications",
       "NOTIFICATIONS_BIN",
       "notificationspb.NotificationsService",
       {"customers"},
       &notificationspb::NotifyOrderCreatedRequest::descriptor},
      {"search",
       "SEARCH_BIN",
       "searchpb.SearchService",
       {"customers", "stores"},
       &searchpb::SearchOrdersRequest::descriptor},
  };
  return *rows;
}

bool IsIdField(const pb::FieldDescriptor* f) {
  const std::string& n = f->name();
  return n == "id" || (n.size() > 3 && n.compare(n.size() - 3, 3, "_id") == 0) ||
         (n.size() > 4 && n.compare(n.size() - 4, 4, "_ids") == 0);
}

// The kind of entity an id field names: `<kind>_id`, or for `id` the method's own entity.
std::string KindOf(const pb::FieldDescriptor* f, const std::string& method) {
  const std::string& n = f->name();
  if (n == "shopping_list_id") return "list";
  if (n != "id") return n.substr(0, n.rfind('_'));
  for (const auto& [word, kind] :
       std::vector<std::pair<std::string, std::string>>{{"ShoppingList", "list"},
                                                        {"Product", "product"},
                                                        {"Participation", "store"},
                                                        {"Store", "store"},
                                                        {"Customer", "customer"},
                                                        {"SmsNumber", "customer"},
                                                        {"Basket", "basket"},
                                                        {"Item", "basket"},
                                                        {"Order", "order"},
                                                        {"Payment", "payment"},
                                                        {"Invoice", "invoice"}}) {
    if (method.find(word) != std::string::npos) return kind;
  }
  return "";
}

// Sets every field of `m` for input class `c` (see the file comment); with a `world`, id fields
// name its entities (`method` tells what `id` is) and keep that through every class.
void Fill(pb::Message* m, const std::string& c, const World* world = nullptr,
          const std::string& method = "", int depth = 0) {
  const pb::Descriptor* d = m->GetDescriptor();
  const pb::Reflection* r = m->GetReflection();
  if (d->full_name() == "google.protobuf.Timestamp") {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    r->SetInt64(m, d->FindFieldByName("seconds"), c == "negative" ? -1 : now);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    std::string text = "x";
    if (IsIdField(f)) text = c == "bad_id" ? "not-a-uuid" : kWellFormedId;
    if (c == "nul") text = std::string("a\0b", 3);
    if (c == "oversized") text = std::string(256 * 1024, 'x');
    if (c == "invalid_utf8") text = "\xff\xfe";
    if (world != nullptr && IsIdField(f)) {
      auto it = world->find(KindOf(f, method));
      text = it != world->end() ? it->second : kWellFormedId;
    }
    double real = 1;
    if (c == "negative") real = -1;
    if (c == "nan") real = std::numeric_limits<double>::quiet_NaN();
    if (c == "inf") real = std::numeric_limits<double>::infinity();
    const int64_t integer = c == "negative" ? -1 : 1;
    const bool repeated = f->is_repeated();
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
        repeated ? r->AddString(m, f, text) : r->SetString(m, f, text);
        break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        repeated ? r->AddDouble(m, f, real) : r->SetDouble(m, f, real);
        break;
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        repeated ? r->AddFloat(m, f, static_cast<float>(real))
                 : r->SetFloat(m, f, static_cast<float>(real));
        break;
      case pb::FieldDescriptor::CPPTYPE_INT32:
        repeated ? r->AddInt32(m, f, static_cast<int32_t>(integer))
                 : r->SetInt32(m, f, static_cast<int32_t>(integer));
        break;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        repeated ? r->AddInt64(m, f, integer) : r->SetInt64(m, f, integer);
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        repeated ? r->AddUInt32(m, f, 1) : r->SetUInt32(m, f, 1);
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        repeated ? r->AddUInt64(m, f, 1) : r->SetUInt64(m, f, 1);
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        repeated ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM: {
        const pb::EnumDescriptor* e = f->enum_type();
        const pb::EnumValueDescriptor* v = e->value(e->value_count() > 1 ? 1 : 0);
        repeated ? r->AddEnum(m, f, v) : r->SetEnum(m, f, v);
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth < 3) {
          Fill(repeated ? r->AddMessage(m, f) : r->MutableMessage(m, f), c, world, method,
               depth + 1);
        }
        break;
    }
  }
}

// The request of class `c` for `method`, serialized (about `world`'s entities when given).
std::string Request(const pb::MethodDescriptor* method, const std::string& c,
                    const World* world = nullptr) {
  std::unique_ptr<pb::Message> m(
      pb::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
  if (c != "empty" && c != "unknown_field") Fill(m.get(), c, world, method->name());
  std::string bytes;
  m->SerializeToString(&bytes);  // invalid UTF-8 is logged, and sent as it is
  if (c == "unknown_field") bytes += std::string("\xb8\x9c\x01\x2a", 4);  // field 2503, varint 42
  return bytes;
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// One answer as expected.txt writes it: "CODE message" ("OK" alone when it succeeded).
std::string Call(grpc::GenericStub& stub, const std::string& path, const std::string& bytes) {
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(15)));
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&ctx, path, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (status.ok()) return "OK";
  return absl::StrCat(CodeName(status.error_code()), " ", status.error_message());
}

// A digest of the service's own tables (not its caches, inbox or outbox, which other services'
// events and the relay change meanwhile): every row of each, so that an insert, update or delete
// a refused call made shows. Empty when it cannot be read.
std::string Digest(eda::pg::Connection& conn) {
  auto r = conn.Exec(
      "SELECT string_agg(tablename || '=' || (xpath('/row/d/text()', query_to_xml(format("
      "'SELECT md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), '''')) AS d "
      "FROM %I.%I t', schemaname, tablename), false, true, '')))[1]::text, ',' ORDER BY "
      "tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '%cache%' "
      "AND tablename NOT LIKE 'inbox%' AND tablename NOT LIKE 'outbox%'");
  return r.ok() ? std::string(r->Text(0, 0)) : "";
}

// The process exists and is not a zombie (a crash leaves one until the harness reaps it).
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  return static_cast<bool>(stat >> pid_field >> name >> state) && state != "Z";
}

// Calls `method` of a fresh stub on `target` with `req`; the response's id, or the failure.
template <typename Service, typename Req, typename Resp>
absl::StatusOr<std::string> Made(const std::string& target,
                                 grpc::Status (Service::Stub::*method)(grpc::ClientContext*,
                                                                       const Req&, Resp*),
                                 const Req& req) {
  auto stub = Service::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(15)));
  Resp resp;
  grpc::Status status = (stub.get()->*method)(&ctx, req, &resp);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat(Req::descriptor()->name(), ": ", status.error_message()));
  }
  if constexpr (requires { resp.id(); }) {
    return resp.id();
  } else {
    return std::string();
  }
}

class BadInputSweepTest : public ::testing::Test {
 public:  // for the passes below
  static void SetUpTestSuite() {
    for (const ServiceRow& row : Services()) {
      std::vector<std::string> peers;
      for (const std::string& peer : row.peers) {
        peers.push_back(
            absl::StrCat(absl::AsciiStrToUpper(peer), "=", (*services_)[peer]->grpc_target()));
      }
      std::vector<std::string> args;
      if (!peers.empty()) args.push_back("--rpc-services=" + absl::StrJoin(peers, ","));
      auto s = testing::ServiceUnderTest::Start(row.env, row.name, args);
      ASSERT_TRUE(s.ok()) << row.name << ": " << s.status();
      (*BadInputSweepTest::services_)[row.name] = *std::move(s);
    }
  }
  static void TearDownTestSuite() { services_->clear(); }

  // The entities a call to `service` may be about, made anew through the services' RPCs.
  static absl::StatusOr<World> MakeWorld(const std::string& service) {
    auto target = [](const std::string& name) { return (*services_)[name]->grpc_target(); };
    World w;
    if (service == "stores" || service == "baskets" || service == "depot") {
      storespb::CreateStoreRequest store;
      store.set_name("Sweep store");
      store.set_location("Aisle 1");
      EDA_ASSIGN_OR_RETURN(
          w["store"], (Made<storespb::StoresService>(
                          target("stores"), &storespb::StoresService::Stub::CreateStore, store)));
      storespb::AddProductRequest product;
      product.set_store_id(w["store"]);
      product.set_name("Sweep product");
      product.set_price(2.5);
      EDA_ASSIGN_OR_RETURN(w["product"], (Made<storespb::StoresService>(
                                             target("stores"),
                                             &storespb::StoresService::Stub::AddProduct, product)));
    }
    if (service == "customers" || service == "baskets" || service == "notifications" ||
        service == "payments") {
      customerspb::RegisterCustomerRequest customer;
      customer.set_name("Sweep customer");
      customer.set_sms_number("555-0100");
      EDA_ASSIGN_OR_RETURN(w["customer"],
                           (Made<customerspb::CustomersService>(
                               target("customers"),
                               &customerspb::CustomersService::Stub::RegisterCustomer, customer)));
    }
    if (service == "baskets") {
      basketspb::StartBasketRequest basket;
      basket.set_customer_id(w["customer"]);
      EDA_ASSIGN_OR_RETURN(w["basket"], (Made<basketspb::BasketService>(
                                            target("baskets"),
                                            &basketspb::BasketService::Stub::StartBasket, basket)));
      basketspb::AddItemRequest item;
      item.set_id(w["basket"]);
      item.set_product_id(w["product"]);
      item.set_quantity(2);
      EDA_RETURN_IF_ERROR((Made<basketspb::BasketService>(
                               target("baskets"), &basketspb::BasketService::Stub::AddItem, item))
                              .status());
    }
    if (service == "ordering") {
      orderingpb::CreateOrderRequest order;
      orderingpb::Item* item = order.add_items();
      item->set_store_id(kWellFormedId);
      item->set_product_id(kWellFormedId);
      item->set_store_name("Sweep store");
      item->set_product_name("Sweep product");
      item->set_price(2.5);
      item->set_quantity(2);
      order.set_customer_id(kWellFormedId);
      order.set_payment_id(kWellFormedId);
      EDA_ASSIGN_OR_RETURN(
          w["order"],
          (Made<orderingpb::OrderingService>(
              target("ordering"), &orderingpb::OrderingService::Stub::CreateOrder, order)));
    }
    if (service == "payments") {
      paymentspb::AuthorizePaymentRequest payment;
      payment.set_customer_id(w["customer"]);
      payment.set_amount(5);
      EDA_ASSIGN_OR_RETURN(
          w["payment"],
          (Made<paymentspb::PaymentsService>(
              target("payments"), &paymentspb::PaymentsService::Stub::AuthorizePayment, payment)));
      w["order"] = eda::NewUuid();
      paymentspb::CreateInvoiceRequest invoice;
      invoice.set_order_id(w["order"]);
      invoice.set_payment_id(w["payment"]);
      invoice.set_amount(5);
      EDA_ASSIGN_OR_RETURN(
          w["invoice"],
          (Made<paymentspb::PaymentsService>(
              target("payments"), &paymentspb::PaymentsService::Stub::CreateInvoice, invoice)));
    }
    if (service == "depot") {
      w["order"] = eda::NewUuid();
      depotpb::CreateShoppingListRequest list;
      list.set_order_id(w["order"]);
      depotpb::OrderItem* item = list.add_items();
      item->set_store_id(w["store"]);
      item->set_product_id(w["product"]);
      item->set_quantity(2);
      EDA_ASSIGN_OR_RETURN(
          w["list"], (Made<depotpb::DepotService>(
                         target("depot"), &depotpb::DepotService::Stub::CreateShoppingList, list)));
    }
    return w;
  }

  static inline auto* services_ =
      new std::map<std::string, std::unique_ptr<testing::ServiceUnderTest>>();
};

// expected.txt: "<service>/<Method> <class> <answer>" lines; '#' starts a comment.
std::map<std::string, std::string> Expected() {
  std::ifstream in(testing::SourceDir() + "/tests/sweep/expected.txt");
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    if (parts.size() == 3) out[parts[0] + " " + parts[1]] = parts[2];
  }
  return out;
}

// The first pass: every class, ids known to no service.
void SweepUnknownIds(const std::map<std::string, std::string>& expected,
                     std::ostringstream& record) {
  int checked = 0;
  for (const std::string& c : kClasses) {
    for (const ServiceRow& row : Services()) {
      const pb::ServiceDescriptor* service =
          row.request()->file()->FindServiceByName(row.grpc.substr(row.grpc.find('.') + 1));
      ASSERT_NE(service, nullptr) << row.grpc << " is not linked into the test";
      grpc::GenericStub stub(
          grpc::CreateChannel((*BadInputSweepTest::services_)[row.name]->grpc_target(),
                              grpc::InsecureChannelCredentials()));
      auto db = eda::pg::Connection::Open((*BadInputSweepTest::services_)[row.name]->dsn());
      ASSERT_TRUE(db.ok()) << db.status();
      for (int i = 0; i < service->method_count(); ++i) {
        const pb::MethodDescriptor* method = service->method(i);
        const std::string rpc = absl::StrCat(row.grpc, "/", method->name());
        const std::string before = Digest(*db);
        ASSERT_FALSE(before.empty()) << row.name << ": its tables cannot be read";
        const std::string request = Request(method, c);
        const std::string answer = Call(stub, absl::StrCat("/", rpc), request);
        if (answer != "OK") {  // refused: nothing written
          EXPECT_EQ(Digest(*db), before) << rpc << " " << c << " wrote something";
        }
        record << rpc << " " << c << " " << answer << "\n";
        const std::string key = rpc + " " + c;
        auto it = expected.find(key);
        if (c == "invalid_utf8") {  // refused, unless the request has no string to spoil
          if (request.find("\xff\xfe") != std::string::npos) {
            EXPECT_NE(answer, "OK") << key;
          }
        } else if (it == expected.end()) {
          ADD_FAILURE() << key << ": no expectation (answered " << answer << ")";
        } else {
          EXPECT_EQ(answer, it->second) << key;
        }
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 50 * static_cast<int>(kClasses.size()));  // the 50 RPCs of 8 services
}

// The second pass: the value classes on entities that exist (after the first, which expects
// none to exist).
void SweepExistingEntities(const std::map<std::string, std::string>& expected,
                           std::ostringstream& record) {
  int checked = 0;
  for (const std::string& value_class : kValueClasses) {
    const std::string c = kExisting + value_class;
    for (const ServiceRow& row : Services()) {
      if (row.name == "search") continue;
      const pb::ServiceDescriptor* service =
          row.request()->file()->FindServiceByName(row.grpc.substr(row.grpc.find('.') + 1));
      ASSERT_NE(service, nullptr) << row.grpc << " is not linked into the test";
      grpc::GenericStub stub(
          grpc::CreateChannel((*BadInputSweepTest::services_)[row.name]->grpc_target(),
                              grpc::InsecureChannelCredentials()));
      auto db = eda::pg::Connection::Open((*BadInputSweepTest::services_)[row.name]->dsn());
      ASSERT_TRUE(db.ok()) << db.status();
      // What earlier calls caused here through events (a basket checked out becomes an order)
      // lands in its own time: start once the service's tables hold still.
      std::string last = Digest(*db);
      for (int round = 0; round < 15; ++round) {
        absl::SleepFor(absl::Milliseconds(300));
        const std::string now = Digest(*db);
        if (now == last) break;
        last = now;
      }
      for (int i = 0; i < service->method_count(); ++i) {
        const pb::MethodDescriptor* method = service->method(i);
        const std::string rpc = absl::StrCat(row.grpc, "/", method->name());
        absl::StatusOr<World> world = BadInputSweepTest::MakeWorld(row.name);
        ASSERT_TRUE(world.ok()) << rpc << ": " << world.status();
        const std::string before = Digest(*db);
        ASSERT_FALSE(before.empty()) << row.name << ": its tables cannot be read";
        std::string answer =
            Call(stub, absl::StrCat("/", rpc), Request(method, value_class, &*world));
        if (answer != "OK") {  // refused: nothing written
          EXPECT_EQ(Digest(*db), before) << rpc << " " << c << " wrote something";
        }
        for (const auto& [kind, id] : *world) {
          answer = absl::StrReplaceAll(answer, {{id, "<" + kind + ">"}});
        }
        record << rpc << " " << c << " " << answer << "\n";
        auto it = expected.find(rpc + " " + c);
        if (it == expected.end()) {
          ADD_FAILURE() << rpc << " " << c << ": no expectation (answered " << answer << ")";
        } else {
          EXPECT_EQ(answer, it->second) << rpc << " " << c;
        }
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 48 * static_cast<int>(kValueClasses.size()));  // search's 2 RPCs left out
}

TEST_F(BadInputSweepTest, EveryRpcAnswersEveryClassAsTheSpecSays) {
  const std::map<std::string, std::string> expected = Expected();
  std::map<std::string, pid_t> pids;
  for (const auto& [name, s] : *services_) pids[name] = s->pid();
  std::ostringstream record;
  SweepUnknownIds(expected, record);
  if (HasFatalFailure()) return;
  SweepExistingEntities(expected, record);
  for (const auto& [name, s] : *services_) {
    EXPECT_EQ(s->pid(), pids[name]) << name << " restarted";
    EXPECT_TRUE(Alive(s->pid())) << name << " is gone";
  }
  if (const char* path = std::getenv("SWEEP_RECORD"); path != nullptr && *path != '\0') {
    std::ofstream(path) << record.str();
  }
}

}  // namespace
}  // namespace mallbots
