#!/usr/bin/env bash
# Applies an overlay in the safe order: the migration Job first (roles, schemas, stream/consumers,
# migrations), waits for it, then everything else (rolling update, maxUnavailable 0).
#   deploy/k8s/rollout.sh prod     (or dev)
set -euo pipefail
OVERLAY=${1:?usage: rollout.sh dev|prod}
DIR="$(cd "$(dirname "$0")" && pwd)/overlays/$OVERLAY"
NS=$(kubectl kustomize "$DIR" 2>/dev/null | awk '/^  namespace:/ {print $2; exit}')
# 1. config, Secrets rendered by the overlay, the PostgreSQL cluster; wait until Postgres is up
kubectl apply -k "$DIR" -l 'app.kubernetes.io/component in (config,database)'
kubectl -n "$NS" wait --for=condition=Ready cluster.postgresql.cnpg.io/tpo-pg --timeout=15m
# 2. the migration Job (a Job's template is immutable: the previous run is deleted first)
kubectl -n "$NS" delete job tpo-migrate --ignore-not-found --wait=true
kubectl apply -k "$DIR" -l app.kubernetes.io/component=migrate
kubectl -n "$NS" wait --for=condition=complete job/tpo-migrate --timeout=15m
# 3. everything else; readiness keeps old pods serving until new ones pass /health/ready
kubectl apply -k "$DIR"
for d in tenant-service svm-config-service agent-install-service registration-service activation-service; do
  kubectl -n "$NS" rollout status "deployment/$d" --timeout=10m
done
