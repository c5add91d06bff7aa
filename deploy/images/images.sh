#!/usr/bin/env bash
# The container images, built from Debian's packages without a container registry (`make images`):
#
#   images.sh build   the bases (Debian 12 root filesystems made by mmdebstrap from the Debian
#                     archive this machine's apt sources name), then mallbots/services and
#                     mallbots/tools from the Containerfile (buildah); both tagged <version>
#                     (CMakeLists.txt) and <version>-<commit>, labelled with the commit
#   images.sh check   runs the services image against a PostgreSQL and a nats-server of its own
#                     (the local stack, on random ports): the stores container non-root with a
#                     read-only root filesystem to /readyz, mallctl from the tools image calling it,
#                     then a SIGTERM it must exit 0 from
#
# No container registry and no container daemon: the bases come from mmdebstrap (which needs the
# Debian archive), the images live in the local containers storage (podman image ls). Containers
# run with runc, which works on cgroup v1, v2 and hybrid hosts, and with explicit ulimits:
# podman's defaults (raising the open-files limit to the maximum) need CAP_SYS_RESOURCE, which a
# container host may not grant.
#
# Environment: IMAGE_PREFIX (default localhost/mallbots), CCACHE_DIR (the compiler cache lent to
# the build stage, default ~/.cache/mallbots-ccache, as make's), REFRESH=1 (make the bases anew,
# with the archive's current packages: security updates; otherwise a base is made once per
# package list), KEEP=1 (check: keep the stack's state directory and logs).
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) fails the script too

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/deploy/images
PREFIX=${IMAGE_PREFIX:-localhost/mallbots}
SUITE=bookworm  # the package names below are bookworm's
VERSION=$(sed -n 's/^project(mallbots VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
CCACHE=${CCACHE_DIR:-${HOME:-/root}/.cache/mallbots-ccache}
WORK=$ROOT/build/images
RUN_FLAGS=(--runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
[ -n "$VERSION" ] || { echo "images: no project version in CMakeLists.txt" >&2; exit 1; }

# What the build stage compiles with.
BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libpq-dev libnats-dev libspdlog-dev libcpp-httplib-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev
)
# What the binaries load (their dependencies come along), on Debian's essential set (no apt); the
# Containerfile fails the build when a binary needs a library that is not there.
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

apt_sources() {  # this machine's apt sources naming $SUITE (its mirror and security archive), or
  # nothing: mmdebstrap's default mirror
  local f
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [ -s "$f" ] && grep -v '^\s*#' "$f" | grep -qw "$SUITE" && { echo "$f"; return 0; }
  done
  return 0
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
  hash=$(printf '%s\n' "$SUITE" "$variant" "${BASE_OPTIONS[@]}" "${IMPORT_CHANGES[@]}" "$@" |
    sha256sum | cut -c1-12)
  tag="$PREFIX/$name:$SUITE-$hash"
  if podman image exists "$tag" && [ "${REFRESH:-0}" != 1 ]; then
    log "$tag exists" >&2
  else
    log "making $tag with mmdebstrap (${#@} packages and their dependencies)" >&2
    local sources tar
    sources=$(apt_sources)
    mkdir -p "$WORK"
    tar=$(mktemp "$WORK/$name.XXXXXX.tar")
    mmdebstrap --quiet --variant="$variant" --include="$(IFS=,; echo "$*")" \
      "${BASE_OPTIONS[@]}" \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
      "$SUITE" "$tar" ${sources:+"$sources"} >&2
    podman import --quiet "${IMPORT_CHANGES[@]}" \
      --change "LABEL org.opencontainers.image.description=\"Debian $SUITE ($name): $*\"" \
      "$tar" "$tag" >/dev/null
    rm -f "$tar"
    podman image exists "$tag" || die "importing $tag failed"
    # The bases of earlier package lists go (unless an image still uses them).
    podman image ls --format '{{.Repository}}:{{.Tag}}' "$PREFIX/$name" | grep -vxF "$tag" |
      xargs -r podman rmi >/dev/null 2>&1 || true
  fi
  echo "$tag"
}

context() {  # the build context: the files git knows of (tracked or not ignored), as they are;
  # outside a git checkout, the tree without its build and state directories
  rm -rf "$WORK/context" && mkdir -p "$WORK/context"
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
      tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$WORK/context"
  else
    tar -C "$ROOT" --exclude=./.git --exclude=./build --exclude=./.mallbots \
      --exclude='./deploy/k8s/overlays/*/secrets' --exclude='*/node_modules' -cf - . |
      tar -xf - -C "$WORK/context"
  fi
}

cmd_build() {
  DEPS_EXTRA="mmdebstrap buildah podman runc uidmap" bash "$ROOT/deploy/local/deps.sh"
  local build_base runtime_base rev
  rev=$(commit)
  context
  build_base=$(base_image build-base minbase "${BUILD_PACKAGES[@]}")
  runtime_base=$(base_image runtime-base essential "${RUNTIME_PACKAGES[@]}")
  mkdir -p "$CCACHE"
  local target log_file
  for target in services tools; do
    log "building $PREFIX/$target:$VERSION and :$VERSION-${rev:0:12} (commit $rev)"
    log_file=$WORK/build-$target.log
    if ! buildah bud --layers --runtime runc --target "$target" \
      --build-arg BUILD_BASE="$build_base" --build-arg RUNTIME_BASE="$runtime_base" \
      --build-arg VERSION="$VERSION" --build-arg COMMIT="$rev" \
      --volume "$CCACHE:/ccache" \
      -f "$HERE/Containerfile" -t "$PREFIX/$target:$VERSION" \
      -t "$PREFIX/$target:$VERSION-${rev:0:12}" "$WORK/context" >"$log_file" 2>&1; then
      tail -n 40 "$log_file" >&2
      die "building $target failed (the whole output: $log_file)"
    fi
  done
  # The untagged images this build left (earlier builds' images, the layers of its stages);
  # a later build recompiles from the ccache.
  podman image prune --force --filter label=io.mallbots.base=true >/dev/null
  podman image ls --filter "reference=$PREFIX/*" \
    --format '{{.Repository}}:{{.Tag}} {{.Size}} {{.Created}}' | sed 's/^/images: /'
}

TAKEN=" "
free_port() {  # free_port VAR: a TCP port nothing listens on and not taken before (below the
  # ephemeral range), exported as VAR
  local p
  while :; do
    p=$((10000 + RANDOM % 22000))
    case $TAKEN in *" $p "*) continue ;; esac
    ss -Htln "sport = :$p" | grep -q . && continue
    TAKEN="$TAKEN$p "
    export "$1=$p"
    return 0
  done
}

HOME_DIR="" CONTAINER="" CHECK_OK=0
cleanup() {  # the container, the stack and its state directory (logs shown when the check failed)
  [ -n "$CONTAINER" ] && { podman rm -f -t 5 "$CONTAINER" >/dev/null 2>&1 || true; }
  [ -n "$HOME_DIR" ] || return 0
  if [ $CHECK_OK -ne 1 ] && [ -d "$HOME_DIR/logs" ]; then
    local f
    for f in "$HOME_DIR"/logs/*.log; do
      [ -s "$f" ] && { echo "--- $f (tail)" >&2; tail -n 10 "$f" >&2; }
    done
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    bash "$ROOT/deploy/local/stack.sh" down >/dev/null 2>&1 || true
    log "kept $HOME_DIR"
  else
    WIPE=1 bash "$ROOT/deploy/local/stack.sh" down >/dev/null 2>&1 || true
    rm -rf "$HOME_DIR"
  fi
}

cmd_check() {
  local services="$PREFIX/services:$VERSION" tools="$PREFIX/tools:$VERSION"
  podman image exists "$services" && podman image exists "$tools" ||
    die "$services or $tools is missing: run images.sh build (make images) first"
  local home; home=$(mktemp -d /tmp/mallbots-images.XXXXXX)
  chmod 755 "$home"  # PostgreSQL runs as the postgres user
  HOME_DIR=$home CONTAINER=mallbots-check-stores-$$
  local container=$CONTAINER
  trap cleanup EXIT
  export MALLBOTS_HOME=$home MALLBOTS_BIN_DIR=$home/no-binaries BOTS=0 DEMO=0
  free_port MALLBOTS_PG_PORT
  free_port MALLBOTS_NATS_PORT
  free_port MALLBOTS_GRPC_BASE
  free_port MALLBOTS_HTTP_BASE
  free_port MALLBOTS_ADMIN_BASE
  bash "$ROOT/deploy/local/stack.sh" up | sed 's/^/images: /'
  chmod a+r "$home/topology.conf"  # read by the container's user

  # The stores service's settings, as the local stack gives them (deploy/local/service-env.sh).
  local env_file=$home/stores.env
  install -m 600 /dev/null "$env_file"  # passwords
  (
    # shellcheck disable=SC2030,SC2034
    PG_PORT=$MALLBOTS_PG_PORT NATS_PORT=$MALLBOTS_NATS_PORT SECRETS=$home/secrets
    # shellcheck disable=SC2034
    MALLBOTS_STACK_TOPOLOGY=$home/topology.conf
    # shellcheck disable=SC1091
    . "$ROOT/deploy/local/service-env.sh" stores
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
    --read-only-tmpfs=false --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    --env-file "$env_file" \
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
  local uid
  uid=$(podman exec "$container" id -u)
  [ "$uid" = 10001 ] || die "the stores container runs as uid $uid, not 10001"
  log "stores ready: http://127.0.0.1:$http_port/readyz answered 200; it runs as uid $uid"
  local info
  info=$(curl -fsS "http://127.0.0.1:$http_port/metrics" | grep '^mallbots_build_info{' || true)
  grep -qF "commit=\"$(podman image inspect -f \
    '{{index .Labels "org.opencontainers.image.revision"}}' "$services")\"" <<<"$info" ||
    die "its mallbots_build_info is not the image's commit: ${info:-none}"
  log "its metrics say: $info"

  log "calling it with mallctl from $tools"
  local created id got
  created=$(podman run --rm "${RUN_FLAGS[@]}" --network host --read-only \
    --read-only-tmpfs=false "$tools" \
    mallctl call stores CreateStore '{"name":"Image check","location":"Container 1"}' \
    --addr "127.0.0.1:$grpc_port")
  id=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' <<<"$created" | head -1)
  [ -n "$id" ] || die "CreateStore answered no id: $created"
  got=$(podman run --rm "${RUN_FLAGS[@]}" --network host --read-only \
    --read-only-tmpfs=false "$tools" \
    mallctl call stores GetStore "{\"id\":\"$id\"}" --addr "127.0.0.1:$grpc_port")
  grep -q '"name": *"Image check"' <<<"$got" || die "GetStore did not return the store: $got"
  log "mallctl created store $id and read it back"
  # SIGTERM, as Kubernetes stops a pod: the service drains and exits 0 as the container's PID 1.
  podman stop -t 40 "$container" >/dev/null
  local code; code=$(podman inspect -f '{{.State.ExitCode}}' "$container")
  [ "$code" = 0 ] || die "the stores container exited $code on SIGTERM"
  log "stores stopped on SIGTERM with exit code 0"
  local format='{{index .Labels "org.opencontainers.image.version"}} commit'
  format+=' {{index .Labels "org.opencontainers.image.revision"}} user {{.Config.User}}'
  for image in "$services" "$tools"; do
    log "$image: $(podman image inspect -f "$format" "$image")"
  done
  CHECK_OK=1
  log "check passed"
}

case ${1:-} in
  build) cmd_build ;;
  check) cmd_check ;;
  *) echo "usage: images.sh build|check" >&2; exit 2 ;;
esac
