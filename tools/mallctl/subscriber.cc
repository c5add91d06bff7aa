// File: subscriber.cc
// mallctl subscriber: what a subscriber account needs to connect, from the topology and the
// local stack's state directory; and adding one to the running local stack.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "tools/mallctl/commands.h"

namespace mallctl {

namespace {

// A word for the shell, in single quotes.
std::string ShellQuoted(const std::string& word) {
  std::string out = "'";
  for (char ch : word) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

}  // namespace

int Subscribers(const Endpoints& e, const std::string& name, bool env) {
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
  if (env) {
    std::ifstream in(password);
    std::string secret;
    if (!std::getline(in, secret)) {
      std::cerr << "no password at " << password.string() << ": `make up` makes it\n";
      return kExitFailed;
    }
    std::cout << "export NATS_URL=" << ShellQuoted(e.nats_url) << "\n"
              << "export NATS_USER=" << ShellQuoted(name) << "\n"
              << "export NATS_PASSWORD=" << ShellQuoted(secret) << "\n";
    return 0;
  }
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

namespace {

// Runs `bash <script> <command>` on the stack of `e` (its state directory, source topology and
// NATS port, as stack.env gives them); true when it succeeds (its output goes to ours).
bool RunStack(const Endpoints& e, const std::string& command) {
  std::cout.flush();
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::setenv("MALLBOTS_HOME", e.stack_home.c_str(), 1);
    ::setenv("MALLBOTS_TOPOLOGY", e.source_topology.c_str(), 1);
    ::setenv("MALLBOTS_NATS_PORT", e.nats_port.c_str(), 1);
    ::execlp("bash", "bash", e.stack_script.c_str(), command.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int AddSubscriber(const Endpoints& e, const std::vector<std::string>& args) {
  if (e.topology.empty() || e.stack_script.empty() || e.stack_home.empty() ||
      e.source_topology.empty() || e.nats_port.empty()) {
    std::cerr << "the stack's state (stack.env in " << e.state_dir
              << ") does not say how to apply an account: run `make up` (again) first\n";
    return kExitFailed;
  }
  const std::string& name = args[0];
  const std::string line = absl::StrCat("subscriber  ", absl::StrJoin(args, "  "), "\n");
  // The topology the stack runs on, with the line, must load: a plain name, a stream of a
  // service, a filter inside it, a durable not yet taken.
  std::ifstream in(e.topology);
  std::stringstream text;
  text << in.rdbuf();
  std::string candidate_text = text.str();
  if (!candidate_text.empty() && candidate_text.back() != '\n') candidate_text += "\n";
  const std::string candidate = e.topology + ".candidate";
  {
    std::ofstream out(candidate);
    out << candidate_text << line;
    if (!out.flush()) {
      std::cerr << "cannot write " << candidate << "\n";
      return kExitFailed;
    }
  }
  absl::StatusOr<eda::messaging::Topology> topology = eda::messaging::Topology::Load(candidate);
  std::filesystem::remove(candidate);
  if (!topology.ok()) {
    std::cerr << "not added: " << topology.status().message() << "\n";
    return kExitFailed;
  }
  // This stack's own accounts (the checkout's topology is left as it is).
  const std::string local = (std::filesystem::path(e.stack_home) / "subscribers.conf").string();
  {
    std::ofstream out(local, std::ios::app);
    out << line;
    if (!out.flush()) {
      std::cerr << "cannot write " << local << "\n";
      return kExitFailed;
    }
  }
  std::cout << "added to " << local << ": " << line;
  if (!RunStack(e, "nats-reload")) {
    std::cerr << "the running nats-server did not take the account (see above); the line stays "
                 "in "
              << local << " and `make up` applies it\n";
    return kExitFailed;
  }
  // The durable now, as the admin: the stream's owner provisions it too, at its next start.
  const eda::messaging::ConsumerSpec* spec = nullptr;
  for (const auto& sub : topology->subscribers) {
    if (sub.name == name && sub.spec.durable == args[1]) spec = &sub.spec;
  }
  auto conn = eda::messaging::Connection::Connect(
      {.url = e.nats_url, .user = e.nats_user, .password = e.nats_password, .name = "mallctl"});
  absl::Status provisioned =
      conn.ok() ? eda::messaging::EnsureConsumer((*conn)->js(), *spec) : conn.status();
  if (absl::IsNotFound(provisioned)) {
    std::cout << "durable " << spec->durable << " not provisioned yet (" << provisioned.message()
              << "): the owner of " << spec->stream << " provisions it when it starts\n";
  } else if (!provisioned.ok()) {
    std::cerr << "durable " << spec->durable << " not provisioned: " << provisioned.message()
              << "\n";
    return kExitFailed;
  } else {
    std::cout << "durable " << spec->durable << " provisioned on " << spec->stream << "\n";
  }
  std::cout << "\n";
  return Subscribers(e, name);
}

}  // namespace mallctl
