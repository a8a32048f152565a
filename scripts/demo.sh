#!/usr/bin/env bash
# make demo: a live Hunan province on this machine in about a minute.
#
#   scripts/demo.sh BIN DIR     build first with `make build` (make demo does)
#
# Seeds Hunan (cities, the real air stations, departments, targets) in a
# throwaway data directory, imports the simulator's enterprises, outlets,
# water sections and devices, creates one demo account per role, starts
# `ecowatch serve` and `ecowatch simulate` (with faults on, so alarms appear)
# and prints the URL and the accounts. Ctrl-C stops everything it started.
#
# scripts/e2e.sh sources this file with DEMO_LIB=1 to reuse the set-up.
set -euo pipefail

# Demo settings; override from the environment.
: "${DEMO_HTTP_ADDR:=127.0.0.1:8080}"      # where the browser goes
: "${DEMO_GATEWAY_ADDR:=127.0.0.1:9212}"   # where the simulated devices connect
: "${DEMO_ENTERPRISES:=300}"               # simulated devices (outlets of as many enterprises, stations) across the 14 cities
: "${DEMO_SPEED:=1}"                       # simulator clock speed (1 = real time)
: "${DEMO_SEED:=2020}"                     # same seed, same devices and values
: "${DEMO_PASSWORD:=}"                     # demo accounts' password; random when empty
: "${DEMO_FEEDER:=}"                       # "node": use web/e2e/feeder.mjs even when `ecowatch simulate` exists

feeder="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web/e2e/feeder.mjs"

# use_simulate: the devices come from `ecowatch simulate` (issue 5) when the
# binary has it; otherwise from the small Node feeder the browser tests use.
use_simulate() { [ "$DEMO_FEEDER" != node ] && has_command "$1" simulate; }

# demo_roles: username role region enterprise(credit code, "-" none) display name
demo_roles() {
  cat <<'ROLES'
admin admin - - 系统管理员
province province 430000 - 省厅监管员
changsha city 430100 - 长沙市生态环境局
officer enforcement 430100 - 长沙市执法人员
ROLES
}

die() { echo "demo: $*" >&2; exit 1; }

# has_command BIN NAME: the binary has that subcommand (other parts of the
# system land in their own time; say clearly which one is missing).
has_command() { "$1" help 2>&1 | grep "^  $2 " >/dev/null; }

# demo_password: a password the account rules accept (10+ characters, three
# of upper case, lower case, digits, symbols), printed once to the operator.
demo_password() {
  if [ -n "$DEMO_PASSWORD" ]; then echo "$DEMO_PASSWORD"; return; fi
  echo "Demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
}

# demo_setup BIN DIR PASSWORD: seed, import the simulated registry, create
# the accounts. Writes DIR/enterprise (credit code of the enterprise user's
# enterprise) and DIR/other-enterprise (one they may not see).
demo_setup() {
  local bin=$1 dir=$2 pw=$3
  mkdir -p "$dir"
  has_command "$bin" user || die "this build has no 'ecowatch user': cannot create demo accounts"
  echo "demo: seeding Hunan into $dir"
  "$bin" seed hunan --data-dir "$dir" >/dev/null
  # The seeded points (the real air stations), before anything else is
  # imported: the feeder gives each of them a device.
  "$bin" registry list points --json --data-dir "$dir" >"$dir/points.json"
  ! has_command "$bin" plan || { "$bin" plan seed --year 2020 --data-dir "$dir" >/dev/null && "$bin" emergency seed-demo --data-dir "$dir" >/dev/null; }
  echo "demo: simulated registry ($DEMO_ENTERPRISES enterprises with outlets and devices)"
  if use_simulate "$bin"; then
    # limits after devices: the outlets' emission limits, so their charts
    # have limit lines.
    for t in enterprises points devices limits; do
      "$bin" simulate --devices "$DEMO_ENTERPRISES" --seed "$DEMO_SEED" --print-registry "$t" >"$dir/registry-$t.csv"
    done
    "$bin" registry import --data-dir "$dir" "$dir"/registry-{enterprises,points,devices,limits}.csv >/dev/null
    # The real air stations seeded above get devices from the feeder, which
    # sends their last 24 hours at once: the map is coloured within a minute.
    node "$feeder" registry "$dir/stations" 0 "$DEMO_SEED" "$dir/points.json"
    "$bin" registry import --data-dir "$dir" "$dir/stations/registry-3-devices.csv" >/dev/null
  else
    echo "demo: devices from web/e2e/feeder.mjs (ecowatch simulate not used)"
    node "$feeder" registry "$dir" "$DEMO_ENTERPRISES" "$DEMO_SEED" "$dir/points.json"
    "$bin" registry import --data-dir "$dir" "$dir"/registry-*.csv >/dev/null
  fi
  # Targets (issue 8): the real Changsha release of 2019-12…2020-06, and the other 13 cities derived from it (labelled simulated).
  "$bin" import cnemc --simulate-others --data-dir "$dir" "$(dirname "${BASH_SOURCE[0]}")/../targets/cnemc/testdata/changsha-hourly-2019-12-to-2020-06.csv" 2>"$dir/import-cnemc.log" || die "import cnemc failed (log: $dir/import-cnemc.log)"
  # Two enterprises from the imported registry: the enterprise user's own
  # and another one (the browser tests check the second is refused).
  "$bin" registry list enterprises --json --data-dir "$dir" >"$dir/enterprises.json"
  local codes
  codes=$(grep -o '"CreditCode": *"[^"]*"' "$dir/enterprises.json" | sed 's/.*"\([^"]*\)"$/\1/' | sed -n 1,2p)
  [ "$(echo "$codes" | wc -l)" -eq 2 ] || die "the import gave fewer than two enterprises"
  echo "$codes" | sed -n 1p >"$dir/enterprise"
  echo "$codes" | sed -n 2p >"$dir/other-enterprise"
  if has_command "$bin" case; then "$bin" case demo --data-dir "$dir" >/dev/null; fi # demonstration cases (issue 7)
  "$bin" alarm set --data-dir "$dir" flag-too-long for=30s >/dev/null # demo: the simulator's fault flags (D) alarm within a minute, not 2 h
  { demo_roles; echo "enterprise enterprise - $(cat "$dir/enterprise") 企业用户"; } |
    while read -r user role region ent name; do
      args=(user add "$user" --data-dir "$dir" --role "$role" --display-name "$name")
      [ "$region" = - ] || args+=(--region "$region")
      [ "$ent" = - ] || args+=(--enterprise "$ent")
      # The password goes in on standard input, never on a command line.
      echo "$pw" | "$bin" "${args[@]}" >/dev/null || die "could not create account $user"
    done
  if has_command "$bin" inspect; then for o in officer officer2; do "$bin" inspect officer "$o" --name "长沙市执法人员 $o" --region 430100 --certificate "湘执-$o" --data-dir "$dir" >/dev/null || die "could not add inspector $o"; done; fi
}

# demo_serve BIN DIR HTTP GATEWAY: start the server in the background, wait
# until it listens, and set SERVE_PID, HTTP_ADDR and GATEWAY_ADDR from its
# log (port 0 picks free ports).
demo_serve() {
  local bin=$1 dir=$2
  "$bin" serve --data-dir "$dir" --http-addr "$3" --gateway-addr "$4" 2>"$dir/serve.log" &
  SERVE_PID=$!
  for _ in $(seq 1 100); do
    if line=$(grep -m1 '"ecowatch serving"' "$dir/serve.log" 2>/dev/null); then
      HTTP_ADDR=$(echo "$line" | sed 's/.*"http_addr":"\([^"]*\)".*/\1/')
      GATEWAY_ADDR=$(echo "$line" | sed 's/.*"gateway_addr":"\([^"]*\)".*/\1/')
      HTTP_ADDR=${HTTP_ADDR/#\[::\]/127.0.0.1}; GATEWAY_ADDR=${GATEWAY_ADDR/#\[::\]/127.0.0.1}
      return 0
    fi
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$dir/serve.log" >&2; die "ecowatch serve exited"; }
    sleep 0.1
  done
  die "ecowatch serve did not start within 10 s (log: $dir/serve.log)"
}

# demo_simulate BIN DIR GATEWAY: the simulated devices, with faults on so
# alarms, offline devices and flagged values appear. Sets SIM_PIDS.
demo_simulate() {
  local bin=$1 dir=$2
  if use_simulate "$bin"; then
    # One device in ten gets faults: exceedances, flat-lined values and
    # the fault flag D, so alarms and flagged values appear.
    "$bin" simulate --addr "$3" --devices "$DEMO_ENTERPRISES" --seed "$DEMO_SEED" --speed "$DEMO_SPEED" \
      --faults exceed,flat,flag=D --faulty $((DEMO_ENTERPRISES / 10)) 2>"$dir/simulate.log" &
    SIM_PIDS=$!
    node "$feeder" run "$3" "$dir/stations" 1 2>"$dir/stations.log" &
    SIM_PIDS="$SIM_PIDS $!"
  else
    node "$feeder" run "$3" "$dir" "$DEMO_SPEED" 2>"$dir/simulate.log" &
    SIM_PIDS=$!
  fi
}

[ "${DEMO_LIB:-}" = 1 ] && return 0

bin=${1:?usage: demo.sh BIN DIR}
dir=${2:?usage: demo.sh BIN DIR}
rm -rf "$dir"
pw=$(demo_password)
demo_setup "$bin" "$dir" "$pw"

SERVE_PID= SIM_PIDS=
stop() {
  trap - INT TERM EXIT
  echo; echo "demo: stopping"
  for p in $SIM_PIDS; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  exit 0
}
trap stop INT TERM EXIT
demo_serve "$bin" "$dir" "$DEMO_HTTP_ADDR" "$DEMO_GATEWAY_ADDR"
demo_simulate "$bin" "$dir" "$GATEWAY_ADDR"

cat <<MSG

  ecowatch is running: http://$HTTP_ADDR/
  HJ 212 gateway (devices connect here): $GATEWAY_ADDR

  Demo accounts (password for all: $pw)
    admin       系统管理员 administrator
    province    省厅监管   province supervisor
    changsha    市局       city officer of 长沙 430100
    officer     执法人员   enforcement officer, 430100
    enterprise  企业用户   enterprise user of $(cat "$dir/enterprise")
    (no account: the public sees the province air map)

  Logs: $dir/serve.log, $dir/simulate.log. Ctrl-C stops everything.
MSG
wait "$SERVE_PID"
