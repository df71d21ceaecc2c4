#!/usr/bin/env bash
# Amazon's DynamoDB Local for the tests and the bench.
#
#   scripts/dynamodb-local.sh fetch             puts the emulator into .cache/ when absent
#   scripts/dynamodb-local.sh start [PARENT]    starts it on a free port, prints "PID PORT"
#   scripts/dynamodb-local.sh stop PID          stops what start started
#
# Where the jar comes from: the npm package amplify-dynamodb-simulator ships DynamoDB Local
# (emulator/DynamoDBLocal.jar and DynamoDBLocal_lib/). Installing that package would pull the
# Amplify CLI core and hundreds of other packages into every `npm install`; `npm pack` instead
# downloads its one tarball (about 57 MB) through the ordinary npm client (registry, proxy and
# cache settings apply, the integrity is checked, no install scripts run), and we keep only the
# emulator/ folder, once per machine, under .cache/ (gitignored). The version is pinned so every
# machine tests against the same emulator.
#
# The emulator runs in memory with -sharedDb (one database whatever the credentials and region,
# so two clients always see the same tables) and without telemetry (no network here). A
# watchdog stops it when PARENT (default: the caller) exits, even when the caller was killed
# before its own clean-up ran, so no JVM outlives a test run.
set -euo pipefail
cd "$(dirname "$0")/.."

version=2.9.30
cache=.cache/dynamodb-local/$version

fetch() {
  [ -f "$cache/DynamoDBLocal.jar" ] && return 0
  local tmp
  tmp=$(mktemp -d)
  echo "dynamodb-local: fetching amplify-dynamodb-simulator@$version (once) into $cache" >&2
  npm pack "amplify-dynamodb-simulator@$version" --pack-destination "$tmp" --silent >/dev/null
  tar xzf "$tmp"/amplify-dynamodb-simulator-*.tgz -C "$tmp" package/emulator
  mkdir -p "$(dirname "$cache")"
  # A rename is atomic: two runs fetching at once both succeed and one copy wins.
  mv -T "$tmp/package/emulator" "$cache" 2>/dev/null || [ -f "$cache/DynamoDBLocal.jar" ]
  rm -rf "$tmp"
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
  local parent=${1:-$PPID}
  if ! command -v java >/dev/null; then
    echo "dynamodb-local: java not found; DynamoDB Local needs Java 17: apt-get install openjdk-17-jre-headless" >&2
    exit 1
  fi
  fetch
  local port log pid
  port=$(free_port)
  log=$(mktemp -t dynamodb-local.XXXXXX.log)
  (cd "$cache" && exec java -Xmx512m -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    -inMemory -sharedDb -disableTelemetry -port "$port") >"$log" 2>&1 </dev/null &
  pid=$!
  # The watchdog: stops the emulator once the parent is gone.
  (while kill -0 "$parent" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
   kill "$pid" 2>/dev/null || true; sleep 1; rm -f "$log") >/dev/null 2>&1 </dev/null &
  disown -a
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$pid $port"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "dynamodb-local: did not start on port $port; its log ($log):" >&2
  cat "$log" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}

case "${1:-}" in
  fetch) fetch ;;
  start) start "${2:-}" ;;
  stop) kill "${2:?stop needs the PID that start printed}" 2>/dev/null || true ;;
  *) echo "usage: $0 fetch | start [PARENT_PID] | stop PID" >&2; exit 2 ;;
esac
