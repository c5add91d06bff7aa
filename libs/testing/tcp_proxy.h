// File: tcp_proxy.h
// A TCP proxy for fault tests: clients connect to its port on 127.0.0.1 and are forwarded to a
// target. BlackHole(true) cuts them off the way a network partition does: connections stay open
// and nothing arrives either way (the bytes are read and dropped), so neither side notices
// until its own timeouts do.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace eda::testing {

class TcpProxy final {
 public:
  // Errors: Internal when no listening socket can be made.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void BlackHole(bool on) { black_hole_ = on; }

 private:
  TcpProxy() = default;
  void Loop();

  int listener_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  std::atomic<bool> black_hole_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace eda::testing
