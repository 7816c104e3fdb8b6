#!/usr/bin/env bash
# The whole test suite: infrastructure up, build, lint (incl. Nx module boundaries), unit specs,
# then integration and end-to-end specs against the real PostgreSQL and NATS JetStream.
set -euo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
mkdir -p .local

bash deploy/scripts/infra-up.sh
# Debian's chromium for the ops console's browser test (installed once when missing).
bash deploy/scripts/ensure-chromium.sh >/dev/null
bash deploy/scripts/kubectl-up.sh
echo "== build"; npm run --silent build
echo "== lint"; npm run --silent lint

status=0
echo "== unit"
npx jest -c jest.unit.config.js --json --outputFile=.local/jest-unit.json || status=1
echo "== integration + e2e (real Postgres + NATS)"
npx jest -c jest.integration.config.js --runInBand --json --outputFile=.local/jest-integration.json || status=1

node -e '
  const files = [".local/jest-unit.json", ".local/jest-integration.json"];
  let passed = 0, failed = 0, skipped = 0;
  for (const f of files) {
    try { const r = require(require("path").resolve(f)); passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; skipped += r.numPendingTests; }
    catch { failed += 1; }
  }
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
exit $status
