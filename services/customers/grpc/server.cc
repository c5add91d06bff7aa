#include "services/customers/grpc/server.h"

#include "libs/common/ids.h"
#include "libs/grpcserver/status.h"
#include "libs/outbox/unit_of_work.h"
#include "services/customers/application/application.h"
#include "services/customers/postgres/store.h"

namespace customers::grpc_api {
namespace {

using eda::grpcserver::ToGrpcStatus;

// Runs fn(ports) in a unit of work (retried on a conflict) and converts its status.
template <typename Fn>
::grpc::Status InUnitOfWork(eda::pg::Pool& pool, Fn fn) {
  return ToGrpcStatus(eda::outbox::RunUnitOfWork(pool, [&](eda::outbox::UnitOfWork& uow) {
    postgres::CustomerRepository customers(uow);
    postgres::OutboxEvents events(uow);
    application::Ports ports{customers, events};
    return fn(ports);
  }));
}

}  // namespace

CustomersServer::CustomersServer(eda::pg::Pool& pool, eda::obs::MetricsRegistry& metrics)
    : pool_(pool),
      registered_(metrics.Counter("customers_registered_count", "Customers registered.").Add({})) {}

::grpc::Status CustomersServer::RegisterCustomer(::grpc::ServerContext*,
                                                 const customerspb::RegisterCustomerRequest* req,
                                                 customerspb::RegisterCustomerResponse* resp) {
  ::grpc::Status status = InUnitOfWork(pool_, [&](application::Ports& ports) -> absl::Status {
    absl::StatusOr<std::string> id =
        application::RegisterCustomer(ports, eda::NewUuid, req->name(), req->sms_number());
    if (!id.ok()) return id.status();
    resp->set_id(*id);
    return absl::OkStatus();
  });
  if (status.ok()) registered_.Increment();
  return status;
}

::grpc::Status CustomersServer::AuthorizeCustomer(::grpc::ServerContext*,
                                                  const customerspb::AuthorizeCustomerRequest* req,
                                                  customerspb::AuthorizeCustomerResponse*) {
  return InUnitOfWork(pool_, [&](application::Ports& ports) {
    return application::AuthorizeCustomer(ports, req->id());
  });
}

::grpc::Status CustomersServer::GetCustomer(::grpc::ServerContext*,
                                            const customerspb::GetCustomerRequest* req,
                                            customerspb::GetCustomerResponse* resp) {
  return InUnitOfWork(pool_, [&](application::Ports& ports) -> absl::Status {
    absl::StatusOr<domain::Customer> c = application::GetCustomer(ports.customers, req->id());
    if (!c.ok()) return c.status();
    customerspb::Customer* out = resp->mutable_customer();
    out->set_id(c->id());
    out->set_name(c->name());
    out->set_sms_number(c->sms_number());
    out->set_enabled(c->enabled());
    return absl::OkStatus();
  });
}

::grpc::Status CustomersServer::EnableCustomer(::grpc::ServerContext*,
                                               const customerspb::EnableCustomerRequest* req,
                                               customerspb::EnableCustomerResponse*) {
  return InUnitOfWork(pool_, [&](application::Ports& ports) {
    return application::EnableCustomer(ports, req->id());
  });
}

::grpc::Status CustomersServer::DisableCustomer(::grpc::ServerContext*,
                                                const customerspb::DisableCustomerRequest* req,
                                                customerspb::DisableCustomerResponse*) {
  return InUnitOfWork(pool_, [&](application::Ports& ports) {
    return application::DisableCustomer(ports, req->id());
  });
}

::grpc::Status CustomersServer::ChangeSmsNumber(::grpc::ServerContext*,
                                                const customerspb::ChangeSmsNumberRequest* req,
                                                customerspb::ChangeSmsNumberResponse*) {
  return InUnitOfWork(pool_, [&](application::Ports& ports) {
    return application::ChangeSmsNumber(ports, req->id(), req->sms_number());
  });
}

}  // namespace customers::grpc_api
