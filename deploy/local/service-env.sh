# Sourced by stack.sh: exports the environment of one service for the local stack.
#   . service-env.sh <service>
# Ports: gRPC on MALLBOTS_GRPC_BASE + index, HTTP on MALLBOTS_HTTP_BASE + index, where index is
# the service's position in the list below.
_svc=$1
_i=0
for _s in stores customers baskets ordering payments depot notifications search cosec; do
  [ "$_s" = "$_svc" ] && break
  _i=$((_i + 1))
done
GRPC_PORT=$(( ${MALLBOTS_GRPC_BASE:-59100} + _i ))
HTTP_PORT=$(( ${MALLBOTS_HTTP_BASE:-59200} + _i ))
export SERVICE_NAME="$_svc"
export PG_CONN="host=127.0.0.1 port=$PG_PORT dbname=mallbots_$_svc user=$_svc password=$(cat "$SECRETS/pg-$_svc.pass")"
export NATS_URL="nats://127.0.0.1:$NATS_PORT"
export NATS_USER="$_svc"
export NATS_PASSWORD="$(cat "$SECRETS/nats-$_svc.pass")"
export RPC_HOST=127.0.0.1 RPC_PORT=$GRPC_PORT
export WEB_HOST=127.0.0.1 WEB_PORT=$HTTP_PORT
export LOG_LEVEL=${LOG_LEVEL:-INFO}
export TOPOLOGY_FILE="$ROOT/deploy/topology.conf"
export RPC_SERVICES="STORES=127.0.0.1:$(( ${MALLBOTS_GRPC_BASE:-59100} + 0 )),CUSTOMERS=127.0.0.1:$(( ${MALLBOTS_GRPC_BASE:-59100} + 1 ))"
unset _s _i _svc
