// bots: the robots of the mall. Each bot claims the oldest available shopping list from depot
// (ClaimShoppingList, which assigns it), spends BOT_STOP_TIME at each of its stops, and completes
// it (CompleteShoppingList): depot then publishes ShoppingListCompleted and the order is readied.
// Several bots run at once, each on its own thread, until SIGTERM/SIGINT.
//
//   bots --depot=127.0.0.1:59105 --bots=3 --bot-stop-time=1s --bot-poll=250ms
//
// Settings (flags or environment): DEPOT (host:port of depot's gRPC API, required), BOTS (how
// many, default 3), BOT_STOP_TIME (per stop, default 1s), BOT_POLL (the pause when no list is
// available, default 250ms), BOT_NAME (their id prefix, default "bot"), LOG_LEVEL, LOG_FORMAT.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/config.h"
#include "libs/common/shutdown.h"
#include "libs/observability/logging.h"
#include "libs/service/peers.h"
#include "proto/depot/depot_service.grpc.pb.h"

namespace {

using depotpb::DepotService;

struct Settings {
  std::string depot;
  int bots = 3;
  absl::Duration stop_time = absl::Seconds(1);
  absl::Duration poll = absl::Milliseconds(250);
  std::string name = "bot";
};

grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext&)>& rpc) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return rpc(ctx);
}

// One bot: claim, shop, complete, until shutdown. A list it claimed but could not complete (depot
// unreachable) is completed again once depot answers: it is the bot's until then.
void Run(const Settings& settings, DepotService::Stub& depot, const std::string& bot) {
  eda::ShutdownSignal& shutdown = eda::ShutdownSignal::Install();
  while (!shutdown.requested()) {
    depotpb::ClaimShoppingListRequest claim;
    claim.set_bot_id(bot);
    depotpb::ClaimShoppingListResponse claimed;
    grpc::Status s = Call(
        [&](grpc::ClientContext& ctx) { return depot.ClaimShoppingList(&ctx, claim, &claimed); });
    if (!s.ok()) {
      if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
        LOG_WARN() << "claim failed" << eda::KV("bot", bot) << eda::KV("code", s.error_code())
                   << eda::KV("error", s.error_message());
      }
      shutdown.WaitFor(settings.poll);
      continue;
    }
    const depotpb::ShoppingList& list = claimed.shopping_list();
    LOG_INFO() << "shopping" << eda::KV("bot", bot) << eda::KV("list", list.id())
               << eda::KV("order_id", list.order_id()) << eda::KV("stops", list.stops_size());
    // At each stop, the time it takes; a shutdown meanwhile still completes the list.
    absl::SleepFor(settings.stop_time * list.stops_size());
    depotpb::CompleteShoppingListRequest complete;
    complete.set_id(list.id());
    depotpb::CompleteShoppingListResponse completed;
    // Depot unreachable: tried again until a shutdown (the list stays the bot's, assigned).
    while (true) {
      s = Call([&](grpc::ClientContext& ctx) {
        return depot.CompleteShoppingList(&ctx, complete, &completed);
      });
      const auto code = s.error_code();
      if (s.ok() ||
          (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::DEADLINE_EXCEEDED) ||
          shutdown.WaitFor(settings.poll)) {
        break;
      }
    }
    if (s.ok()) {
      LOG_INFO() << "delivered" << eda::KV("bot", bot) << eda::KV("list", list.id())
                 << eda::KV("order_id", list.order_id());
    } else {  // e.g. canceled while the bot shopped
      LOG_WARN() << "list not completed" << eda::KV("bot", bot) << eda::KV("list", list.id())
                 << eda::KV("error", s.error_message());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  eda::ShutdownSignal::Install();
  eda::Config config(argc, argv);
  Settings settings;
  settings.depot = config.RequiredString("DEPOT");
  settings.bots = static_cast<int>(config.Int("BOTS", settings.bots, 0, 1000));
  settings.stop_time = config.Duration("BOT_STOP_TIME", settings.stop_time);
  settings.poll = config.Duration("BOT_POLL", settings.poll);
  settings.name = config.String("BOT_NAME", settings.name);
  const std::string level = config.String("LOG_LEVEL", "INFO");
  const std::string format = config.String("LOG_FORMAT", "json");
  if (!eda::log::ParseLevel(level).has_value()) config.Invalid("LOG_LEVEL", "unknown level");
  if (absl::Status s = config.Check(); !s.ok()) {
    std::fprintf(stderr, "bots: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  eda::log::Init(
      {.service = "bots", .level = *eda::log::ParseLevel(level), .json = format == "json"});
  // A peer's channel: tried again at most a second apart when depot is unreachable.
  auto depot = DepotService::NewStub(
      eda::service::Peer("depot", settings.depot, absl::Seconds(5)).channel());
  LOG_INFO() << "bots started" << eda::KV("bots", settings.bots) << eda::KV("depot", settings.depot)
             << eda::KV("stop_time", absl::FormatDuration(settings.stop_time));
  std::vector<std::thread> bots;
  for (int i = 1; i <= settings.bots; ++i) {
    bots.emplace_back(Run, std::cref(settings), std::ref(*depot),
                      absl::StrCat(settings.name, "-", i));
  }
  for (std::thread& t : bots) t.join();
  LOG_INFO() << "bots stopped" << eda::KV("reason", eda::ShutdownSignal::Install().reason());
  return 0;
}
