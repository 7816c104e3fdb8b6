#!/usr/bin/env bash
# Makes `kubectl kustomize` available for the manifest render test (test/integration/k8s-manifests).
# Uses a kubectl already on PATH (any version with kustomize >= 2.0.3); otherwise installs Debian's
# `kubernetes-client` package (kubectl 1.20, kustomize 2.0.3) as root; otherwise says what to install.
set -euo pipefail
log() { printf '[kubectl] %s\n' "$*" >&2; }
if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
  log "using $(command -v kubectl)"; exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing kubernetes-client from Debian packages"
  ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
  mkdir -p "$ROOT_DIR/.local"
  if [ ! -f "$ROOT_DIR/.local/.apt-updated" ]; then apt-get update -qq && touch "$ROOT_DIR/.local/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null
  exit 0
fi
log "kubectl is missing: install it (Debian: sudo apt-get install kubernetes-client) to run the manifest render test"
exit 1
