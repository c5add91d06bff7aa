#!/usr/bin/env bash
# Brings the local stack up in a temporary state directory on random ports, checks what it
# provisioned, brings it up again (idempotent), then down, and checks that nothing of it runs.
# As root, also runs it from a checkout the postgres user cannot enter, with the default state
# directory: PostgreSQL's directory then goes under /var/lib/mallbots, and WIPE=1 removes it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK="$ROOT/deploy/local/stack.sh"
SERVICES=(stores customers baskets ordering payments depot notifications search cosec)

export MALLBOTS_HOME
MALLBOTS_HOME=$(mktemp -d /tmp/eda-stack-XXXXXX)
chmod 755 "$MALLBOTS_HOME"
# Services from the build tree given as $1 (ctest passes it), or infrastructure only.
export MALLBOTS_BIN_DIR="${1:-$MALLBOTS_HOME/no-binaries}"
export MALLBOTS_GRPC_BASE MALLBOTS_HTTP_BASE MALLBOTS_ADMIN_BASE
MALLBOTS_GRPC_BASE=$((20000 + RANDOM % 10000))
MALLBOTS_HTTP_BASE=$((MALLBOTS_GRPC_BASE + 20))
MALLBOTS_ADMIN_BASE=$((MALLBOTS_GRPC_BASE + 40))

free_port() {  # below Linux's ephemeral range (32768+), which outgoing connections use
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
export MALLBOTS_PG_PORT MALLBOTS_NATS_PORT
MALLBOTS_PG_PORT=$(free_port)
MALLBOTS_NATS_PORT=$(free_port)
while [ "$MALLBOTS_NATS_PORT" = "$MALLBOTS_PG_PORT" ]; do MALLBOTS_NATS_PORT=$(free_port); done

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
unreachable=""  # the checkout copy the postgres user cannot enter (root only, below)
cleanup() {
  bash "$STACK" down >/dev/null 2>&1 || true
  rm -rf "$MALLBOTS_HOME"
  if [ -n "$unreachable" ]; then
    (cd "$unreachable/co" && env -u MALLBOTS_HOME WIPE=1 bash deploy/local/stack.sh down) >/dev/null 2>&1 || true
    rm -rf "$unreachable"
  fi
}
trap cleanup EXIT

# The first up ends with the demo order (when the binaries are there), the second skips it.
bash "$STACK" up | tee "$MALLBOTS_HOME/up.out"
if [ -x "$MALLBOTS_BIN_DIR/tools/shopper/shopper" ]; then
  check "up ends with a completed demo order" grep -q "completed and paid" "$MALLBOTS_HOME/up.out"
  check "the demo played no robot (bots run)" bash -c "! grep -q 'as the robot' '$MALLBOTS_HOME/up.out'"
fi
pg_pid=$(head -1 "$MALLBOTS_HOME/pg/data/postmaster.pid")
nats_pid=$(cat "$MALLBOTS_HOME/run/nats-server.pid")
check "postgres running" kill -0 "$pg_pid"
check "nats-server running" kill -0 "$nats_pid"
check "status reports running" bash "$STACK" status

psql_as() {  # psql_as ROLE DATABASE
  PGPASSWORD=$(cat "$MALLBOTS_HOME/secrets/pg-$1.pass") psql -X -q -At -h 127.0.0.1 \
    -p "$MALLBOTS_PG_PORT" -U "$1" -d "$2" -c "SELECT current_user"
}
denied() {  # denied ROLE DATABASE: the login is refused for lack of CONNECT privilege
  local out
  out=$(psql_as "$1" "$2" 2>&1) && return 1
  grep -q "permission denied for database" <<<"$out"
}
for svc in "${SERVICES[@]}"; do
  check "$svc reaches mallbots_$svc" test "$(psql_as "$svc" "mallbots_$svc")" = "$svc"
done
check "stores cannot reach mallbots_customers" denied stores mallbots_customers
check "customers cannot reach mallbots_stores" denied customers mallbots_stores
check "stores cannot reach postgres" denied stores postgres
check "stores is no superuser" test "$(PGPASSWORD=$(cat "$MALLBOTS_HOME/secrets/pg-stores.pass") psql -X -At \
  -h 127.0.0.1 -p "$MALLBOTS_PG_PORT" -U stores -d mallbots_stores -c 'SHOW is_superuser')" = off

# Every built service runs under its own database role and NATS user, and is ready.
for svc in "${SERVICES[@]}"; do
  [ -x "$MALLBOTS_BIN_DIR/services/$svc/$svc" ] || continue
  i=0; for s in "${SERVICES[@]}"; do [ "$s" = "$svc" ] && break; i=$((i + 1)); done
  check "$svc started and ready" curl -fsS "http://127.0.0.1:$((MALLBOTS_HTTP_BASE + i))/readyz"
  svc_pid=$(cat "$MALLBOTS_HOME/run/$svc.pid")
  eval "pid_$svc=$svc_pid"
done

users=$(grep -c 'user: "' "$MALLBOTS_HOME/nats.conf")
subscribers=$(awk '$1 == "subscriber" {print $2}' "$ROOT/deploy/topology.conf" | sort -u | wc -l)
check "nats has 9 service users, admin and $subscribers subscriber accounts ($users)" \
  test "$users" -eq $((10 + subscribers))
check "a subscriber's password is in the state's secrets" \
  test -s "$MALLBOTS_HOME/secrets/nats-example-node.pass"
check "stack.env written" grep -q "MALLBOTS_NATS_URL=nats://127.0.0.1:$MALLBOTS_NATS_PORT" "$MALLBOTS_HOME/stack.env"

# A short load-generator run through its command line, every invariant checked (search too).
if [ -x "$MALLBOTS_BIN_DIR/tools/loadgen/loadgen" ] && [ -x "$MALLBOTS_BIN_DIR/services/search/search" ]; then
  check "loadgen: 25 orders, every invariant holds" bash -c "set -a && . '$MALLBOTS_HOME/stack.env' \
    && set +a && '$MALLBOTS_BIN_DIR/tools/loadgen/loadgen' --orders=25 --customers=4 --seed=5 \
    --bots-log='$MALLBOTS_HOME/logs/bots.log' --report-every=2s >'$MALLBOTS_HOME/loadgen.out' \
    2>'$MALLBOTS_HOME/loadgen.err' && tail -1 '$MALLBOTS_HOME/loadgen.out' | grep -q '\"violations\":0' \
    && grep -qE '[1-9][0-9]* orders checked' '$MALLBOTS_HOME/loadgen.err'"
fi

if [ -x "$MALLBOTS_BIN_DIR/tools/shopper/shopper" ]; then
  check "the demo again, without robots, plays one" bash -c \
    "kill \$(cat '$MALLBOTS_HOME/run/bots.pid') && sleep 0.5 && bash '$STACK' demo | grep -q 'as the robot'"
fi
# A subscriber account added to the running stack: kept in the stack's own subscribers.conf (the
# checkout's topology untouched), live in nats-server without a restart, its durable provisioned;
# it reads the demo order's events (with the Go subscriber example). A durable already taken is
# refused and not added.
mallctl="$MALLBOTS_BIN_DIR/tools/mallctl/mallctl"
follow="$MALLBOTS_BIN_DIR/examples/follow-order-go"
if [ -x "$mallctl" ]; then
  topology_sum=$(sha256sum <"$ROOT/deploy/topology.conf")
  check "mallctl subscriber add" bash -c "'$mallctl' subscriber add audit audit-orders ORDERING \
    mallbots.ordering.events.Order >'$MALLBOTS_HOME/sub.out' 2>&1"
  cat "$MALLBOTS_HOME/sub.out"
  line="subscriber  audit  audit-orders  ORDERING  mallbots.ordering.events.Order"
  check "the account is among the stack's own" grep -qx "$line" "$MALLBOTS_HOME/subscribers.conf"
  check "the stack runs on it" grep -qx "$line" "$MALLBOTS_HOME/topology.conf"
  check "the checkout's topology is untouched" test "$(sha256sum <"$ROOT/deploy/topology.conf")" = "$topology_sum"
  check "nats-server reloaded" grep -q "Reloaded server configuration" "$MALLBOTS_HOME/logs/nats-server.log"
  check "its durable is provisioned" grep -q "durable audit-orders provisioned on ORDERING" "$MALLBOTS_HOME/sub.out"
  check "its settings are printed" grep -q "inbox     _INBOX_audit" "$MALLBOTS_HOME/sub.out"
  check "nats-server kept running" kill -0 "$nats_pid"
  if [ -x "$follow" ]; then
    check "the account reads an order's event through its durable (settings from --env)" bash -c \
      "eval \"\$('$mallctl' subscriber audit --env)\" && test \"\$NATS_USER\" = audit && \
      timeout 30 '$follow' --protoset='$MALLBOTS_BIN_DIR/docs/mallbots.protoset' \
      --journal='$MALLBOTS_HOME/audit.journal' --durables=ORDERING:audit-orders --stop-after=1"
    check "the event is in its journal" grep -q " ordersapi.OrderCreated " "$MALLBOTS_HOME/audit.journal"
  fi
  check "a durable already taken is refused" bash -c "'$mallctl' subscriber add other audit-orders \
    ORDERING mallbots.ordering.events.Order 2>&1 | grep -q 'not added: .*audit-orders'"
  check "and not added" test "$(grep -c '^subscriber  other' "$MALLBOTS_HOME/subscribers.conf")" -eq 0
fi

DEMO=0 bash "$STACK" up
check "second up reuses postgres" test "$(head -1 "$MALLBOTS_HOME/pg/data/postmaster.pid")" = "$pg_pid"
check "second up reuses nats-server" test "$(cat "$MALLBOTS_HOME/run/nats-server.pid")" = "$nats_pid"

bash "$STACK" down
gone() {  # gone PID PATTERN: no process PID whose command line has PATTERN (a PID taken again by
  # another process, or a zombie nobody reaped, counts as gone)
  ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] ||
    ! tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}
for svc in "${SERVICES[@]}"; do
  v="pid_$svc"
  [ -n "${!v:-}" ] && check "$svc stopped" gone "${!v}" "/services/$svc/$svc"
done
check "postgres stopped" gone "$pg_pid" postgres
check "nats-server stopped" gone "$nats_pid" nats-server
if pgrep -f "(nats-server -c|postgres -D) $MALLBOTS_HOME" >/dev/null; then
  echo "FAIL - processes of the stack left: $(pgrep -af "(nats-server -c|postgres -D) $MALLBOTS_HOME")"
  failures=$((failures + 1))
else
  echo "ok   - no process of the stack left"
fi
check "status reports stopped" bash -c "! bash '$STACK' status"
check "state kept without WIPE" test -f "$MALLBOTS_HOME/pg/data/PG_VERSION"
WIPE=1 bash "$STACK" down
check "WIPE=1 removes the state" test ! -e "$MALLBOTS_HOME"

# As root in a checkout under a directory the postgres user cannot enter (like /root), with the
# default state directory: .mallbots stays in the checkout (tools find stack.env there) and
# PostgreSQL's directory, which .mallbots/pg links to, goes under /var/lib/mallbots.
if [ "$(id -u)" -eq 0 ]; then
  unreachable=$(mktemp -d /tmp/eda-stack-root-XXXXXX)  # mode 700, owned by root
  co=$unreachable/co
  mkdir "$co"
  cp -r "$ROOT/deploy" "$co/"
  MALLBOTS_PG_PORT=$(free_port)
  MALLBOTS_NATS_PORT=$(free_port)
  while [ "$MALLBOTS_NATS_PORT" = "$MALLBOTS_PG_PORT" ]; do MALLBOTS_NATS_PORT=$(free_port); done
  stack_co() { (cd "$co" && env -u MALLBOTS_HOME MALLBOTS_BIN_DIR="$unreachable/no-binaries" bash deploy/local/stack.sh "$@"); }
  out=$(stack_co up 2>&1) && rc=0 || rc=$?
  echo "$out"
  check "up in a checkout the postgres user cannot enter" test "$rc" -eq 0
  pg_dir=$(readlink "$co/.mallbots/pg" || true)
  relocated() { [[ $1 == /var/lib/mallbots/?* ]] && [ -f "$1/data/PG_VERSION" ]; }
  check "PostgreSQL's cluster under /var/lib/mallbots ($pg_dir)" relocated "$pg_dir"
  check "up prints where the state is" \
    grep -qxF "stack: state: $co/.mallbots (PostgreSQL data in $pg_dir/data)" <<<"$out"
  check "stack.env in the checkout's .mallbots" \
    grep -q "MALLBOTS_PG_PORT=$MALLBOTS_PG_PORT" "$co/.mallbots/stack.env"
  check "stores reaches mallbots_stores" test "$(PGPASSWORD=$(cat "$co/.mallbots/secrets/pg-stores.pass") \
    psql -X -q -At -h 127.0.0.1 -p "$MALLBOTS_PG_PORT" -U stores -d mallbots_stores -c 'SELECT current_user')" = stores
  check "status reports running" stack_co status
  pg_pid=$(head -1 "$pg_dir/data/postmaster.pid" 2>/dev/null || true)
  nats_pid=$(cat "$co/.mallbots/run/nats-server.pid" 2>/dev/null || true)
  WIPE=1 stack_co down
  check "postgres stopped" gone "$pg_pid" postgres
  check "nats-server stopped" gone "$nats_pid" nats-server
  check "WIPE=1 removes .mallbots" test ! -e "$co/.mallbots"
  check "WIPE=1 removes $pg_dir" test ! -e "$pg_dir"
else
  echo "skip - a checkout the postgres user cannot enter (needs root)"
fi

echo "$failures failed"
[ "$failures" -eq 0 ]
