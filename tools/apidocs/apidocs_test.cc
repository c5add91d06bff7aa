// The catalogue generator on the real descriptor set and topology: every message filed under its
// subject, and a topology or proto that leaves one out refused by name; the YAML writer's quoting.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/apidocs/asyncapi.h"
#include "tools/apidocs/catalogue.h"
#include "tools/apidocs/html.h"
#include "tools/apidocs/yaml.h"

namespace apidocs {
namespace {

using ::testing::HasSubstr;

std::string Source(const std::string& path) {
  return std::string(std::getenv("EDA_SOURCE_DIR")) + "/" + path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// The catalogue of the real topology with `from` replaced by `to` (in a file removed after).
absl::StatusOr<Catalogue> LoadAltered(const std::string& from, const std::string& to) {
  std::string text = ReadFile(Source("deploy/topology.conf"));
  EXPECT_THAT(text, HasSubstr(from));
  const std::string path = ::testing::TempDir() + "/topology-" + std::to_string(::getpid());
  std::ofstream(path) << absl::StrReplaceAll(text, {{from, to}});
  absl::StatusOr<Catalogue> catalogue = Catalogue::Load(APIDOCS_PROTOSET, path);
  std::remove(path.c_str());
  return catalogue;
}

TEST(CatalogueTest, FilesEveryMessageUnderItsSubject) {
  auto c = Catalogue::Load(APIDOCS_PROTOSET, Source("deploy/topology.conf"));
  ASSERT_TRUE(c.ok()) << c.status();
  const Channel* orders = c->FindChannel("mallbots.ordering.events.Order");
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->kind, Kind::kEvent);
  ASSERT_NE(orders->stream, nullptr);
  EXPECT_EQ(orders->stream->spec.name, "ORDERING");
  EXPECT_THAT(orders->publishers, ::testing::ElementsAre("ordering"));
  std::vector<std::string> names;
  for (const Message* m : orders->messages) names.push_back(m->name);
  EXPECT_THAT(names, ::testing::ElementsAre("ordersapi.OrderCreated", "ordersapi.OrderRejected",
                                            "ordersapi.OrderApproved", "ordersapi.OrderReadied",
                                            "ordersapi.OrderCanceled", "ordersapi.OrderCompleted"));
  std::vector<std::string> subscribers;
  for (const auto* s : orders->subscribers) subscribers.push_back(s->spec.durable);
  EXPECT_THAT(subscribers, ::testing::Contains("example-go-orders"));

  // The saga's replies: the generic ones and depot's, from four publishers.
  const Channel* replies = c->FindChannel("mallbots.cosec.replies.CreateOrder");
  ASSERT_NE(replies, nullptr);
  EXPECT_EQ(replies->kind, Kind::kReply);
  names.clear();
  for (const Message* m : replies->messages) names.push_back(m->name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("am.Success", "am.Failure",
                                                     "depotapi.CreatedShoppingListReply"));
  EXPECT_EQ(replies->publishers.size(), 4u);
  // Both names of a type sent under two.
  const Channel* products = c->FindChannel("mallbots.stores.events.Product");
  ASSERT_NE(products, nullptr);
  names.clear();
  for (const Message* m : products->messages) names.push_back(m->name);
  EXPECT_THAT(names, ::testing::IsSupersetOf(
                         {"storesapi.ProductPriceIncreased", "storesapi.ProductPriceDecreased"}));
}

TEST(CatalogueTest, RefusesAMessageOnASubjectNoServicePublishesTo) {
  auto c = LoadAltered("publish  payments       mallbots.payments.events.Invoice\n", "");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(c.status().message(),
              HasSubstr("paymentsapi.InvoicePaid travels on mallbots.payments.events.Invoice, "
                        "which no service publishes to"));
}

TEST(CatalogueTest, RefusesAPublishedSubjectWithoutMessages) {
  auto c = LoadAltered("publish  baskets        mallbots.baskets.events.Basket\n",
                       "publish  baskets        mallbots.baskets.events.Basket\n"
                       "publish  baskets        mallbots.baskets.events.Kiosk\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("mallbots.baskets.events.Kiosk (published by baskets) carries no message"));
}

TEST(CatalogueTest, TheAsyncApiDocumentNamesEveryChannelAndMessage) {
  auto c = Catalogue::Load(APIDOCS_PROTOSET, Source("deploy/topology.conf"));
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string doc = AsyncApiYaml(*c, {.version = "1.2.3", .nats_url = "nats://h:4222"});
  EXPECT_THAT(doc, HasSubstr("asyncapi: \"3.0.0\"\n"));
  EXPECT_THAT(doc, HasSubstr("    address: mallbots.ordering.events.Order\n"));
  EXPECT_THAT(doc, HasSubstr("  host: \"h:4222\"\n"));
  for (const auto& m : c->messages) {
    EXPECT_THAT(doc, HasSubstr("    " + m->name + ":\n      name: " + m->name + "\n"));
  }
  EXPECT_THAT(doc, HasSubstr("$ref: \"#/components/schemas/orderingpb.OrderCreated.Item\""));
  EXPECT_THAT(EventsHtml(*c, {}), HasSubstr("<code>paymentsapi.InvoicePaid</code>"));
}

TEST(CatalogueTest, TheGrpcPageShowsTheSweepsAnswers) {
  auto c = Catalogue::Load(APIDOCS_PROTOSET, Source("deploy/topology.conf"));
  ASSERT_TRUE(c.ok()) << c.status();
  auto answers = LoadAnswers(Source("tests/sweep/expected.txt"));
  ASSERT_TRUE(answers.ok()) << answers.status();
  const std::string page = GrpcHtml(*c, {}, *answers);
  EXPECT_THAT(page,
              HasSubstr("<code>CheckoutBasket(<a href=\"#t-basketspb.CheckoutBasketRequest\">"));
  EXPECT_THAT(page, HasSubstr("<td>the basket id cannot be blank</td>"));
  // A map's value type is linked and shown.
  EXPECT_THAT(page, HasSubstr("<a href=\"#t-depotpb.Stop\">map&lt;string, depotpb.Stop&gt;</a>"));
  EXPECT_THAT(page, HasSubstr("<h3 id=\"t-depotpb.Stop\">"));
}

TEST(YamlTest, QuotesWhatWouldReadAsSomethingElse) {
  Yaml doc = Yaml::Map();
  doc.Set("plain", "mallbots.stores.events.Store");
  doc.Set("ref", "#/components/x");
  doc.Set("word", "true");
  doc.Set("number", "3.0.0");
  doc.Set("colon", "a: b");
  doc.Set("quote", "say \"hi\"");
  doc.Set("lines", "one\n  two");
  doc.Set("indented", "  one\ntwo");  // a literal block would read its indentation from it
  doc.Set("ending", "one\ntwo\n");    // "|-" would drop the line break
  doc.Set("control", "one\ntw\to");
  doc.Set("raw", Yaml::Raw("7"));
  Yaml& list = doc.Set("list", Yaml::List());
  list.Add("x");
  list.Add(Yaml::Map()).Set("$ref", "why");
  doc.Set("empty", Yaml::Map());
  EXPECT_EQ(doc.Dump(),
            "plain: mallbots.stores.events.Store\n"
            "ref: \"#/components/x\"\n"
            "word: \"true\"\n"
            "number: \"3.0.0\"\n"
            "colon: \"a: b\"\n"
            "quote: \"say \\\"hi\\\"\"\n"
            "lines: |-\n  one\n    two\n"
            "indented: \"  one\\ntwo\"\n"
            "ending: \"one\\ntwo\\n\"\n"
            "control: \"one\\ntw\\x09o\"\n"
            "raw: 7\n"
            "list:\n  - x\n  - $ref: why\n"
            "empty: {}\n");
}

}  // namespace
}  // namespace apidocs
