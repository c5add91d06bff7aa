// TypeRegistry::RegisterAnnotated: wire names from the (eda.wire_name) options, for generated
// classes and for a pool built at run time (as tools do from a descriptor set).
#include "libs/messaging/registry.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/registry_test.pb.h"

namespace eda::messaging {
namespace {

using ::testing::ElementsAre;

const google::protobuf::FileDescriptor* TestFile() {
  return registrytest::Created::descriptor()->file();
}

TEST(RegisterAnnotatedTest, RegistersEachWireNameOfEachAnnotatedMessage) {
  TypeRegistry registry;
  registry.RegisterAnnotated(TestFile());
  EXPECT_THAT(registry.Names(), ElementsAre("testapi.Created", "testapi.PriceDecreased",
                                            "testapi.PriceIncreased", "testapi.Removed"));
  EXPECT_FALSE(registry.Has("registrytest.Snapshot"));
  EXPECT_FALSE(registry.Has("registrytest.Created"));

  registrytest::PriceChanged changed;
  changed.set_id("p-1");
  changed.set_delta(-2.5);
  for (const char* name : {"testapi.PriceIncreased", "testapi.PriceDecreased"}) {
    auto decoded = registry.DecodeAs<registrytest::PriceChanged>(name, changed.SerializeAsString());
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status();
    EXPECT_EQ(decoded->id(), "p-1");
    EXPECT_EQ(decoded->delta(), -2.5);
  }
  EXPECT_TRUE(registry.DecodeAs<registrytest::Outer::Removed>("testapi.Removed", "").ok());
}

TEST(RegisterAnnotatedTest, DecodesIntoARuntimePoolsMessages) {
  // The test file and its imports, dependencies first, built into a pool of their own.
  google::protobuf::DescriptorPool pool;
  std::vector<const google::protobuf::FileDescriptor*> order;
  std::function<void(const google::protobuf::FileDescriptor*)> visit =
      [&](const google::protobuf::FileDescriptor* f) {
        for (int i = 0; i < f->dependency_count(); ++i) visit(f->dependency(i));
        if (std::find(order.begin(), order.end(), f) == order.end()) order.push_back(f);
      };
  visit(TestFile());
  const google::protobuf::FileDescriptor* file = nullptr;
  for (const google::protobuf::FileDescriptor* f : order) {
    google::protobuf::FileDescriptorProto proto;
    f->CopyTo(&proto);
    file = pool.BuildFile(proto);
    ASSERT_NE(file, nullptr) << f->name();
  }
  google::protobuf::DynamicMessageFactory factory(&pool);
  TypeRegistry registry;
  registry.RegisterAnnotated(file, &factory);
  ASSERT_THAT(registry.Names(), ElementsAre("testapi.Created", "testapi.PriceDecreased",
                                            "testapi.PriceIncreased", "testapi.Removed"));

  registrytest::Created created;
  created.set_id("s-1");
  auto decoded = registry.Decode("testapi.Created", created.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ((*decoded)->GetDescriptor()->file()->pool(), &pool);
  EXPECT_EQ((*decoded)->GetTypeName(), "registrytest.Created");
  const google::protobuf::FieldDescriptor* id = (*decoded)->GetDescriptor()->FindFieldByName("id");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ((*decoded)->GetReflection()->GetString(**decoded, id), "s-1");
  // Not the generated class, so not decodable as one.
  EXPECT_EQ(registry.DecodeAs<registrytest::Created>("testapi.Created", "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RegisterAnnotatedDeathTest, ANameDeclaredTwiceAborts) {
  TypeRegistry registry;
  registry.RegisterAnnotated(TestFile());
  EXPECT_DEATH(registry.RegisterAnnotated(TestFile()), "testapi.Created registered twice");
}

}  // namespace
}  // namespace eda::messaging
