// File: listener.h
// LISTEN/NOTIFY: a dedicated connection that listens on channels and waits for notifications.
//
//   auto listener = pg::Listener::Create(dsn, {"outbox"});
//   for (;;) {
//     auto got = (*listener)->Wait(absl::Seconds(1));   // returns at once when notified
//     ... scan the table; after an error, scan anyway: notifications may have been missed
//   }
//
// Wait() is called from one thread; Interrupt() may be called from any thread to wake it.
// After the link breaks, Wait() reports Unavailable once and reconnects on a later call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/pg/connection.h"

namespace eda::pg {

struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;
};

class Listener final {
 public:
  // Connects and LISTENs. Errors: Unavailable (cannot connect).
  static absl::StatusOr<std::unique_ptr<Listener>> Create(std::string dsn,
                                                          std::vector<std::string> channels);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Returns the notifications received, waiting up to `timeout` for the first one. An empty
  // vector means the timeout passed or Interrupt() was called. Errors: Unavailable when the link
  // is down (the next call tries to reconnect and re-LISTEN).
  absl::StatusOr<std::vector<Notification>> Wait(absl::Duration timeout);

  // Wakes a Wait() in progress (or makes the next one return at once). Thread-safe.
  void Interrupt();

 private:
  Listener(std::string dsn, std::vector<std::string> channels, int wake_fd);
  absl::Status Connect();
  std::vector<Notification> Drain();

  const std::string dsn_;
  const std::vector<std::string> channels_;
  const int wake_fd_;  // eventfd written by Interrupt()
  std::optional<Connection> conn_;
};

}  // namespace eda::pg
