#include "libs/pg/listener.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"

namespace eda::pg {

absl::StatusOr<std::unique_ptr<Listener>> Listener::Create(std::string dsn,
                                                           std::vector<std::string> channels) {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("eventfd: errno ", errno));
  std::unique_ptr<Listener> listener(new Listener(std::move(dsn), std::move(channels), fd));
  EDA_RETURN_IF_ERROR(listener->Connect());
  return listener;
}

Listener::Listener(std::string dsn, std::vector<std::string> channels, int wake_fd)
    : dsn_(std::move(dsn)), channels_(std::move(channels)), wake_fd_(wake_fd) {}

Listener::~Listener() { close(wake_fd_); }

absl::Status Listener::Connect() {
  conn_.reset();
  EDA_ASSIGN_OR_RETURN(Connection conn, Connection::Open(dsn_));
  for (const std::string& channel : channels_) {
    char* quoted = PQescapeIdentifier(conn.raw(), channel.data(), channel.size());
    if (quoted == nullptr) return absl::InvalidArgumentError("bad LISTEN channel " + channel);
    std::string sql = absl::StrCat("LISTEN ", quoted);
    PQfreemem(quoted);
    EDA_RETURN_IF_ERROR(conn.Exec(sql).status());
  }
  conn_.emplace(std::move(conn));
  return absl::OkStatus();
}

std::vector<Notification> Listener::Drain() {
  std::vector<Notification> out;
  while (PGnotify* n = PQnotifies(conn_->raw())) {
    out.push_back(Notification{n->relname, n->extra, n->be_pid});
    PQfreemem(n);
  }
  return out;
}

absl::StatusOr<std::vector<Notification>> Listener::Wait(absl::Duration timeout) {
  if (!conn_.has_value() || !conn_->Connected()) {
    EDA_RETURN_IF_ERROR(Annotate(Connect(), "listener reconnect"));
  }
  std::vector<Notification> out = Drain();
  if (!out.empty()) return out;

  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    pollfd fds[2] = {{PQsocket(conn_->raw()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int64_t ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
    const int ready = poll(fds, 2, static_cast<int>(ms));
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: errno ", errno));
    }
    if (fds[1].revents & POLLIN) {
      uint64_t counter;
      (void)!read(wake_fd_, &counter, sizeof(counter));
      return Drain();
    }
    if (fds[0].revents != 0) {
      // Input may be a notification, a notice, or the server closing the link.
      if (PQconsumeInput(conn_->raw()) == 0 || !conn_->Connected()) {
        std::string why(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_->raw())));
        conn_.reset();
        return absl::UnavailableError(absl::StrCat("listener: connection lost: ", why));
      }
      out = Drain();
      if (!out.empty()) return out;
    }
    if (absl::Now() >= deadline) return out;
  }
}

void Listener::Interrupt() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

}  // namespace eda::pg
