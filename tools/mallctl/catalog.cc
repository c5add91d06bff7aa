#include "tools/mallctl/catalog.h"

#include <utility>

#include "libs/outbox/commands.h"
#include "proto/customers/customers_service.pb.h"
#include "proto/stores/stores_service.pb.h"
#include "services/customers/api/messages.h"
#include "services/stores/api/messages.h"

namespace mallctl {
namespace {

// Short name -> service. Naming a request type here also keeps its file linked in.
const std::vector<std::pair<std::string, const google::protobuf::ServiceDescriptor*>>& Services() {
  static const auto* services =
      new std::vector<std::pair<std::string, const google::protobuf::ServiceDescriptor*>>{
          {"stores",
           storespb::CreateStoreRequest::descriptor()->file()->FindServiceByName("StoresService")},
          {"customers",
           customerspb::RegisterCustomerRequest::descriptor()->file()->FindServiceByName(
               "CustomersService")},
      };
  return *services;
}

}  // namespace

const google::protobuf::ServiceDescriptor* FindService(const std::string& name) {
  for (const auto& [short_name, service] : Services()) {
    if (name == short_name || name == service->full_name()) return service;
  }
  return nullptr;
}

std::vector<std::string> ServiceNames() {
  std::vector<std::string> names;
  for (const auto& entry : Services()) names.push_back(entry.first);
  return names;
}

const eda::messaging::TypeRegistry& Messages() {
  static const auto* registry = [] {
    auto* r = new eda::messaging::TypeRegistry;
    stores::api::RegisterMessages(*r);
    customers::api::RegisterMessages(*r);
    r->RegisterEmpty(eda::outbox::kSuccessReply);
    r->RegisterEmpty(eda::outbox::kFailureReply);
    return r;
  }();
  return *registry;
}

}  // namespace mallctl
