#include "services/payments/grpc/server.h"

namespace payments::grpc_api {

using application::Ports;
using eda::grpcserver::Into;
using eda::grpcserver::Reply;
namespace app = application;

EDA_RPC(PaymentsServer, paymentspb, AuthorizePayment) {
  return Reply(app_.Run([&](Ports& p) {
    return app::AuthorizePayment(p, req->customer_id(), req->amount());
  }),
               [&](std::string id) { resp->set_id(std::move(id)); });
}

EDA_RPC(PaymentsServer, paymentspb, ConfirmPayment) {
  return Reply(app_.Run([&](Ports& p) { return app::ConfirmPayment(p, req->id()); }));
}

EDA_RPC(PaymentsServer, paymentspb, GetPayment) {
  return Reply(app_.Run([&](Ports& p) { return app::GetPayment(p, req->id()); }),
               Into(resp->mutable_payment()));
}

EDA_RPC(PaymentsServer, paymentspb, CreateInvoice) {
  return Reply(
      app_.Run([&](Ports& p) { return app::CreateInvoice(p, req->order_id(), req->amount()); }),
      [&](std::string id) { resp->set_id(std::move(id)); });
}

EDA_RPC(PaymentsServer, paymentspb, AdjustInvoice) {
  return Reply(app_.Run([&](Ports& p) { return app::AdjustInvoice(p, req->id(), req->amount()); }));
}

EDA_RPC(PaymentsServer, paymentspb, PayInvoice) {
  return Reply(app_.Run([&](Ports& p) { return app::PayInvoice(p, req->id()); }));
}

EDA_RPC(PaymentsServer, paymentspb, CancelInvoice) {
  return Reply(app_.Run([&](Ports& p) { return app::CancelInvoice(p, req->id()); }));
}

EDA_RPC(PaymentsServer, paymentspb, GetInvoice) {
  return Reply(app_.Run([&](Ports& p) { return app::GetInvoice(p, req->id()); }),
               Into(resp->mutable_invoice()));
}

}  // namespace payments::grpc_api
