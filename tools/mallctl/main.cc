// mallctl: the operator's command line for a MallBots system. See `mallctl help`.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/mallctl/catalog.h"
#include "tools/mallctl/commands.h"
#include "tools/mallctl/endpoints.h"

namespace {

constexpr char kHelp[] = R"(mallctl: call the MallBots services and watch their streams.

  mallctl call <service> [<Method> ['<request json>']]
      Calls an RPC; request and response in protobuf's JSON mapping. Without a method, lists the
      service's methods. Errors print as CODE: message, with exit code 1.
  mallctl tail [<subject pattern>] [--from-start] [--count N] [--timeout D]
      Follows every stream holding subjects that match the pattern (default mallbots.>), one JSON
      line per message with its envelope and payload decoded. --from-start replays what is stored.
  mallctl admin <service> [<Method> ['<request json>']]
      Calls the service's admin API (adminpb.AdminService on its admin port: GetInfo, GetOutbox,
      ListProcessed, ListDeadOutbox, ResendDeadOutbox, DiscardDeadOutbox), what only its
      database holds. Without a method, lists them.
  mallctl saga list [--status S] [--stuck] | saga show <order-id>
      The CreateOrder sagas cosec coordinates (its admin API): their state, current step and the
      command each waits for, which are stuck (past a step deadline), and one saga's story:
      every command, reply, deadline and retry with its time from the start.
  mallctl pay <order-id>
      Pays the order's invoice (payments PayInvoice): the order then completes.
  mallctl follow <order-id> [--timeout D]
      Every message about the order, from the start of the streams and then as they come: its
      events, the saga's commands and replies, the list's and the invoice's events.
  mallctl rebuild <service> [<read-model>]
      Rebuilds a read model of the service (search orders, the services' caches) from the
      stream that feeds it, while the service keeps serving, showing its progress. Without a
      read model, lists the service's.
  mallctl subscriber [<name> [--env]]
      The subscriber accounts of the stack's topology, or one's connection settings: URL, user,
      password file, inbox prefix and the durables it reads through. --env prints them as
      shell exports (NATS_URL, NATS_USER, NATS_PASSWORD) for eval.
  mallctl subscriber add <name> <durable> <STREAM> <filter>
      Adds a subscriber account (or a durable to one) to the running local stack: the line in
      its topology, the NATS user live, the durable provisioned; then prints the settings.
  mallctl dlq list | show SEQ | replay SEQ...|all | discard SEQ...|all
      The dead-letter stream: list entries, show one, publish entries again on their original
      subject (then remove them), or remove them.

Addresses and credentials come from the local stack's state directory (`make up` writes
stack.env there): $MALLBOTS_HOME, else the nearest .mallbots directory here or above. Flags:
  --state-dir DIR   another state directory
  --addr HOST:PORT  the service's gRPC address (call), or its admin API's (admin)
  --admin-token-file FILE   the services' ADMIN_TOKEN, when they require one (admin)
  --nats-url URL --nats-user USER --nats-password-file FILE   NATS (tail, dlq)
  --timeout D       call deadline (default 10s); for tail, stop after D (e.g. 30s, 2m)
Services: )";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
};

// Flags take `--name value` or `--name=value`; --from-start takes none.
bool Parse(int argc, char** argv, Args& out) {
  static const std::vector<std::string> kValued = {
      "state-dir", "addr",  "nats-url",         "nats-user", "nats-password-file",
      "timeout",   "count", "admin-token-file", "status"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!absl::StartsWith(a, "--") || a.size() == 2) {
      out.positional.push_back(a);
      continue;
    }
    a = a.substr(2);
    std::string value;
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    if (a == "from-start" || a == "help" || a == "stuck" || a == "env") {
      out.flags[a] = "true";
      continue;
    }
    if (std::find(kValued.begin(), kValued.end(), a) == kValued.end()) {
      std::cerr << "unknown flag --" << a << " (mallctl help)\n";
      return false;
    }
    if (eq == std::string::npos) {
      if (i + 1 >= argc) {
        std::cerr << "flag --" << a << " needs a value\n";
        return false;
      }
      value = argv[++i];
    }
    out.flags[a] = value;
  }
  return true;
}

std::string Flag(const Args& a, const std::string& name) {
  auto it = a.flags.find(name);
  return it == a.flags.end() ? "" : it->second;
}

int Help(std::ostream& out, int rc) {
  out << kHelp;
  for (const std::string& s : mallctl::ServiceNames()) out << s << " ";
  out << "\n";
  return rc;
}

// The stack's endpoints with the NATS flags applied; nullopt (after printing why) when neither
// gives a NATS URL.
std::optional<mallctl::Endpoints> NatsEndpoints(const Args& a) {
  mallctl::Endpoints e;
  if (Flag(a, "nats-url").empty()) {
    absl::StatusOr<mallctl::Endpoints> loaded = mallctl::LoadEndpoints(Flag(a, "state-dir"));
    if (!loaded.ok()) {
      std::cerr << loaded.status().message() << "\n";
      return std::nullopt;
    }
    e = *loaded;
  } else {
    e.nats_url = Flag(a, "nats-url");
  }
  if (!Flag(a, "nats-user").empty()) e.nats_user = Flag(a, "nats-user");
  if (const std::string file = Flag(a, "nats-password-file"); !file.empty()) {
    std::ifstream in(file);
    if (!in || !std::getline(in, e.nats_password)) {
      std::cerr << "--nats-password-file: cannot read " << file << "\n";
      return std::nullopt;
    }
  }
  return e;
}

}  // namespace

// The admin API of `service`: --addr, else stack.env's; and the token of --admin-token-file.
// False (after saying why) when either cannot be had.
bool AdminAddress(const Args& a, const std::string& service, std::string& address,
                  std::string& token) {
  address = Flag(a, "addr");
  if (const std::string file = Flag(a, "admin-token-file"); !file.empty()) {
    std::ifstream in(file);
    if (!in || !std::getline(in, token)) {
      std::cerr << "--admin-token-file: cannot read " << file << "\n";
      return false;
    }
  }
  if (!address.empty()) return true;
  absl::StatusOr<mallctl::Endpoints> e = mallctl::LoadEndpoints(Flag(a, "state-dir"));
  if (!e.ok()) {
    std::cerr << e.status().message() << "\n";
    return false;
  }
  auto it = e->admin.find(service);
  if (it == e->admin.end()) {
    std::cerr << "no admin address for " << service << " in stack.env: pass --addr host:port\n";
    return false;
  }
  address = it->second;
  return true;
}

int main(int argc, char** argv) {
  Args a;
  if (!Parse(argc, argv, a)) return mallctl::kExitUsage;
  if (a.positional.empty() || a.flags.count("help") || a.positional[0] == "help") {
    return Help(a.positional.empty() && !a.flags.count("help") ? std::cerr : std::cout,
                a.positional.empty() && !a.flags.count("help") ? mallctl::kExitUsage : 0);
  }
  const std::string command = a.positional[0];
  const std::vector<std::string> rest(a.positional.begin() + 1, a.positional.end());

  absl::Duration timeout = absl::ZeroDuration();
  if (!Flag(a, "timeout").empty() &&
      (!absl::ParseDuration(Flag(a, "timeout"), &timeout) || timeout <= absl::ZeroDuration())) {
    std::cerr << "--timeout: not a positive duration: '" << Flag(a, "timeout")
              << "' (e.g. 5s, 2m)\n";
    return mallctl::kExitUsage;
  }

  if (command == "call") {
    if (rest.empty() || rest.size() > 3) {
      std::cerr << "usage: mallctl call <service> [<Method> ['<request json>']]\n";
      return mallctl::kExitUsage;
    }
    mallctl::CallArgs call{.service = rest[0],
                           .method = rest.size() > 1 ? rest[1] : "",
                           .request_json = rest.size() > 2 ? rest[2] : "",
                           .address = Flag(a, "addr")};
    if (timeout > absl::ZeroDuration()) call.timeout = timeout;
    if (call.address.empty() && !call.method.empty() &&
        mallctl::FindService(call.service) != nullptr) {
      absl::StatusOr<mallctl::Endpoints> e = mallctl::LoadEndpoints(Flag(a, "state-dir"));
      if (!e.ok()) {
        std::cerr << e.status().message() << "\n";
        return mallctl::kExitUsage;
      }
      for (const std::string& name : mallctl::ServiceNames()) {  // stack.env knows short names
        if (mallctl::FindService(name) != mallctl::FindService(call.service)) continue;
        if (auto it = e->grpc.find(name); it != e->grpc.end()) call.address = it->second;
      }
    }
    return mallctl::Call(call);
  }
  if (command == "admin") {
    if (rest.empty() || rest.size() > 3) {
      std::cerr << "usage: mallctl admin <service> [<Method> ['<request json>']]\n";
      return mallctl::kExitUsage;
    }
    mallctl::CallArgs call{.service = rest[0],
                           .method = rest.size() > 1 ? rest[1] : "",
                           .request_json = rest.size() > 2 ? rest[2] : "",
                           .address = Flag(a, "addr"),
                           .admin = true};
    if (timeout > absl::ZeroDuration()) call.timeout = timeout;
    if (const std::string file = Flag(a, "admin-token-file"); !file.empty()) {
      std::ifstream in(file);
      if (!in || !std::getline(in, call.admin_token)) {
        std::cerr << "--admin-token-file: cannot read " << file << "\n";
        return mallctl::kExitUsage;
      }
    }
    if (call.address.empty() && !call.method.empty()) {
      absl::StatusOr<mallctl::Endpoints> e = mallctl::LoadEndpoints(Flag(a, "state-dir"));
      if (!e.ok()) {
        std::cerr << e.status().message() << "\n";
        return mallctl::kExitUsage;
      }
      auto it = e->admin.find(call.service);
      if (it == e->admin.end()) {
        std::cerr << "no admin address for service '" << call.service
                  << "' in stack.env: pass --addr host:port\n";
        return mallctl::kExitUsage;
      }
      call.address = it->second;
    }
    return mallctl::Call(call);
  }
  if (command == "tail") {
    mallctl::TailArgs tail;
    if (rest.size() > 1) {
      std::cerr
          << "usage: mallctl tail [<subject pattern>] [--from-start] [--count N] [--timeout D]\n";
      return mallctl::kExitUsage;
    }
    if (!rest.empty()) tail.pattern = rest[0];
    tail.from_start = a.flags.count("from-start") > 0;
    if (!Flag(a, "count").empty() &&
        (!absl::SimpleAtoi(Flag(a, "count"), &tail.count) || tail.count <= 0)) {
      std::cerr << "--count: not a positive number: '" << Flag(a, "count") << "'\n";
      return mallctl::kExitUsage;
    }
    if (timeout > absl::ZeroDuration()) tail.timeout = timeout;
    std::optional<mallctl::Endpoints> e = NatsEndpoints(a);
    if (!e) return mallctl::kExitUsage;
    return mallctl::Tail(*e, tail);
  }
  if (command == "saga") {
    const bool list = rest.size() == 1 && rest[0] == "list";
    const bool show = rest.size() == 2 && rest[0] == "show";
    if (!list && !show) {
      std::cerr << "usage: mallctl saga list [--status S] [--stuck] | saga show <order-id>\n";
      return mallctl::kExitUsage;
    }
    mallctl::SagaArgs saga{.id = show ? rest[1] : "",
                           .status = Flag(a, "status"),
                           .stuck = a.flags.count("stuck") > 0};
    if (timeout > absl::ZeroDuration()) saga.timeout = timeout;
    if (!AdminAddress(a, "cosec", saga.address, saga.admin_token)) return mallctl::kExitUsage;
    return mallctl::Sagas(saga);
  }
  if (command == "rebuild") {
    if (rest.empty() || rest.size() > 2) {
      std::cerr << "usage: mallctl rebuild <service> [<read-model>]\n";
      return mallctl::kExitUsage;
    }
    mallctl::RebuildArgs rebuild{.read_model = rest.size() == 2 ? rest[1] : ""};
    if (!AdminAddress(a, rest[0], rebuild.address, rebuild.admin_token)) {
      return mallctl::kExitUsage;
    }
    return mallctl::Rebuild(rebuild);
  }
  if (command == "pay") {
    if (rest.size() != 1) {
      std::cerr << "usage: mallctl pay <order-id>\n";
      return mallctl::kExitUsage;
    }
    mallctl::CallArgs call{.service = "payments",
                           .method = "PayInvoice",
                           .request_json = absl::StrCat("{\"id\":\"", rest[0], "\"}"),
                           .address = Flag(a, "addr")};
    if (timeout > absl::ZeroDuration()) call.timeout = timeout;
    if (call.address.empty()) {
      absl::StatusOr<mallctl::Endpoints> e = mallctl::LoadEndpoints(Flag(a, "state-dir"));
      if (!e.ok()) {
        std::cerr << e.status().message() << "\n";
        return mallctl::kExitUsage;
      }
      call.address = e->grpc["payments"];
    }
    return mallctl::Call(call);
  }
  if (command == "follow") {
    if (rest.size() != 1) {
      std::cerr << "usage: mallctl follow <order-id> [--timeout D]\n";
      return mallctl::kExitUsage;
    }
    std::optional<mallctl::Endpoints> e = NatsEndpoints(a);
    if (!e) return mallctl::kExitUsage;
    return mallctl::Follow(*e, rest[0],
                           timeout > absl::ZeroDuration() ? timeout : absl::InfiniteDuration());
  }
  if (command == "subscriber") {
    const bool add = !rest.empty() && rest[0] == "add";
    if ((add && rest.size() != 5) || (!add && rest.size() > 1)) {
      std::cerr << "usage: mallctl subscriber [<name>] | subscriber add <name> <durable> "
                   "<STREAM> <filter>\n";
      return mallctl::kExitUsage;
    }
    absl::StatusOr<mallctl::Endpoints> e = mallctl::LoadEndpoints(Flag(a, "state-dir"));
    if (!e.ok()) {
      std::cerr << e.status().message() << "\n";
      return mallctl::kExitUsage;
    }
    if (add) return mallctl::AddSubscriber(*e, {rest.begin() + 1, rest.end()});
    const bool env = !Flag(a, "env").empty();
    if (env && rest.empty()) {
      std::cerr << "usage: mallctl subscriber <name> --env\n";
      return mallctl::kExitUsage;
    }
    return mallctl::Subscribers(*e, rest.empty() ? "" : rest[0], env);
  }
  if (command == "dlq") {
    std::optional<mallctl::Endpoints> e = NatsEndpoints(a);
    if (!e) return mallctl::kExitUsage;
    return mallctl::DeadLetters(*e, rest);
  }
  std::cerr << "unknown command '" << command << "'\n";
  return Help(std::cerr, mallctl::kExitUsage);
}
