#!/usr/bin/env bash
# Three processes doing 1,000 locked read-modify-write updates each on one state document lose no
# update; kill -9 at random points during writes always leaves a parseable document.
set -euo pipefail
WRITER="$MB_BUILD_DIR/tests/mb-test-state-writer"
# tmpfs: the test is about locking and atomicity, not about the disk's fsync latency
root=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$root"' EXIT

"$WRITER" "$root" devices/dc-a6-32-01-02-03.json 1000 & p1=$!
"$WRITER" "$root" devices/dc-a6-32-01-02-03.json 1000 & p2=$!
"$WRITER" "$root" devices/dc-a6-32-01-02-03.json 1000 & p3=$!
wait $p1 $p2 $p3
doc="$root/state/test/devices/dc-a6-32-01-02-03.json"
count=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["count"])' "$doc")
if [ "$count" != 3000 ]; then
  echo "FAIL: expected 3000 updates, found $count (lost updates)"
  exit 1
fi
echo "ok: 3 x 1000 concurrent updates -> count $count"

# kill -9 while writing 256 KiB documents; every surviving version must parse.
killed=0
for round in $(seq 1 40); do
  "$WRITER" "$root" big.json 100000 262144 & pid=$!
  sleep "0.0$(( (RANDOM % 9) + 1 ))"
  kill -9 $pid 2>/dev/null && killed=$((killed + 1))
  wait $pid 2>/dev/null || true
  if [ -f "$root/state/test/big.json" ]; then
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["payload"]) == 262144' \
      "$root/state/test/big.json" || { echo "FAIL: torn document after kill -9 in round $round"; exit 1; }
  fi
done
echo "ok: $killed kill -9 interruptions, document always complete"
echo "1 passed, 0 failed"
