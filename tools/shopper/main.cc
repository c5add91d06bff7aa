// shopper: one new order through the whole running system, from a basket to `completed` and paid,
// printing each step with the time it took. The robots (bots, started by `make up`) do the
// shopping. Endpoints come from MALLBOTS_GRPC_<SERVICE> (`make order` reads them from the stack).
//
//   shopper [--timeout=60s] [--play-robot=true]   (no robots run: it does their work)
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/config.h"
#include "tools/shopper/shopper.h"

int main(int argc, char** argv) {
  eda::Config config(argc, argv);
  const absl::Duration timeout = config.Duration("TIMEOUT", absl::Seconds(60));
  const bool play_robot = config.Bool("PLAY_ROBOT", false);
  if (absl::Status s = config.Check(); !s.ok()) {
    std::fprintf(stderr, "shopper: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  absl::StatusOr<mallbots::Endpoints> endpoints = mallbots::Endpoints::FromEnvironment();
  if (!endpoints.ok()) {
    std::fprintf(stderr, "shopper: %s\n", std::string(endpoints.status().message()).c_str());
    return 2;
  }
  mallbots::Mall mall(*endpoints);
  const absl::Time start = absl::Now();
  auto fail = [](const absl::Status& s) {
    std::fprintf(stderr, "shopper: %s\n", s.ToString().c_str());
    return 1;
  };
  absl::StatusOr<mallbots::Store> store = mall.OpenStore("Corner Books", {12.5, 3.25});
  if (!store.ok()) return fail(store.status());
  std::printf("%-36s %s\n", "store opened, 2 products added", store->id.c_str());
  absl::StatusOr<std::string> customer = mall.RegisterCustomer("Ada");
  if (!customer.ok()) return fail(customer.status());
  std::printf("%-36s %s\n", "customer registered", customer->c_str());
  absl::StatusOr<std::string> order = mallbots::RunOrder(
      mall, *customer, {{store->products[0], 2}, {store->products[1], 1}}, timeout,
      [](const mallbots::OrderStep& step) {
        std::printf("%-36s %8.1f ms  %s\n", step.name.c_str(),
                    absl::ToDoubleMilliseconds(step.took), step.detail.c_str());
        std::fflush(stdout);
      },
      play_robot);
  if (!order.ok()) return fail(order.status());
  std::printf("order %s completed and paid in %.1f ms\n", order->c_str(),
              absl::ToDoubleMilliseconds(absl::Now() - start));
  std::printf("its saga:    mallctl saga show %s\n", order->c_str());
  std::printf("its events:  mallctl follow %s\n", order->c_str());
  return 0;
}
