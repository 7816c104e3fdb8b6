#!/usr/bin/env bash
# Creates the Secrets the TPO manifests read, with fresh random values, in namespace $1 (default tpo).
# For a first install or a lab; production normally syncs the same names and keys from its secret
# store (External Secrets, Vault, sealed-secrets). Existing Secrets are left untouched.
#   deploy/k8s/create-secrets.sh tpo
# Names and keys (docs/deploy.md):
#   tpo-db-credentials   <service>: Postgres password of the service's role (letters and digits)
#   tpo-nats-users       <nats user>: password of each least-privilege NATS user (letters and digits)
#   tpo-auth             jwt-secret, internal-token (tenant-service only)
#   tpo-internal-keys    <step service>: its own key for the site directory, derived from internal-token
#   tpo-master-keys      keys: envelope master key(s) "id:base64(32 bytes)" (docs/security.md)
#   tpo-pg-superuser     created by CloudNativePG (external Postgres: username/password of an admin)
set -euo pipefail
NS=${1:-tpo}
SERVICES="tenant-service svm-config-service agent-install-service registration-service activation-service"
NATS_USERS="$SERVICES order-ingest dashboard ops-admin"
rand() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 | sed 's/^/p/'; }
create() { # name, then key=value pairs
  local name=$1; shift
  if kubectl -n "$NS" get secret "$name" >/dev/null 2>&1; then echo "secret $name exists; kept"; return; fi
  local args=()
  for kv in "$@"; do args+=(--from-literal="$kv"); done
  kubectl -n "$NS" create secret generic "$name" "${args[@]}" >/dev/null
  kubectl -n "$NS" label secret "$name" app.kubernetes.io/part-of=tpo >/dev/null
  echo "secret $name created"
}
db=(); for s in $SERVICES; do db+=("$s=$(rand)"); done
nats=(); for u in $NATS_USERS; do nats+=("$u=$(rand)"); done
create tpo-db-credentials "${db[@]}"
create tpo-nats-users "${nats[@]}"
internal_token=$(kubectl -n "$NS" get secret tpo-auth -o jsonpath='{.data.internal-token}' 2>/dev/null | base64 -d || true)
[ -n "$internal_token" ] || internal_token=$(rand)
create tpo-auth "jwt-secret=$(head -c 32 /dev/urandom | base64)" "internal-token=$internal_token"
# Each step service gets only its own key: HMAC-SHA256(internal-token, "tpo-internal-api:<service>"),
# base64url (what tenant-service derives to verify it; libs/site-directory/src/service-token.ts).
derive() { printf 'tpo-internal-api:%s' "$1" | openssl dgst -sha256 -hmac "$internal_token" -binary | base64 | tr '+/' '-_' | tr -d '='; }
keys=(); for s in $SERVICES; do [ "$s" = tenant-service ] || keys+=("$s=$(derive "$s")"); done
create tpo-internal-keys "${keys[@]}"
create tpo-master-keys "keys=k1:$(head -c 32 /dev/urandom | base64)"
