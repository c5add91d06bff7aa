#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the local stack need, if any is missing.
# Idempotent and quick when everything is present; works as root and through sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libpq-dev libnats-dev libspdlog-dev libcpp-httplib-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev
  postgresql nats-server prometheus
  curl procps iproute2 util-linux clang-format openssl
  # The Go subscriber example (examples/subscribers/go), built in GOPATH mode.
  golang-go golang-github-nats-io-go-nats-dev golang-google-protobuf-dev
)
# More for one target only (make fuzz: clang and its libFuzzer runtime).
read -r -a extra <<<"${DEPS_EXTRA:-}"
packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js runs the third-party client test (tests/thirdparty); any Node.js >= 18 will do, so
# Debian's is installed only when there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "deps: missing packages (${missing[*]}) and neither root nor sudo is available" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# The postgresql package starts a system-wide cluster on 5432; we never use it (our cluster is
# private), but we do not stop it either: it may belong to someone else.
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
