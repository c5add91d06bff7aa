// File: api_registry.cc
#include "tests/fuzz/api_registry.h"

#include "proto/baskets/baskets_api.pb.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/payments/payments_api.pb.h"
#include "proto/stores/stores_api.pb.h"

namespace eda::fuzz {

const messaging::TypeRegistry& ApiRegistry() {
  static const auto* registry = [] {
    auto* r = new messaging::TypeRegistry();
    for (const google::protobuf::FileDescriptor* file :
         {storespb::StoreCreated::descriptor()->file(),
          customerspb::CustomerRegistered::descriptor()->file(),
          basketspb::BasketStarted::descriptor()->file(),
          orderingpb::OrderCreated::descriptor()->file(),
          depotpb::ShoppingListCompleted::descriptor()->file(),
          paymentspb::InvoicePaid::descriptor()->file()}) {
      r->RegisterAnnotated(file);
    }
    r->RegisterEmpty("am.Success");
    r->RegisterEmpty("am.Failure");
    return r;
  }();
  return *registry;
}

}  // namespace eda::fuzz
