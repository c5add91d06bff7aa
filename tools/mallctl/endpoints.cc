#include "tools/mallctl/endpoints.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace mallctl {
namespace {

namespace fs = std::filesystem;

std::string FindStateDir() {
  if (const char* home = std::getenv("MALLBOTS_HOME"); home != nullptr && *home != '\0')
    return home;
  std::error_code ec;
  for (fs::path dir = fs::current_path(ec); !ec && !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / ".mallbots" / "stack.env", ec)) return (dir / ".mallbots").string();
    if (dir == dir.root_path()) break;
  }
  return "";
}

}  // namespace

absl::StatusOr<Endpoints> LoadEndpoints(const std::string& state_dir) {
  const std::string dir = state_dir.empty() ? FindStateDir() : state_dir;
  if (dir.empty()) {
    return absl::NotFoundError(
        "no local stack found: neither $MALLBOTS_HOME nor a .mallbots directory here or above "
        "(run `make up`, or pass --addr / --nats-url)");
  }
  const std::string file = absl::StrCat(dir, "/stack.env");
  struct stat st;
  if (stat(file.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot read ", file, " (run `make up`)"));
  }
  // It names the servers mallctl sends the admin password to: only a file of ours will do.
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("refusing ", file, ": it is not owned by this user or others may write it"));
  }
  std::ifstream in(file);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", file, " (run `make up`)"));
  Endpoints e;
  e.state_dir = dir;
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    absl::string_view svc = key;
    if (absl::ConsumePrefix(&svc, "MALLBOTS_GRPC_")) {
      e.grpc[absl::AsciiStrToLower(svc)] = value;
    } else if (absl::ConsumePrefix(&svc, "MALLBOTS_ADMIN_")) {
      e.admin[absl::AsciiStrToLower(svc)] = value;
    } else if (key == "MALLBOTS_STACK_TOPOLOGY") {
      e.topology = value;
    } else if (key == "MALLBOTS_STACK") {
      e.stack_script = value;
    } else if (key == "MALLBOTS_STACK_HOME") {
      e.stack_home = value;
    } else if (key == "MALLBOTS_SOURCE_TOPOLOGY") {
      e.source_topology = value;
    } else if (key == "MALLBOTS_NATS_PORT") {
      e.nats_port = value;
    } else if (key == "MALLBOTS_NATS_URL") {
      e.nats_url = value;
    } else if (key == "MALLBOTS_NATS_ADMIN_USER") {
      e.nats_user = value;
    } else if (key == "MALLBOTS_NATS_ADMIN_PASSWORD") {
      e.nats_password = value;
    }
  }
  if (e.nats_user.empty() && !e.nats_password.empty()) e.nats_user = "admin";
  return e;
}

}  // namespace mallctl
