#!/usr/bin/env bash
# The container images, built offline from Debian's packages (`make images`):
#
#   images.sh build   the bases (Debian 12 root filesystems made by mmdebstrap from this machine's
#                     apt sources), then mallbots/services and mallbots/tools from the Containerfile
#                     (buildah); both tagged <version> (CMakeLists.txt) and labelled with the commit
#   images.sh check   runs the services image against a PostgreSQL and a nats-server of its own
#                     (the local stack, on random ports): the stores container as the deployment
#                     runs it (non-root, read-only root filesystem) to /readyz, then mallctl from the
#                     tools image calls it
#
# No registry and no container daemon: the bases come from mmdebstrap, the images live in the
# local containers storage (podman image ls). Containers run with runc, which works on cgroup v1,
# v2 and hybrid hosts, and with explicit ulimits: podman's defaults (raising the open-files limit
# to the maximum) need CAP_SYS_RESOURCE, which a container host may not grant.
#
# Environment: IMAGE_PREFIX (default localhost/mallbots), SUITE (default bookworm), CCACHE_DIR
# (the compiler cache lent to the build stage, default ~/.cache/mallbots-ccache).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/deploy/images
PREFIX=${IMAGE_PREFIX:-localhost/mallbots}
SUITE=${SUITE:-bookworm}
VERSION=$(sed -n 's/^project(mallbots VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
CCACHE=${CCACHE_DIR:-$HOME/.cache/mallbots-ccache}
WORK=$ROOT/build/images
RUN_FLAGS=(--runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

# What the build stage compiles with.
BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libpq-dev libnats-dev libspdlog-dev libcpp-httplib-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev
)
# What the binaries load (their dependencies come along); the Containerfile fails the build when
# a binary needs a library that is not there.
RUNTIME_PACKAGES=(
  ca-certificates libabsl20220623 libgrpc++1.51 libgrpc29 libprotobuf32 libpq5 libnats3.4
  libspdlog1.10 libfmt9 libcpp-httplib0.11 libprometheus-cpp-core1.0 libssl3
)

log() { echo "images: $*"; }
die() { echo "images: $*" >&2; exit 1; }

commit() {  # the commit the tree is, with -dirty when it has changes git would commit
  local c; c=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null) || { echo unknown; return; }
  if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=normal 2>/dev/null)" ]; then
    c="$c-dirty"
  fi
  echo "$c"
}

apt_sources() {  # this machine's apt sources for mmdebstrap (its mirror, proxy and security)
  local f
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [ -s "$f" ] && grep -qv '^\s*#' "$f" && { echo "$f"; return; }
  done
}

# Neither base keeps documentation, manual pages or translations; /usr is merged by mmdebstrap's
# hook rather than the usrmerge package (which would bring perl).
BASE_OPTIONS=(
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*'
)

# Every image made from a base carries its label: the build's leftovers are pruned by it.
IMPORT_CHANGES=(--change 'CMD ["/bin/bash"]' --change 'LABEL io.mallbots.base=true')

base_image() {  # base_image NAME VARIANT PACKAGE...: a base made once per package list, printed
  # as its tag. VARIANT: minbase (with apt) or essential (without: the runtime base).
  local name=$1 variant=$2; shift 2
  local hash tag
  hash=$(printf '%s\n' "$SUITE" "$variant" "${BASE_OPTIONS[@]}" "${IMPORT_CHANGES[@]}" "$@" | sha256sum | cut -c1-12)
  tag="$PREFIX/$name:$SUITE-$hash"
  if podman image exists "$tag"; then
    log "$tag exists" >&2
  else
    log "making $tag with mmdebstrap (${#@} packages and their dependencies)" >&2
    local sources tar="$WORK/$name.tar"
    sources=$(apt_sources)
    mkdir -p "$WORK"
    mmdebstrap --quiet --variant="$variant" --include="$(IFS=,; echo "$*")" \
      "${BASE_OPTIONS[@]}" \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
      "$SUITE" "$tar" ${sources:+"$sources"} >&2
    podman import --quiet "${IMPORT_CHANGES[@]}" \
      --change "LABEL org.opencontainers.image.description=\"Debian $SUITE ($name): $*\"" \
      "$tar" "$tag" >/dev/null
    rm -f "$tar"
    # The bases of earlier package lists go (unless an image still uses them).
    podman image ls --format '{{.Repository}}:{{.Tag}}' "$PREFIX/$name" | grep -vxF "$tag" |
      xargs -r podman rmi >/dev/null 2>&1 || true
  fi
  echo "$tag"
}

context() {  # the build context: the files git knows of (tracked or not ignored), as they are
  rm -rf "$WORK/context" && mkdir -p "$WORK/context"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$WORK/context"
}

cmd_build() {
  DEPS_EXTRA="mmdebstrap buildah podman runc uidmap" bash "$ROOT/deploy/local/deps.sh"
  local build_base runtime_base rev
  build_base=$(base_image build-base minbase "${BUILD_PACKAGES[@]}")
  runtime_base=$(base_image runtime-base essential "${RUNTIME_PACKAGES[@]}")
  rev=$(commit)
  context
  mkdir -p "$CCACHE"
  local target
  for target in services tools; do
    log "building $PREFIX/$target:$VERSION (commit $rev)"
    buildah bud --quiet --layers --runtime runc --target "$target" \
      --build-arg BUILD_BASE="$build_base" --build-arg RUNTIME_BASE="$runtime_base" \
      --build-arg VERSION="$VERSION" --build-arg COMMIT="$rev" \
      --volume "$CCACHE:/ccache" \
      -f "$HERE/Containerfile" -t "$PREFIX/$target:$VERSION" "$WORK/context" >/dev/null
  done
  # The untagged images this build left (earlier builds' images, the layers of its stages);
  # a later build recompiles from the ccache.
  podman image prune --force --filter label=io.mallbots.base=true >/dev/null
  podman image ls --filter "reference=$PREFIX/*" \
    --format '{{.Repository}}:{{.Tag}} {{.Size}} {{.Created}}' | sed 's/^/images: /'
}

free_port() {  # a TCP port nothing listens on, at random
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

cmd_check() {
  local services="$PREFIX/services:$VERSION" tools="$PREFIX/tools:$VERSION"
  podman image exists "$services" && podman image exists "$tools" ||
    die "$services or $tools is missing: run images.sh build (make images) first"
  local home; home=$(mktemp -d /tmp/mallbots-images.XXXXXX)
  chmod 755 "$home"
  local container=mallbots-check-stores-$$
  export MALLBOTS_HOME=$home MALLBOTS_BIN_DIR=$home/no-binaries BOTS=0 DEMO=0
  MALLBOTS_PG_PORT=$(free_port) MALLBOTS_NATS_PORT=$(free_port)
  MALLBOTS_GRPC_BASE=$(free_port) MALLBOTS_HTTP_BASE=$(free_port) MALLBOTS_ADMIN_BASE=$(free_port)
  export MALLBOTS_PG_PORT MALLBOTS_NATS_PORT MALLBOTS_GRPC_BASE MALLBOTS_HTTP_BASE \
    MALLBOTS_ADMIN_BASE
  # shellcheck disable=SC2064
  trap "podman rm -f -t 5 $container >/dev/null 2>&1 || true
        WIPE=1 bash '$ROOT/deploy/local/stack.sh' down >/dev/null 2>&1 || true" EXIT
  bash "$ROOT/deploy/local/stack.sh" up | sed 's/^/images: /'

  # The stores service's settings, as the local stack gives them (deploy/local/service-env.sh).
  local env_file=$home/stores.env
  (
    # shellcheck disable=SC2030,SC2034
    PG_PORT=$MALLBOTS_PG_PORT NATS_PORT=$MALLBOTS_NATS_PORT SECRETS=$home/secrets
    MALLBOTS_STACK_TOPOLOGY=$home/topology.conf
    # shellcheck disable=SC1091
    . "$ROOT/deploy/local/service-env.sh" stores
    umask 077
    for k in SERVICE_NAME PG_CONN NATS_URL NATS_USER NATS_PASSWORD RPC_HOST RPC_PORT WEB_HOST \
      WEB_PORT ADMIN_HOST ADMIN_PORT LOG_LEVEL RPC_SERVICES; do
      echo "$k=${!k}"
    done
    echo "TOPOLOGY_FILE=/etc/mallbots/topology.conf"
  ) >"$env_file"
  local grpc_port http_port
  grpc_port=$(sed -n 's/^RPC_PORT=//p' "$env_file")
  http_port=$(sed -n 's/^WEB_PORT=//p' "$env_file")

  log "running $services /opt/mallbots/bin/stores (read-only root filesystem)"
  podman run -d --name "$container" "${RUN_FLAGS[@]}" --network host --read-only \
    --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --env-file "$env_file" \
    -v "$home/topology.conf:/etc/mallbots/topology.conf:ro" \
    "$services" /opt/mallbots/bin/stores >/dev/null
  local deadline=$((SECONDS + 60))
  until curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; do
    if [ "$(podman inspect -f '{{.State.Running}}' "$container")" != true ] ||
      [ $SECONDS -ge $deadline ]; then
      podman logs --tail 20 "$container" >&2 || true
      die "the stores container did not become ready"
    fi
    sleep 0.2
  done
  local pid uid
  pid=$(podman inspect -f '{{.State.Pid}}' "$container")
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
  [ "$uid" = 10001 ] || die "the stores container runs as uid $uid, not 10001"
  log "stores ready: http://127.0.0.1:$http_port/readyz answered 200; it runs as uid $uid"

  log "calling it with mallctl from $tools"
  local created id got
  created=$(podman run --rm "${RUN_FLAGS[@]}" --network host --read-only "$tools" \
    mallctl call stores CreateStore '{"name":"Image check","location":"Container 1"}' \
    --addr "127.0.0.1:$grpc_port")
  id=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' <<<"$created" | head -1)
  [ -n "$id" ] || die "CreateStore answered no id: $created"
  got=$(podman run --rm "${RUN_FLAGS[@]}" --network host --read-only "$tools" \
    mallctl call stores GetStore "{\"id\":\"$id\"}" --addr "127.0.0.1:$grpc_port")
  grep -q '"name": *"Image check"' <<<"$got" || die "GetStore did not return the store: $got"
  log "mallctl created store $id and read it back"
  for image in "$services" "$tools"; do
    log "$image: $(podman image inspect -f \
      '{{index .Labels "org.opencontainers.image.version"}} commit {{index .Labels "org.opencontainers.image.revision"}} user {{.Config.User}}' \
      "$image")"
  done
  log "check passed"
}

case ${1:-} in
  build) cmd_build ;;
  check) cmd_check ;;
  *) echo "usage: images.sh build|check" >&2; exit 2 ;;
esac
