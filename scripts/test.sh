#!/usr/bin/env bash
# The test command: starts what the tests need (a Redis Cluster, DynamoDB Local), runs the
# unit, conformance and end-to-end tests once, then the end-to-end tests again against each
# further store, and ends with one line "N passed, N failed" summed over every round.
set -uo pipefail
cd "$(dirname "$0")/.."
summary=$(mktemp)
# Preflight: the tests run real services; say exactly what to install when one is missing.
missing=()
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
/usr/bin/python3 -c 'import grpc' 2>/dev/null || missing+=(python3-grpcio)
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || missing+=(python3-protobuf)
/usr/bin/python3 -c 'import setuptools' 2>/dev/null || missing+=(python3-setuptools)
/usr/bin/python3 -c 'import wheel' 2>/dev/null || missing+=(python3-wheel)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v openssl >/dev/null || missing+=(openssl)
# The console's browser test drives Debian's chromium (playwright-core never downloads one).
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "npm test needs: ${missing[*]}. Install with: sudo apt-get install ${missing[*]}" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

trap 'rm -f "$summary"' EXIT

# round NAME [env assignments...] -- ava args...: one ava run whose counts are added up.
round() {
  local name=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  echo "== $name"
  local out
  out=$(env "${envs[@]}" npx ava --tap "$@" 2>&1 | tee -a /dev/stderr)
  local pass fail
  pass=$(printf '%s\n' "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -1)
  fail=$(printf '%s\n' "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -1)
  # A round that crashed before reporting counts as one failure, never as silence.
  if [ -z "$pass" ]; then pass=0; fail=$(( ${fail:-0} + 1 )); fi
  echo "$name ${pass} ${fail:-0}" >> "$summary"
}

# Redis: a 3-master Redis Cluster started once for every round, stopped when this script exits
# (test/support/redis-cluster.ts); the machine's Redis on 6379 when it answers, else one started
# here. Without redis-server the Redis tests fail saying `apt-get install redis-server`.
redis_dir=$(mktemp -d)
trap 'node --import=tsx test/support/redis-cluster.ts stop "$redis_dir/cluster" 2>/dev/null;
  node --import=tsx test/support/redis-cluster.ts stop "$redis_dir/single" 2>/dev/null;
  rm -rf "$summary" "$redis_dir"' EXIT
if cluster_url=$(node --import=tsx test/support/redis-cluster.ts start "$redis_dir/cluster"); then
  export PARTITURA_TEST_REDIS_CLUSTER=$cluster_url
fi
if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; then
  export PARTITURA_TEST_REDIS=redis://127.0.0.1:6379
elif single_url=$(node --import=tsx test/support/redis-cluster.ts start-single "$redis_dir/single"); then
  export PARTITURA_TEST_REDIS=$single_url
fi

# DynamoDB Local, one emulator for every round (scripts/dynamodb-local.sh fetches it once into
# .cache/); its watchdog stops it when this script exits. If it cannot start (no java), the
# DynamoDB tests fail with the reason instead of being skipped.
if dynamodb_local=$(bash scripts/dynamodb-local.sh start $$); then
  export PARTITURA_TEST_DYNAMODB="dynamodb://partitura?region=local&endpoint=http://127.0.0.1:${dynamodb_local#* }"
fi

round "all tests (SQLite)" PARTITURA_TEST_STORE=sqlite -- 
round "end-to-end (Redis)" PARTITURA_TEST_STORE="${PARTITURA_TEST_REDIS:-redis-did-not-start}" -- 'test/e2e/**/*.test.ts'
round "end-to-end (Redis Cluster)" PARTITURA_TEST_STORE="${PARTITURA_TEST_REDIS_CLUSTER:-redis-cluster-did-not-start}" -- 'test/e2e/**/*.test.ts'
round "end-to-end (DynamoDB Local)" PARTITURA_TEST_STORE="${PARTITURA_TEST_DYNAMODB:-dynamodb-local-did-not-start}" -- 'test/e2e/**/*.test.ts'

passed=$(awk '{p+=$(NF-1)} END {print p+0}' "$summary")
failed=$(awk '{f+=$NF} END {print f+0}' "$summary")
echo
cat "$summary" | awk '{printf "  %-40s passed %s, failed %s\n", substr($0, 1, length($0)-length($(NF-1))-length($NF)-2), $(NF-1), $NF}'
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
