#!/usr/bin/env bash
# Throughput of the scaled deployment against the embedded one, measured in
# the same run on this machine (README "Scaled deployment"):
#
#   1. ecowatch serve with the embedded SQLite store and the in-process bus;
#   2. ecowatch gateway + ecowatch worker, one NATS JetStream server (R1,
#      the server's default sync interval) and PostgreSQL;
#   3. the same with the NATS server syncing every write (sync_interval:
#      always), when SYNC=1.
#
# Each run registers the same CONNS simulated devices and loads the gateway
# with `ecowatch bench gateway` for DURATION; the bench prints frames/s and,
# for the scaled runs, the CPU each process spent per acknowledged frame and
# the bytes the stream holds per frame.
#
# Settings: CONNS (2000), WINDOW (1: frames in flight per connection),
# DURATION (20s), PG (postgres://postgres@127.0.0.1:5432/test),
# SYNC (0), BIN (built here). The NATS server is scripts/natsd, nats-server
# from the module the tests use, so sync_interval: always is available
# whatever the machine's packaged server is.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-2000}
WINDOW=${WINDOW:-1}
DURATION=${DURATION:-20s}
PG=${PG:-postgres://postgres@127.0.0.1:5432/test}
SYNC=${SYNC:-0}
work=$(mktemp -d)
pids=()
schemas=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for s in "${schemas[@]}"; do psql -q "$PG" -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT

BIN=${BIN:-$work/ecowatch}
go build -o "$BIN" ./cmd/ecowatch
go build -o "$work/natsd" ./scripts/natsd

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
	for _ in $(seq 1 300); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench-scaled: nothing listens on port $1" >&2
	exit 1
}

for t in enterprises points devices; do
	"$BIN" simulate --devices "$CONNS" --print-registry "$t" >"$work/$t.csv"
done
common=(--max-conns-per-addr 20000 --max-frame-rate -1 --backfill=false --clock-drift=-1s --retention off --log-level warn)
bench=(bench gateway --conns "$CONNS" --window "$WINDOW" --mn-prefix SIM --duration "$DURATION")

echo "== embedded: ecowatch serve (SQLite, in-process bus)"
"$BIN" seed hunan --data-dir "$work/data" >/dev/null
"$BIN" registry import --data-dir "$work/data" "$work/enterprises.csv" "$work/points.csv" "$work/devices.csv" >/dev/null
port=$(free_port)
"$BIN" serve --data-dir "$work/data" --gateway-addr "127.0.0.1:$port" --http-addr 127.0.0.1:0 "${common[@]}" &
serve=$!
pids+=("$serve")
wait_port "$port"
"$BIN" "${bench[@]}" --addr "127.0.0.1:$port" --server-pid "$serve" --pids "serve=$serve"
kill "$serve"
wait "$serve" 2>/dev/null || true

# scaled NAME [NATSD_FLAG…]: one NATS server, PostgreSQL, a gateway and a worker.
scaled() {
	local name=$1
	shift
	local schema="ecowatch_bench_$$_$name"
	psql -q "$PG" -c "CREATE SCHEMA $schema" >/dev/null
	schemas+=("$schema")
	local sep='?'
	case $PG in *\?*) sep='&' ;; esac
	local url="$PG${sep}search_path=$schema"
	"$BIN" seed hunan --postgres "$url" >/dev/null
	"$BIN" registry import --postgres "$url" "$work/enterprises.csv" "$work/points.csv" "$work/devices.csv" >/dev/null

	local np gp
	np=$(free_port)
	gp=$(free_port)
	mkdir -p "$work/nats-$name"
	"$work/natsd" -port "$np" -store "$work/nats-$name" "$@" >"$work/nats-$name.log" 2>&1 &
	local nats=$!
	pids+=("$nats")
	wait_port "$np"
	local nurl="nats://127.0.0.1:$np"
	local args=(--postgres "$url&application_name=ecowatch-bench" --nats "$nurl" "${common[@]}")
	"$BIN" worker "${args[@]}" --http-addr 127.0.0.1:0 &
	local worker=$!
	pids+=("$worker")
	"$BIN" gateway "${args[@]}" --gateway-addr "127.0.0.1:$gp" --http-addr 127.0.0.1:0 &
	local gw=$!
	pids+=("$gw")
	wait_port "$gp"
	sleep 1
	# PostgreSQL's backends serving this installation (the worker's pool
	# and the gateway's registry reads), by application_name.
	local pg
	pg=$(psql -qtA "$PG" -c "SELECT string_agg('postgres=' || pid, ',') FROM pg_stat_activity WHERE application_name = 'ecowatch-bench'")
	"$BIN" "${bench[@]}" --addr "127.0.0.1:$gp" --server-pid "$gw" \
		--pids "gateway=$gw,worker=$worker,nats=$nats${pg:+,$pg}" --nats "$nurl"
	# In the order of a planned stop: devices' side first, the bus last.
	kill "$gw"
	wait "$gw" 2>/dev/null || true
	kill "$worker"
	wait "$worker" 2>/dev/null || true
	kill "$nats"
	wait "$nats" 2>/dev/null || true
}

echo
echo "== scaled: ecowatch gateway + worker, one JetStream server (default sync), PostgreSQL"
scaled r1

if [ "$SYNC" = 1 ]; then
	echo
	echo "== scaled, per-write sync: the JetStream server with sync_interval: always"
	scaled sync -sync
fi
