// File: subscriber.cc
// mallctl subscriber: what a subscriber account needs to connect, from the topology and the
// local stack's state directory.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <set>

#include "libs/messaging/streams.h"
#include "tools/mallctl/commands.h"

namespace mallctl {

int Subscribers(const Endpoints& e, const std::string& name) {
  const std::string path = e.topology.empty() ? "deploy/topology.conf" : e.topology;
  absl::StatusOr<eda::messaging::Topology> topology = eda::messaging::Topology::Load(path);
  if (!topology.ok()) {
    std::cerr << topology.status().message() << "\n";
    return kExitFailed;
  }
  std::set<std::string> names;
  for (const auto& sub : topology->subscribers) names.insert(sub.name);
  if (name.empty()) {
    if (names.empty()) std::cout << "no subscriber accounts in " << path << "\n";
    for (const std::string& n : names) std::cout << n << "\n";
    return 0;
  }
  if (!names.count(name)) {
    std::cerr << "no subscriber account '" << name << "' in " << path << " (";
    if (names.empty()) std::cerr << "it has none";
    for (auto it = names.begin(); it != names.end(); ++it) {
      std::cerr << (it == names.begin() ? "it has " : ", ") << *it;
    }
    std::cerr << "); add a line `subscriber " << name << " <durable> <STREAM> <filter>`\n";
    return kExitFailed;
  }
  const std::filesystem::path password =
      std::filesystem::path(e.state_dir) / "secrets" / ("nats-" + name + ".pass");
  std::cout << "subscriber " << name << "\n"
            << "  url       " << e.nats_url << "\n"
            << "  user      " << name << "\n"
            << "  password  " << password.string()
            << (std::filesystem::exists(password) ? "" : " (not there: restart the stack's NATS)")
            << "\n"
            << "  inbox     _INBOX_" << name << "\n";
  bool first = true;
  for (const auto& sub : topology->subscribers) {
    if (sub.name != name) continue;
    std::cout << (first ? "  durables  " : "            ") << std::left << std::setw(10)
              << sub.spec.stream << " " << std::setw(24) << sub.spec.durable << " "
              << sub.spec.filter_subject << "\n";
    first = false;
  }
  return 0;
}

}  // namespace mallctl
