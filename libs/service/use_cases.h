// File: use_cases.h
// The one path from an RPC or a consumed message to the database: a use case runs against the
// service's ports within one unit of work (one transaction holding its aggregate writes, read
// models, outbox rows and, for a message, its inbox row). The ports are built per unit of work
// by a factory that the composition root (main.cc) injects, so the adapters calling use cases
// never see the database side.
//
//   // main.cc
//   eda::service::UseCases<stores::application::Ports> app(rt->pool(),
//                                                          stores::postgres::PortsFactory());
//   // grpc/
//   return Reply(app_.Run([&](Ports& p) { return application::CreateStore(p, ...); }), ...);
#pragma once

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/pg/pool.h"

namespace eda::service {

template <typename Ports>
class UseCases final {
 public:
  using UseCase = std::function<absl::Status(Ports&)>;
  // Builds the ports over `uow` and calls `use_case` with them.
  using PortsFactory =
      std::function<absl::Status(outbox::UnitOfWork& uow, const UseCase& use_case)>;

  UseCases(pg::Pool& pool, PortsFactory factory) : pool_(pool), factory_(std::move(factory)) {}

  // Runs `use_case(ports)` in a new unit of work and commits it; runs it again after a conflict
  // (Aborted), so it must be safe to repeat. `use_case` returns absl::Status or
  // absl::StatusOr<T>; so does Run, with the commit's error when the use case succeeded.
  template <typename Fn>
  std::invoke_result_t<Fn, Ports&> Run(Fn&& use_case) const {
    return Capture<std::invoke_result_t<Fn, Ports&>>(
        [&](const UseCase& run) {
          return outbox::RunUnitOfWork(pool_,
                                       [&](outbox::UnitOfWork& uow) { return factory_(uow, run); });
        },
        use_case);
  }

  // The same within a unit of work that the caller owns and commits (a message handler's).
  template <typename Fn>
  std::invoke_result_t<Fn, Ports&> RunIn(outbox::UnitOfWork& uow, Fn&& use_case) const {
    return Capture<std::invoke_result_t<Fn, Ports&>>(
        [&](const UseCase& run) { return factory_(uow, run); }, use_case);
  }

 private:
  template <typename R, typename Execute, typename Fn>
  static R Capture(Execute execute, Fn& use_case) {
    if constexpr (std::is_same_v<R, absl::Status>) {
      return execute([&](Ports& ports) { return use_case(ports); });
    } else {
      std::optional<R> result;
      absl::Status s = execute([&](Ports& ports) {
        result.emplace(use_case(ports));
        return result->status();
      });
      if (!s.ok()) return R(s);
      return *std::move(result);
    }
  }

  pg::Pool& pool_;
  PortsFactory factory_;
};

}  // namespace eda::service
