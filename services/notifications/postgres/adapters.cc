#include "services/notifications/postgres/adapters.h"

#include <memory>

#include "libs/common/status_macros.h"
#include "libs/service/cache_table.h"
#include "proto/customers/customers_service.grpc.pb.h"

namespace notifications::postgres {
namespace {

using eda::outbox::UnitOfWork;
using CustomersStub = customerspb::CustomersService::Stub;

// The customers cache, built once per process over the customers client.
class CustomersCache final {
 public:
  explicit CustomersCache(eda::service::Peer peer)
      : client_(std::move(peer)),
        cache_({.table = "customers_cache",
                .columns = {"id", "name", "sms_number"},
                .what = "customer",
                .fetch = [this](const std::string& id) -> absl::StatusOr<customerspb::Customer> {
                  customerspb::GetCustomerRequest req;
                  req.set_id(id);
                  EDA_ASSIGN_OR_RETURN(auto resp, client_.Call(&CustomersStub::GetCustomer, req));
                  return resp.customer();
                }}) {}
  const eda::service::PeerCache<customerspb::Customer>& cache() const { return cache_; }

 private:
  eda::service::PeerClient<customerspb::CustomersService> client_;
  eda::service::PeerCache<customerspb::Customer> cache_;
};

class Customers final : public application::Customers {
 public:
  Customers(UnitOfWork& uow, const CustomersCache& cache) : uow_(uow), cache_(cache.cache()) {}
  absl::StatusOr<customerspb::Customer> Find(const std::string& id) override {
    return cache_.Get(uow_, id);
  }
  void Registered(const customerspb::CustomerRegistered& e) override {
    cache_.table().Insert(uow_, e);
  }
  void SmsChanged(const customerspb::CustomerSmsChanged& e) override {
    cache_.table().Update(uow_, e, {"sms_number"});
  }

 private:
  UnitOfWork& uow_;
  const eda::service::PeerCache<customerspb::Customer>& cache_;
};

class Notices final : public application::Notices {
 public:
  explicit Notices(UnitOfWork& uow) : uow_(uow) {}
  absl::StatusOr<bool> Given(const std::string& order_id, domain::Notice notice) override {
    EDA_ASSIGN_OR_RETURN(
        eda::pg::Result r,
        uow_.tx().Exec("SELECT 1 FROM notifications WHERE order_id = $1 AND notice = $2",
                       {order_id, std::string(domain::NoticeName(notice))}));
    return r.rows() > 0;
  }
  void Record(const std::string& key, const std::string& order_id, const std::string& customer_id,
              domain::Notice notice, const std::optional<domain::Sms>& sms) override {
    // A notice given meanwhile by a concurrent unit of work (an RPC racing the event) keeps its
    // record; this one commits without one.
    uow_.Defer(
        "INSERT INTO notifications (idempotency_key, order_id, notice, customer_id, sms_number, "
        "text, status) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        {key, order_id, std::string(domain::NoticeName(notice)), customer_id,
         sms.has_value() ? sms->to() : std::string(), sms.has_value() ? sms->text() : std::string(),
         sms.has_value() ? "sent" : "skipped"});
  }

 private:
  UnitOfWork& uow_;
};

}  // namespace

eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer customers,
                                                                      application::Sender& sender) {
  return [cache = std::make_shared<CustomersCache>(std::move(customers)), &sender](
             UnitOfWork& uow, const auto& use_case) {
    Customers customer_port(uow, *cache);
    Notices notices(uow);
    application::Ports ports{customer_port, notices, sender};
    return use_case(ports);
  };
}

}  // namespace notifications::postgres
