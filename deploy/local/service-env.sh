# Sourced by stack.sh: exports the environment of one service for the local stack.
#   . service-env.sh <service>
# Ports: gRPC on MALLBOTS_GRPC_BASE + index, HTTP on MALLBOTS_HTTP_BASE + index, the admin API on
# MALLBOTS_ADMIN_BASE + index, where index is the service's position in the list below.
_svc=$1
_index() {  # _index SERVICE -> its position in the port order
  local i=0 s
  for s in stores customers baskets ordering payments depot notifications search cosec; do
    [ "$s" = "$1" ] && { echo "$i"; return; }
    i=$((i + 1))
  done
  echo "service-env: unknown service $1" >&2
  return 1
}
_i=$(_index "$_svc")
GRPC_PORT=$(( ${MALLBOTS_GRPC_BASE:-59100} + _i ))
HTTP_PORT=$(( ${MALLBOTS_HTTP_BASE:-59200} + _i ))
ADMIN_PORT=$(( ${MALLBOTS_ADMIN_BASE:-59300} + _i ))
export SERVICE_NAME="$_svc"
export PG_CONN="host=127.0.0.1 port=$PG_PORT dbname=mallbots_$_svc user=$_svc password=$(cat "$SECRETS/pg-$_svc.pass")"
export NATS_URL="nats://127.0.0.1:$NATS_PORT"
export NATS_USER="$_svc"
export NATS_PASSWORD="$(cat "$SECRETS/nats-$_svc.pass")"
export RPC_HOST=127.0.0.1 RPC_PORT=$GRPC_PORT
export WEB_HOST=127.0.0.1 WEB_PORT=$HTTP_PORT
export ADMIN_HOST=127.0.0.1 ADMIN_PORT
export LOG_LEVEL=${LOG_LEVEL:-INFO}
# The stack's topology (stack.sh: with its own subscriber accounts), else the checkout's.
export TOPOLOGY_FILE="${MALLBOTS_STACK_TOPOLOGY:-${MALLBOTS_TOPOLOGY:-$ROOT/deploy/topology.conf}}"
# The peers the topology's `call` lines give this service, at their local gRPC ports.
RPC_SERVICES=""
_calls=$(awk -v s="$_svc" '$1 == "call" && $2 == s { print $3 }' "$TOPOLOGY_FILE")
for _peer in $_calls; do
  _port=$(( ${MALLBOTS_GRPC_BASE:-59100} + $(_index "$_peer") ))
  RPC_SERVICES="${RPC_SERVICES:+$RPC_SERVICES,}$(echo "$_peer" | tr a-z A-Z)=127.0.0.1:$_port"
done
export RPC_SERVICES
unset _i _svc _peer _port _calls
unset -f _index
