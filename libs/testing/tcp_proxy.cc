#include "libs/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"

namespace eda::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  std::unique_ptr<TcpProxy> proxy(new TcpProxy());
  proxy->target_port_ = target_port;
  proxy->listener_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (proxy->listener_ < 0 ||
      bind(proxy->listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(proxy->listener_, 64) != 0 ||
      getsockname(proxy->listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError(absl::StrCat("tcp proxy: cannot listen: ", strerror(errno)));
  }
  proxy->port_ = ntohs(addr.sin_port);
  proxy->thread_ = std::thread([raw = proxy.get()] { raw->Loop(); });
  return proxy;
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listener_ >= 0) close(listener_);
}

void TcpProxy::Loop() {
  std::map<int, int> peer;  // each forwarded socket -> the other end
  auto drop = [&](int fd) {
    auto it = peer.find(fd);
    if (it == peer.end()) return;
    const int other = it->second;
    close(fd);
    close(other);
    peer.erase(fd);
    peer.erase(other);
  };
  char buf[64 * 1024];
  while (!stop_) {
    std::vector<pollfd> fds = {{listener_, POLLIN, 0}};
    for (const auto& [fd, other] : peer) fds.push_back({fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int client = accept(listener_, nullptr, nullptr);
      const int upstream = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in target = Loopback(target_port_);
      if (client >= 0 && upstream >= 0 &&
          connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof(target)) == 0) {
        peer[client] = upstream;
        peer[upstream] = client;
      } else {
        if (client >= 0) close(client);
        if (upstream >= 0) close(upstream);
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0 || peer.count(fds[i].fd) == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        drop(fds[i].fd);
        continue;
      }
      if (black_hole_) continue;  // read and dropped: the partition
      const int to = peer[fds[i].fd];
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = write(to, buf + done, static_cast<size_t>(n - done));
        if (w <= 0) break;
        done += w;
      }
    }
  }
  for (const auto& [fd, other] : peer) close(fd);
}

}  // namespace eda::testing
