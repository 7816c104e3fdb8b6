#!/bin/sh
# Entry point of the TPO image (Dockerfile): `tpo <what> [service]`. Also usable from a checkout
# after `npm run build` (TPO_HOME defaults to the image's /app).
set -eu
HOME_DIR=${TPO_HOME:-/app}
SERVICES="tenant-service svm-config-service agent-install-service registration-service activation-service"
# Node.js flags of the five services (docs/performance.md, fix 9); keep equal to SERVICE_NODE_FLAGS in
# tools/platform/processes.ts, which starts them locally, in the benches and in the tests.
SERVICE_NODE_FLAGS="--heap-growing-percent=30"
run() { exec node -r "$HOME_DIR/tools/register-paths.js" "$HOME_DIR/$1"; }
# shellcheck disable=SC2086 # the flags are words on purpose
run_service() { exec node $SERVICE_NODE_FLAGS -r "$HOME_DIR/tools/register-paths.js" "$HOME_DIR/$1"; }
is_service() { for s in $SERVICES; do [ "$s" = "$1" ] && return 0; done; return 1; }

what=${1:-help}
case "$what" in
  migrate)
    svc=${2:-}
    is_service "$svc" || { echo "tpo migrate: expected one of: $SERVICES" >&2; exit 64; }
    run "dist/apps/$svc/src/migrate.js" ;;
  bootstrap) run dist/tools/bootstrap/bootstrap.js ;;
  simulator) run dist/apps/kaspersky-simulator/src/main.js ;;
  help|-h|--help)
    echo "usage: tpo <service> | tpo migrate <service> | tpo bootstrap | tpo simulator"
    echo "services: $SERVICES" ;;
  *)
    is_service "$what" || { echo "tpo: unknown command '$what' (tpo help)" >&2; exit 64; }
    run_service "dist/apps/$what/src/main.js" ;;
esac
