// The payments binary, started by the test against real PostgreSQL and nats-server: every RPC
// with its errors, invoices from readied orders (once per order), InvoicePaid on its stream, and
// the saga's ConfirmPayment/ReleasePayment commands with their replies.
#include <grpcpp/grpcpp.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/streams.h"
#include "libs/service/service_fixture.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/payments/payments_api.pb.h"
#include "proto/payments/payments_service.grpc.pb.h"

namespace payments {
namespace {

namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;
using Stub = paymentspb::PaymentsService::Stub;

constexpr char kEvents[] = "mallbots.payments.events.Invoice";
constexpr char kCustomer[] = "7c4f2a8e-0b1d-4c55-9a3e-2f6d8b9c1e01";

class PaymentsServiceTest : public testing::ServiceFixture<paymentspb::PaymentsService> {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    for (const auto& [name, subjects] : std::vector<std::pair<std::string, std::string>>{
             {"ORDERING", "mallbots.ordering.events.>"},
             {"COSEC_REPLIES", "mallbots.cosec.replies.>"}}) {
      ASSERT_TRUE(
          messaging::EnsureStream((*nats)->js(), {.name = name, .subjects = {subjects}}).ok());
    }
    StartService("PAYMENTS_BIN", "payments");
  }

  std::string Authorize(double amount) {
    paymentspb::AuthorizePaymentRequest req;
    req.set_customer_id(kCustomer);
    req.set_amount(amount);
    paymentspb::AuthorizePaymentResponse resp;
    grpc::Status s = Call(&Stub::AuthorizePayment, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.id();
  }
  paymentspb::Payment GetPayment(const std::string& id) {
    paymentspb::GetPaymentRequest req;
    req.set_id(id);
    paymentspb::GetPaymentResponse resp;
    grpc::Status s = Call(&Stub::GetPayment, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.payment();
  }
  paymentspb::Invoice GetInvoice(const std::string& id, grpc::Status* status = nullptr) {
    paymentspb::GetInvoiceRequest req;
    req.set_id(id);
    paymentspb::GetInvoiceResponse resp;
    grpc::Status s = Call(&Stub::GetInvoice, req, &resp);
    if (status != nullptr) *status = s;
    return resp.invoice();
  }
  template <typename Req, typename Resp>
  grpc::Status ById(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const std::string& id) {
    Req req;
    req.set_id(id);
    Resp resp;
    return Call(method, req, &resp);
  }

  static std::string Confirm(const std::string& id, double amount) {
    paymentspb::ConfirmPayment cmd;
    cmd.set_id(id);
    cmd.set_amount(amount);
    return SendCommand("mallbots.payments.commands", "paymentsapi.ConfirmPayment", cmd);
  }
  static std::string Release(const std::string& id) {
    paymentspb::ReleasePayment cmd;
    cmd.set_id(id);
    return SendCommand("mallbots.payments.commands", "paymentsapi.ReleasePayment", cmd);
  }
};

TEST_F(PaymentsServiceTest, PaymentsAreAuthorizedConfirmedAndReadable) {
  const std::string id = Authorize(25.5);
  paymentspb::Payment payment = GetPayment(id);
  EXPECT_EQ(payment.customer_id(), kCustomer);
  EXPECT_DOUBLE_EQ(payment.amount(), 25.5);
  EXPECT_EQ(payment.status(), "authorized");
  ASSERT_TRUE((ById<paymentspb::ConfirmPaymentRequest, paymentspb::ConfirmPaymentResponse>(
                   &Stub::ConfirmPayment, id))
                  .ok());
  EXPECT_EQ(GetPayment(id).status(), "confirmed");
  grpc::Status s = ById<paymentspb::ConfirmPaymentRequest, paymentspb::ConfirmPaymentResponse>(
      &Stub::ConfirmPayment, eda::NewUuid());
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "payment cannot be confirmed");
  paymentspb::AuthorizePaymentRequest bad;
  bad.set_customer_id(kCustomer);
  bad.set_amount(-1);
  paymentspb::AuthorizePaymentResponse resp;
  s = Call(&Stub::AuthorizePayment, bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the payment amount cannot be negative");
}

// [REF-DEFECT] unknown invoices were INTERNAL and canceled ones unreadable in the reference.
TEST_F(PaymentsServiceTest, InvoicesArePaidOrCanceledOnceAndAlwaysReadable) {
  paymentspb::CreateInvoiceRequest create;
  create.set_order_id(eda::NewUuid());
  create.set_payment_id(eda::NewUuid());
  create.set_amount(40);
  paymentspb::CreateInvoiceResponse created;
  ASSERT_TRUE(Call(&Stub::CreateInvoice, create, &created).ok());
  paymentspb::AdjustInvoiceRequest adjust;
  adjust.set_id(created.id());
  adjust.set_amount(42.5);
  paymentspb::AdjustInvoiceResponse adjusted;
  ASSERT_TRUE(Call(&Stub::AdjustInvoice, adjust, &adjusted).ok());
  EXPECT_DOUBLE_EQ(GetInvoice(created.id()).amount(), 42.5);
  EXPECT_EQ(GetInvoice(created.id()).status(), "pending");
  ASSERT_TRUE((ById<paymentspb::PayInvoiceRequest, paymentspb::PayInvoiceResponse>(
                   &Stub::PayInvoice, created.id()))
                  .ok());
  EXPECT_EQ(GetInvoice(created.id()).status(), "paid");
  auto paid =
      Events<paymentspb::InvoicePaid>("PAYMENTS", kEvents, "paymentsapi.InvoicePaid", created.id());
  ASSERT_EQ(paid.size(), 1u);
  EXPECT_EQ(paid[0].second.order_id(), create.order_id());
  grpc::Status s = ById<paymentspb::PayInvoiceRequest, paymentspb::PayInvoiceResponse>(
      &Stub::PayInvoice, created.id());
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "invoice cannot be paid for");

  ASSERT_TRUE(Call(&Stub::CreateInvoice, create, &created).ok());
  ASSERT_TRUE((ById<paymentspb::CancelInvoiceRequest, paymentspb::CancelInvoiceResponse>(
                   &Stub::CancelInvoice, created.id()))
                  .ok());
  EXPECT_EQ(GetInvoice(created.id()).status(), "canceled");
  s = ById<paymentspb::CancelInvoiceRequest, paymentspb::CancelInvoiceResponse>(
      &Stub::CancelInvoice, created.id());
  EXPECT_EQ(s.error_message(), "invoice cannot be paid for");
  s = ById<paymentspb::PayInvoiceRequest, paymentspb::PayInvoiceResponse>(&Stub::PayInvoice,
                                                                          created.id());
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);

  const std::string unknown = eda::NewUuid();
  GetInvoice(unknown, &s);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "invoice " + unknown + " not found");
}

TEST_F(PaymentsServiceTest, AReadiedOrderGetsOneInvoiceWithItsIdAndTotal) {
  orderingpb::OrderReadied readied;
  readied.set_id(eda::NewUuid());
  readied.set_customer_id(kCustomer);
  readied.set_payment_id(eda::NewUuid());
  readied.set_total(17.25);
  Publish("mallbots.ordering.events.Order", "ordersapi.OrderReadied", readied);
  Publish("mallbots.ordering.events.Order", "ordersapi.OrderReadied", readied);  // again
  grpc::Status s;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        GetInvoice(readied.id(), &s);
        return s.ok();
      },
      absl::Seconds(10)));
  paymentspb::Invoice invoice = GetInvoice(readied.id());
  EXPECT_EQ(invoice.order_id(), readied.id());
  EXPECT_DOUBLE_EQ(invoice.amount(), 17.25);
  EXPECT_EQ(invoice.status(), "pending");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return service_->Metric(
                   "payments_received_messages_count{handled=\"true\","
                   "message=\"ordersapi.OrderReadied\"}") >= 2;
      },
      absl::Seconds(10)));
  EXPECT_EQ(GetInvoice(readied.id()).status(), "pending");  // the second created nothing
}

TEST_F(PaymentsServiceTest, TheSagasCommandsConfirmAndReleasePayments) {
  const std::string id = Authorize(30);
  EXPECT_EQ(Confirm(id, 30.01), "am.Failure");  // the order costs more than was authorised
  EXPECT_EQ(GetPayment(id).status(), "authorized");
  EXPECT_EQ(Confirm(id, 29.5), "am.Success");
  EXPECT_EQ(GetPayment(id).status(), "confirmed");
  EXPECT_EQ(Release(id), "am.Success");
  EXPECT_EQ(Release(id), "am.Success");  // idempotent
  EXPECT_EQ(GetPayment(id).status(), "released");
  EXPECT_EQ(Confirm(id, 1), "am.Failure");
  EXPECT_EQ(Confirm(eda::NewUuid(), 1), "am.Failure");
  const std::string unconfirmed = Authorize(5);
  EXPECT_EQ(Release(unconfirmed), "am.Success");
}

}  // namespace
}  // namespace payments
