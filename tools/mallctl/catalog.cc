#include "tools/mallctl/catalog.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "libs/outbox/commands.h"
#include "proto/admin/admin_service.pb.h"

namespace mallctl {
namespace {

struct Catalog {
  google::protobuf::DescriptorPool pool;
  // Makes the messages of `pool`; declared after it, so destroyed first.
  google::protobuf::DynamicMessageFactory factory{&pool};
  std::vector<const google::protobuf::FileDescriptor*> files;  // as in the descriptor set
  std::vector<std::pair<std::string, const google::protobuf::ServiceDescriptor*>> services;
};

// The embedded set is built with mallctl, so a set that does not load is a build defect.
[[noreturn]] void Corrupt(const std::string& what) {
  std::fprintf(stderr, "mallctl: the embedded descriptor set is broken: %s\n", what.c_str());
  std::abort();
}

std::string ShortName(const google::protobuf::ServiceDescriptor* service) {
  std::string name = service->file()->package();
  if (absl::EndsWith(name, "pb")) name.resize(name.size() - 2);
  return name;
}

// Thread-safe: built once; DynamicMessageFactory::GetPrototype locks its own cache.
Catalog& Get() {
  static Catalog* catalog = [] {
    auto* c = new Catalog;
    google::protobuf::FileDescriptorSet set;
    const std::string_view bytes = DescriptorSet();
    if (!set.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) Corrupt("unparsable");
    for (const google::protobuf::FileDescriptorProto& file : set.file()) {
      const google::protobuf::FileDescriptor* built = c->pool.BuildFile(file);
      if (built == nullptr) Corrupt(file.name());
      c->files.push_back(built);
      for (int i = 0; i < built->service_count(); ++i) {
        const google::protobuf::ServiceDescriptor* service = built->service(i);
        std::string name = ShortName(service);
        for (const auto& entry : c->services) {
          if (entry.first == name) name = service->full_name();
        }
        c->services.emplace_back(std::move(name), service);
      }
    }
    return c;
  }();
  return *catalog;
}

}  // namespace

const google::protobuf::ServiceDescriptor* FindService(const std::string& name) {
  for (const auto& [short_name, service] : Get().services) {
    if (name == short_name || name == service->full_name()) return service;
  }
  return nullptr;
}

std::vector<std::string> ServiceNames() {
  std::vector<std::string> names;
  for (const auto& entry : Get().services) names.push_back(entry.first);
  return names;
}

const google::protobuf::Message& Prototype(const google::protobuf::Descriptor* type) {
  if (type->file()->pool() == google::protobuf::DescriptorPool::generated_pool()) {
    return *google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  }
  return *Get().factory.GetPrototype(type);
}

const google::protobuf::ServiceDescriptor* AdminService() {
  return adminpb::GetInfoRequest::descriptor()->file()->FindServiceByName("AdminService");
}

const eda::messaging::TypeRegistry& Messages() {
  static const auto* registry = [] {
    auto* r = new eda::messaging::TypeRegistry;
    Catalog& c = Get();
    for (const google::protobuf::FileDescriptor* file : c.files) {
      r->RegisterAnnotated(file, &c.factory);
    }
    r->RegisterEmpty(eda::outbox::kSuccessReply);
    r->RegisterEmpty(eda::outbox::kFailureReply);
    return r;
  }();
  return *registry;
}

}  // namespace mallctl
