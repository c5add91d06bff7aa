#include "services/customers/grpc/server.h"

namespace customers::grpc_api {

using application::Ports;
using eda::grpcserver::Reply;
namespace app = application;

CustomersServer::CustomersServer(const UseCases& app, eda::obs::MetricsRegistry& metrics)
    : app_(app),
      registered_(metrics.Counter("customers_registered_count", "Customers registered.").Add({})) {}

EDA_RPC(CustomersServer, customerspb, RegisterCustomer) {
  return Reply(
      app_.Run([&](Ports& p) { return app::RegisterCustomer(p, req->name(), req->sms_number()); }),
      [&](std::string id) {
        resp->set_id(std::move(id));
        registered_.Increment();
      });
}

EDA_RPC(CustomersServer, customerspb, AuthorizeCustomer) {
  return Reply(app_.Run([&](Ports& p) { return app::AuthorizeCustomer(p, req->id()); }));
}

EDA_RPC(CustomersServer, customerspb, GetCustomer) {
  return Reply(app_.Run([&](Ports& p) { return app::GetCustomer(p, req->id()); }),
               [&](const domain::Customer& c) {
                 customerspb::Customer* out = resp->mutable_customer();
                 out->set_id(c.id());
                 out->set_name(c.state().name());
                 out->set_sms_number(c.state().sms_number());
                 out->set_enabled(c.state().enabled());
               });
}

EDA_RPC(CustomersServer, customerspb, EnableCustomer) {
  return Reply(app_.Run([&](Ports& p) { return app::EnableCustomer(p, req->id()); }));
}

EDA_RPC(CustomersServer, customerspb, DisableCustomer) {
  return Reply(app_.Run([&](Ports& p) { return app::DisableCustomer(p, req->id()); }));
}

EDA_RPC(CustomersServer, customerspb, ChangeSmsNumber) {
  return Reply(
      app_.Run([&](Ports& p) { return app::ChangeSmsNumber(p, req->id(), req->sms_number()); }));
}

}  // namespace customers::grpc_api
