#!/usr/bin/env bash
# make e2e: the browser tests (web/e2e, node --test + playwright-core driving
# Debian's /usr/bin/chromium) against a real server: the binary with the UI
# (make build), seeded Hunan, the simulator's registry and devices, demo
# accounts, `ecowatch serve` on free ports in a temp directory. Stops all it
# started. Screenshots land in web/e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -x /usr/bin/chromium ] || { echo "e2e: /usr/bin/chromium is missing (apt-get install -y chromium; .ci/run does it)" >&2; exit 1; }
command -v node >/dev/null || { echo "e2e: node is missing" >&2; exit 1; }

make --no-print-directory build
bin=$root/bin/ecowatch
dir=$(mktemp -d "${TMPDIR:-/tmp}/ecowatch-e2e.XXXXXX")
SERVE_PID= SIM_PIDS=
cleanup() {
  local rc=$?
  for p in $SIM_PIDS; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  if [ $rc -ne 0 ]; then
    echo "e2e: failed; server log:" >&2
    tail -n 40 "$dir/serve.log" >&2 2>/dev/null || true
    mkdir -p "$root/web/e2e/artifacts" && cp "$dir"/*.log "$root/web/e2e/artifacts/" 2>/dev/null || true
  fi
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT INT TERM

# A small province keeps set-up within seconds. The devices are the Node
# feeder's (web/e2e/feeder.mjs), whose values are seeded and whose frames
# follow HJ 212-2017, so the tests do not depend on another tool's timing;
# it sends real-time data every second.
export DEMO_LIB=1 DEMO_ENTERPRISES=${E2E_ENTERPRISES:-30} DEMO_SPEED=${E2E_SPEED:-10} DEMO_SEED=212 DEMO_FEEDER=node
# shellcheck source=demo.sh
. scripts/demo.sh
pw=$(DEMO_PASSWORD= demo_password)
demo_setup "$bin" "$dir" "$pw"
demo_serve "$bin" "$dir" 127.0.0.1:0 127.0.0.1:0
demo_simulate "$bin" "$dir" "$GATEWAY_ADDR"
echo "e2e: server http://$HTTP_ADDR/, gateway $GATEWAY_ADDR"

export ECOWATCH_URL="http://$HTTP_ADDR" ECOWATCH_E2E_PASSWORD="$pw"
ECOWATCH_E2E_ENTERPRISE=$(cat "$dir/enterprise") ECOWATCH_E2E_OTHER_ENTERPRISE=$(cat "$dir/other-enterprise")
export ECOWATCH_E2E_ENTERPRISE ECOWATCH_E2E_OTHER_ENTERPRISE
cd web
# E2E_TESTS narrows the run to some files, e.g. E2E_TESTS=e2e/alarms.test.mjs.
# shellcheck disable=SC2086
timeout 600 node --test --test-concurrency=1 --test-reporter=spec ${E2E_TESTS:-e2e/}
