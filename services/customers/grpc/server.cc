#include "services/customers/grpc/server.h"

#include "libs/grpcserver/status.h"

namespace customers::grpc_api {
namespace {

using application::Ports;
using eda::grpcserver::Reply;
using grpc::ServerContext;
using grpc::Status;
namespace app = application;

}  // namespace

CustomersServer::CustomersServer(const UseCases& app, eda::obs::MetricsRegistry& metrics)
    : app_(app),
      registered_(metrics.Counter("customers_registered_count", "Customers registered.").Add({})) {}

Status CustomersServer::RegisterCustomer(ServerContext*,
                                         const customerspb::RegisterCustomerRequest* req,
                                         customerspb::RegisterCustomerResponse* resp) {
  return Reply(
      app_.Run([&](Ports& p) { return app::RegisterCustomer(p, req->name(), req->sms_number()); }),
      [&](std::string id) {
        resp->set_id(std::move(id));
        registered_.Increment();
      });
}

Status CustomersServer::AuthorizeCustomer(ServerContext*,
                                          const customerspb::AuthorizeCustomerRequest* req,
                                          customerspb::AuthorizeCustomerResponse*) {
  return Reply(app_.Run([&](Ports& p) { return app::AuthorizeCustomer(p, req->id()); }));
}

Status CustomersServer::GetCustomer(ServerContext*, const customerspb::GetCustomerRequest* req,
                                    customerspb::GetCustomerResponse* resp) {
  return Reply(app_.Run([&](Ports& p) { return app::GetCustomer(p, req->id()); }),
               [&](const domain::Customer& c) {
                 customerspb::Customer* out = resp->mutable_customer();
                 out->set_id(c.id());
                 out->set_name(c.state().name());
                 out->set_sms_number(c.state().sms_number());
                 out->set_enabled(c.state().enabled());
               });
}

Status CustomersServer::EnableCustomer(ServerContext*,
                                       const customerspb::EnableCustomerRequest* req,
                                       customerspb::EnableCustomerResponse*) {
  return Reply(app_.Run([&](Ports& p) { return app::EnableCustomer(p, req->id()); }));
}

Status CustomersServer::DisableCustomer(ServerContext*,
                                        const customerspb::DisableCustomerRequest* req,
                                        customerspb::DisableCustomerResponse*) {
  return Reply(app_.Run([&](Ports& p) { return app::DisableCustomer(p, req->id()); }));
}

Status CustomersServer::ChangeSmsNumber(ServerContext*,
                                        const customerspb::ChangeSmsNumberRequest* req,
                                        customerspb::ChangeSmsNumberResponse*) {
  return Reply(
      app_.Run([&](Ports& p) { return app::ChangeSmsNumber(p, req->id(), req->sms_number()); }));
}

}  // namespace customers::grpc_api
