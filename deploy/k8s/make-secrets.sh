#!/usr/bin/env bash
# Writes the Secrets' contents of an overlay: overlays/<overlay>/secrets/<Secret>.env, one
# KEY=value a line, a random value for each key of make-secrets.keys (generated from the
# topology) that the file does not have yet; existing values are kept. The overlay's
# secretGenerator reads them, so they reach the cluster with `kubectl apply -k`. They are not
# committed (.gitignore); keep them where your secrets live.
#
#   deploy/k8s/make-secrets.sh prod && kubectl apply -k deploy/k8s/overlays/prod
set -euo pipefail

K8S=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
overlay=${1:?usage: make-secrets.sh <overlay> (dev, prod)}
dir=$K8S/overlays/$overlay
[ -f "$dir/kustomization.yaml" ] || { echo "make-secrets: no overlay $dir" >&2; exit 2; }
umask 077
mkdir -p "$dir/secrets"
added=0
while read -r secret key; do
  case "$secret" in "#"* | "") continue ;; esac
  f=$dir/secrets/$secret.env
  touch "$f"
  [ ! -s "$f" ] || [ "$(tail -c 1 "$f")" = "" ] || echo >>"$f"  # a last line without its newline
  if ! grep -q "^$key=" "$f"; then
    echo "$key=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)" >>"$f"
    added=$((added + 1))
  fi
done <"$K8S/make-secrets.keys"
echo "make-secrets: $dir/secrets ($added new values)"
