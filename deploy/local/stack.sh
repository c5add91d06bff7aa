#!/usr/bin/env bash
# The local stack: a private PostgreSQL 15 cluster and nats-server with JetStream, both under one
# state directory, plus the service binaries once they exist.
#
#   stack.sh up | down | status | logs | demo | nats-reload
#
# Environment: MALLBOTS_HOME (state directory, default <checkout>/.mallbots), MALLBOTS_PG_PORT
# (default 55432), MALLBOTS_NATS_PORT (default 54222), MALLBOTS_BIN_DIR (service binaries,
# default <checkout>/build/debug), WIPE=1 with `down` deletes the state directory; BOTS (how many
# robots shop, default 3, 0 for none) and BOT_STOP_TIME (their time at each stop, default 500ms);
# DEMO=0 skips the demo order that `up` ends with (`demo` runs it again: one order from a new
# store to a completed, paid order, each step with its time; without robots it plays one);
# MALLBOTS_TOPOLOGY (default <checkout>/deploy/topology.conf) the messaging topology.
#
# The stack runs on <state directory>/topology.conf: that topology followed by the subscriber
# accounts added to this stack alone (<state directory>/subscribers.conf, which `mallctl
# subscriber add` appends to), written again by `up` and `nats-reload`. `nats-reload` (and `up`
# while nats-server runs) applies its accounts to the running nats-server.
#
# As root, PostgreSQL runs as the postgres user, which must be able to enter its directory. When
# it cannot enter the default state directory (a checkout under /root, say), PostgreSQL's
# directory goes to /var/lib/mallbots/<checkout>-<hash of the checkout's path> instead, and
# <state directory>/pg links to it; everything else stays in the state directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOME_DIR=${MALLBOTS_HOME:-$ROOT/.mallbots}
case $HOME_DIR in /*) ;; *) HOME_DIR=$PWD/$HOME_DIR ;; esac  # the postgres user runs from /
PG_PORT=${MALLBOTS_PG_PORT:-55432}
NATS_PORT=${MALLBOTS_NATS_PORT:-54222}
BIN_DIR=${MALLBOTS_BIN_DIR:-$ROOT/build/debug}
SOURCE_TOPOLOGY=${MALLBOTS_TOPOLOGY:-$ROOT/deploy/topology.conf}
case $SOURCE_TOPOLOGY in /*) ;; *) SOURCE_TOPOLOGY=$PWD/$SOURCE_TOPOLOGY ;; esac
TOPOLOGY=$HOME_DIR/topology.conf  # what the stack runs on (compose_topology)
LOCAL_SUBSCRIBERS=$HOME_DIR/subscribers.conf
export MALLBOTS_STACK_TOPOLOGY=$TOPOLOGY  # the services' (service-env.sh)
PG_BIN=${MALLBOTS_PG_BIN:-/usr/lib/postgresql/15/bin}
SERVICES=(stores customers baskets ordering payments depot notifications search cosec)

PG_STATE_ROOT=/var/lib/mallbots
SECRETS=$HOME_DIR/secrets
LOGS=$HOME_DIR/logs
RUN=$HOME_DIR/run

set_pg_dir() {  # set_pg_dir DIR: PostgreSQL's data, socket and (unless in $LOGS) log go there
  PG_DIR=$1 PGDATA=$1/data PGSOCK=$1/run PG_LOG=$LOGS/postgres.log
  [ "$PG_DIR" = "$HOME_DIR/pg" ] || PG_LOG=$PG_DIR/postgres.log
}
# $HOME_DIR/pg is PostgreSQL's directory, or a link to the one `up` made under $PG_STATE_ROOT.
if [ -L "$HOME_DIR/pg" ]; then set_pg_dir "$(readlink "$HOME_DIR/pg")"; else set_pg_dir "$HOME_DIR/pg"; fi

log() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user, from a directory
# it can enter (they complain about one they cannot).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
pg_can_enter() { (cd / && runuser -u postgres -- test -x "$1"); }

secret() {  # secret FILE -> password, created on first use
  local f="$SECRETS/$1"
  if [ ! -s "$f" ]; then
    (umask 077; head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 >"$f")
  fi
  cat "$f"
}

# alive PID [PATTERN]: the process runs (a zombie does not count) and, when PATTERN is given, its
# command line contains it, so a stale PID file whose number was reused by an unrelated process
# is never taken for ours (nor signalled by `down`).
alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] || return 1
  [ -z "${2:-}" ] || tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}
pg_pid() { [ -f "$PGDATA/postmaster.pid" ] && head -1 "$PGDATA/postmaster.pid" || true; }
pidfile_pid() { [ -f "$1" ] && cat "$1" || true; }
psql_admin() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PG_PORT" -U postgres "$@"
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not become ready within ${secs}s (see $LOGS)"
    sleep 0.1
  done
}

# PostgreSQL's directory for this checkout under $PG_STATE_ROOT, linked from $HOME_DIR/pg. Only
# for the default state directory and before it holds a cluster (an old one is never left behind).
relocate_pg() {
  local key name
  key=$(cd "$ROOT" && pwd -P)
  name=$(printf '%s\n' "${key##*/}" | cut -c1-40 | tr -c 'A-Za-z0-9._\n-' _)
  name=$name-$(printf %s "$key" | sha256sum | cut -c1-12)
  rm -rf "$HOME_DIR/pg"  # what a failed earlier `up` left: no cluster in it
  set_pg_dir "$PG_STATE_ROOT/$name"
  mkdir -p "$PG_DIR"
  chmod 755 "$PG_STATE_ROOT"; chmod 700 "$PG_DIR"
  ln -s "$PG_DIR" "$HOME_DIR/pg"
  log "the postgres user cannot enter $HOME_DIR: PostgreSQL's data goes to $PG_DIR instead"
}

prepare_dirs() {
  mkdir -p "$HOME_DIR" "$SECRETS" "$LOGS" "$RUN" "$HOME_DIR/nats"
  chmod 700 "$SECRETS"
  if [ "$(id -u)" -eq 0 ] && [ -z "${MALLBOTS_HOME:-}" ] && [ ! -L "$HOME_DIR/pg" ] &&
     [ ! -e "$PGDATA/PG_VERSION" ] && ! pg_can_enter "$HOME_DIR"; then
    relocate_pg
  fi
  mkdir -p "$PG_DIR" "$PGSOCK"
  # `make logs` shows PostgreSQL's log wherever it is.
  [ "$PG_LOG" = "$LOGS/postgres.log" ] || ln -sfn "$PG_LOG" "$LOGS/postgres.log"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_DIR" "$PGSOCK"
    touch "$PG_LOG"; chown postgres:postgres "$PG_LOG"
    pg_can_enter "$PG_DIR" ||
      die "the postgres user cannot reach $PG_DIR (as root, PostgreSQL runs as postgres);" \
        "set MALLBOTS_HOME to a directory it can enter${MALLBOTS_HOME:+, or unset it to use the default}"
  fi
}

pg_up() {
  if alive "$(pg_pid)" "$PGDATA"; then log "postgres already running (pid $(pg_pid))"; return; fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "initdb $PGDATA"
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$LOGS/initdb.log" 2>&1 ||
      die "initdb failed (see $LOGS/initdb.log)"
  fi
  log "starting postgres on 127.0.0.1:$PG_PORT"
  # The superuser logs in through the socket without a password, so only we may reach it.
  chmod 700 "$PGSOCK"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PGSOCK -c unix_socket_permissions=0700" >/dev/null ||
    die "postgres did not start (see $PG_LOG)"
  wait_for 30 postgres "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
}

pg_provision() {  # one role and one database per service, each role reaching only its own
  for svc in "${SERVICES[@]}"; do
    local pw; pw=$(secret "pg-$svc.pass")
    # The password goes in on stdin, not on a command line that `ps` would show.
    psql_admin -d postgres -v svc="$svc" -v db="mallbots_$svc" <<SQL
\\set pw '$pw'
SELECT format('CREATE ROLE %I LOGIN', :'svc')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'svc') \gexec
ALTER ROLE :"svc" WITH LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'svc')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"svc";
SQL
  done
  # The template and maintenance databases must not be reachable by the service roles either.
  psql_admin -d postgres -c "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC" \
    -c "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC"
}

compose_topology() {  # the topology followed by this stack's own subscriber accounts
  {
    cat "$SOURCE_TOPOLOGY"
    if [ -s "$LOCAL_SUBSCRIBERS" ]; then
      printf '\n# Added to this stack alone by mallctl subscriber add (%s):\n' "$LOCAL_SUBSCRIBERS"
      cat "$LOCAL_SUBSCRIBERS"
    fi
  } >"$TOPOLOGY.new"
  mv "$TOPOLOGY.new" "$TOPOLOGY"
}

nats_conf() {  # nats_conf FILE: the server's configuration from the topology (users, permissions)
  (umask 077; bash "$ROOT/deploy/local/gen-nats-conf.sh" --topology "$TOPOLOGY" \
    --secrets "$SECRETS" --port "$NATS_PORT" --store "$HOME_DIR/nats" >"$1")
}

# The configuration written again from the topology; a running server reloads it (SIGHUP) when
# it changed, and keeps its connections and streams. A configuration the server refuses is taken
# back (the server goes on with the one it has).
nats_reload() {
  local pid; pid=$(pidfile_pid "$RUN/nats-server.pid")
  alive "$pid" "$HOME_DIR/nats.conf" || die "nats-server is not running: make up"
  compose_topology
  nats_conf "$HOME_DIR/nats.conf.new"
  if cmp -s "$HOME_DIR/nats.conf.new" "$HOME_DIR/nats.conf"; then
    rm -f "$HOME_DIR/nats.conf.new"
    return
  fi
  count() { grep -c "$1" "$LOGS/nats-server.log" 2>/dev/null || true; }
  local reloads failures
  reloads=$(count "Reloaded server configuration")
  failures=$(count "Failed to reload server configuration")
  cp -p "$HOME_DIR/nats.conf" "$HOME_DIR/nats.conf.old"
  mv "$HOME_DIR/nats.conf.new" "$HOME_DIR/nats.conf"
  kill -HUP "$pid"
  local deadline=$((SECONDS + 10))
  until [ "$(count "Reloaded server configuration")" -gt "${reloads:-0}" ]; do
    if [ "$(count "Failed to reload server configuration")" -gt "${failures:-0}" ] ||
      [ $SECONDS -ge $deadline ]; then
      mv "$HOME_DIR/nats.conf.old" "$HOME_DIR/nats.conf"
      die "nats-server did not take the new configuration: $(grep "reload" "$LOGS/nats-server.log" | tail -n 1)"
    fi
    sleep 0.1
  done
  rm -f "$HOME_DIR/nats.conf.old"
  log "nats-server reloaded its configuration (the topology's accounts)"
}

nats_up() {
  local pid; pid=$(pidfile_pid "$RUN/nats-server.pid")
  if alive "$pid" "$HOME_DIR/nats.conf"; then
    log "nats-server already running (pid $pid)"
    nats_reload
    return
  fi
  compose_topology
  nats_conf "$HOME_DIR/nats.conf"
  log "starting nats-server on 127.0.0.1:$NATS_PORT"
  nohup nats-server -c "$HOME_DIR/nats.conf" >>"$LOGS/nats-server.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$RUN/nats-server.pid"
  # Ours must be the one answering: if the port was taken, our server exits (reported at once).
  local deadline=$((SECONDS + 30))
  until bash -c "exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT && head -c 4 <&3 | grep -q INFO" 2>/dev/null; do
    alive "$pid" || die "nats-server exited: $(tail -n 3 "$LOGS/nats-server.log")"
    [ $SECONDS -lt $deadline ] || die "nats-server did not become ready within 30s (see $LOGS)"
    sleep 0.1
  done
  alive "$pid" || die "nats-server exited: $(tail -n 3 "$LOGS/nats-server.log")"
}

write_env() {  # connection settings for tools (mallctl, tests against the stack), one KEY=VALUE a line;
  # MALLBOTS_GRPC_<SERVICE> / MALLBOTS_ADMIN_<SERVICE>: where each service's API and admin API
  # listen once it runs
  umask 077
  {
    echo "MALLBOTS_PG_HOST=127.0.0.1"
    echo "MALLBOTS_PG_PORT=$PG_PORT"
    echo "MALLBOTS_NATS_URL=nats://127.0.0.1:$NATS_PORT"
    echo "MALLBOTS_NATS_ADMIN_USER=admin"
    echo "MALLBOTS_NATS_ADMIN_PASSWORD=$(cat "$SECRETS/nats-admin.pass")"
    # What `mallctl subscriber add` needs to apply an account to this stack (stack.sh nats-reload).
    echo "MALLBOTS_STACK=$ROOT/deploy/local/stack.sh"
    echo "MALLBOTS_STACK_HOME=$HOME_DIR"
    echo "MALLBOTS_STACK_TOPOLOGY=$TOPOLOGY"
    echo "MALLBOTS_SOURCE_TOPOLOGY=$SOURCE_TOPOLOGY"
    echo "MALLBOTS_NATS_PORT=$NATS_PORT"
    for svc in "${SERVICES[@]}"; do
      (. "$ROOT/deploy/local/service-env.sh" "$svc"
       echo "MALLBOTS_GRPC_${svc^^}=127.0.0.1:$GRPC_PORT"
       echo "MALLBOTS_ADMIN_${svc^^}=127.0.0.1:$ADMIN_PORT")
    done
  } >"$HOME_DIR/stack.env"
  chmod 600 "$HOME_DIR/stack.env"
}

services_up() {
  local started=0
  for svc in "${SERVICES[@]}"; do
    local bin="$BIN_DIR/services/$svc/$svc"
    [ -x "$bin" ] || continue
    local pid; pid=$(pidfile_pid "$RUN/$svc.pid")
    if alive "$pid" "$bin"; then log "$svc already running (pid $pid)"; continue; fi
    # shellcheck disable=SC1090
    . "$ROOT/deploy/local/service-env.sh" "$svc"
    nohup "$bin" >>"$LOGS/$svc.log" 2>&1 </dev/null &
    echo $! >"$RUN/$svc.pid"
    started=1
  done
  [ $started -eq 1 ] || return 0
  for svc in "${SERVICES[@]}"; do
    [ -x "$BIN_DIR/services/$svc/$svc" ] && [ -f "$RUN/$svc.pid" ] || continue
    . "$ROOT/deploy/local/service-env.sh" "$svc"
    local deadline=$((SECONDS + 60)) pid; pid=$(pidfile_pid "$RUN/$svc.pid")
    until curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1; do
      # A service that exited is reported with the end of its log, not waited for.
      alive "$pid" "/services/$svc/$svc" ||
        die "$svc exited before it was ready; the end of $LOGS/$svc.log:
$(tail -n 5 "$LOGS/$svc.log" 2>/dev/null)"
      [ $SECONDS -lt $deadline ] || die "$svc did not become ready within 60s (see $LOGS)"
      sleep 0.1
    done
    log "$svc ready (grpc 127.0.0.1:$GRPC_PORT, http 127.0.0.1:$HTTP_PORT)"
  done
}

bots_up() {  # the robots: BOTS of them (default 3; 0: none), BOT_STOP_TIME at each stop
  local bin="$BIN_DIR/tools/bots/bots" count=${BOTS:-3}
  [ "$count" != 0 ] && [ -x "$bin" ] || return 0
  local pid; pid=$(pidfile_pid "$RUN/bots.pid")
  if alive "$pid" "$bin"; then log "bots already running (pid $pid)"; return; fi
  local depot_port; depot_port=$(. "$ROOT/deploy/local/service-env.sh" depot && echo "$GRPC_PORT")
  LOG_LEVEL=${LOG_LEVEL:-INFO} nohup "$bin" --depot="127.0.0.1:$depot_port" --bots="$count" \
    --bot-stop-time="${BOT_STOP_TIME:-500ms}" >>"$LOGS/bots.log" 2>&1 </dev/null &
  echo $! >"$RUN/bots.pid"
  # The child is a shell until it has exec'd the robots: wait for that, so that what follows
  # (the demo) sees them.
  local i; for ((i = 0; i < 50; i++)); do alive "$!" "$bin" && break; sleep 0.1; done
  log "$count bots shopping (${BOT_STOP_TIME:-500ms} a stop; log $LOGS/bots.log)"
}

stop_pid() {  # stop_pid NAME PID PATTERN
  local name=$1 pid=$2 pattern=$3
  alive "$pid" "$pattern" || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  # By its command line too: once it is gone, its PID may be another process's.
  for _ in $(seq 1 300); do alive "$pid" "$pattern" || return 0; sleep 0.1; done
  log "$name did not stop in 30s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_up() {
  command -v nats-server >/dev/null || die "nats-server is not installed (run make deps)"
  prepare_dirs
  pg_up
  pg_provision
  nats_up
  write_env
  services_up
  bots_up
  log "up: postgres 127.0.0.1:$PG_PORT, nats 127.0.0.1:$NATS_PORT"
  if [ -L "$HOME_DIR/pg" ]; then log "state: $HOME_DIR (PostgreSQL data in $PGDATA)"
  else log "state: $HOME_DIR"; fi
  # The demo needs the services and the shopper built (not there: skipped, e.g. a stack of
  # PostgreSQL and NATS alone).
  if [ "${DEMO:-1}" != 0 ] && [ -x "$BIN_DIR/tools/shopper/shopper" ] &&
    [ -x "$BIN_DIR/services/cosec/cosec" ]; then
    cmd_demo
  fi
}

cmd_demo() {  # one order through the running stack, step by step (tools/shopper)
  local bin="$BIN_DIR/tools/shopper/shopper" robot=()
  [ -x "$bin" ] || die "no shopper binary at $bin (make build)"
  [ -f "$HOME_DIR/stack.env" ] || die "the stack is not up (make up)"
  # Without robots the demo does their work itself.
  if ! alive "$(pidfile_pid "$RUN/bots.pid")" "/tools/bots/bots"; then robot=(--play-robot=true); fi
  log "demo: one order from a new store to a completed, paid order"
  (set -a && . "$HOME_DIR/stack.env" && set +a && "$bin" "${robot[@]}") ||
    die "the demo order did not complete (see $LOGS)"
}

cmd_down() {
  stop_pid bots "$(pidfile_pid "$RUN/bots.pid")" "/tools/bots/bots"; rm -f "$RUN/bots.pid"
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    local svc=${SERVICES[$i]}
    stop_pid "$svc" "$(pidfile_pid "$RUN/$svc.pid")" "/services/$svc/$svc"; rm -f "$RUN/$svc.pid"
  done
  stop_pid nats-server "$(pidfile_pid "$RUN/nats-server.pid")" "$HOME_DIR/nats.conf"
  rm -f "$RUN/nats-server.pid"
  local pid; pid=$(pg_pid)
  if alive "$pid" "$PGDATA"; then
    log "stopping postgres (pid $pid)"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
  fi
  if [ "${WIPE:-0}" = 1 ]; then
    if [ -L "$HOME_DIR/pg" ]; then
      # Only a directory relocate_pg made: one level below $PG_STATE_ROOT.
      case ${PG_DIR#"$PG_STATE_ROOT"/} in
        "$PG_DIR" | "" | . | .. | */*) log "not wiping $PG_DIR: it is not under $PG_STATE_ROOT" ;;
        *) log "wiping $PG_DIR"; rm -rf "$PG_DIR"; rmdir "$PG_STATE_ROOT" 2>/dev/null || true ;;
      esac
    fi
    log "wiping $HOME_DIR"
    rm -rf "$HOME_DIR"
  fi
}

cmd_status() {
  local rc=0
  show() {  # show NAME PID PATTERN DETAIL
    if alive "$2" "$3"; then printf '%-14s running  pid %-7s %s\n' "$1" "$2" "$4"
    else printf '%-14s stopped\n' "$1"; rc=1; fi
  }
  show postgres "$(pg_pid)" "$PGDATA" "127.0.0.1:$PG_PORT"
  show nats-server "$(pidfile_pid "$RUN/nats-server.pid")" "$HOME_DIR/nats.conf" "127.0.0.1:$NATS_PORT"
  for svc in "${SERVICES[@]}"; do
    [ -f "$RUN/$svc.pid" ] || continue
    show "$svc" "$(pidfile_pid "$RUN/$svc.pid")" "/services/$svc/$svc" ""
  done
  [ -f "$RUN/bots.pid" ] && show bots "$(pidfile_pid "$RUN/bots.pid")" "/tools/bots/bots" ""
  return $rc
}

cmd_logs() {
  [ -d "$LOGS" ] || die "no logs yet: $LOGS does not exist"
  exec tail -n 50 -F "$LOGS"/*.log
}

case "${1:-}" in
  up) cmd_up ;;
  demo) cmd_demo ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) cmd_logs ;;
  nats-reload) nats_reload ;;
  *) echo "usage: $0 up|down|status|logs|demo|nats-reload" >&2; exit 2 ;;
esac
