#!/usr/bin/env bash
# The shared daemon lifecycle: an invalid tree at start exits 78 with the reason; edits are applied
# without a restart; a broken edit is reported and the last good version stays; SIGHUP reloads;
# SIGTERM stops gracefully with exit 0; sd_notify READY/STOPPING reach NOTIFY_SOCKET.
set -uo pipefail
D="$MB_BUILD_DIR/tests/mb-test-daemon"
root=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$root"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
wait_for() {  # wait_for PATTERN FILE: up to 5 s
  for _ in $(seq 1 50); do grep -q "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

t="$root/tree"; mkdir -p "$t/devices"
printf 'dhcp:\n  mode: bogus\n' > "$t/metal-boot.yaml"
"$D" --root "$t" serve 2>"$root/err"; rc=$?
[ $rc = 78 ] && grep -q "metal-boot.yaml:2: dhcp.mode: expected one of proxy, full, got 'bogus'" "$root/err" \
  && ok "invalid tree at start: exit 78 with the reason" || bad "start with invalid tree: rc=$rc $(cat "$root/err")"

printf 'dhcp:\n  mode: proxy\n' > "$t/metal-boot.yaml"
/usr/bin/python3 - "$root/notify" > "$root/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", " "), flush=True)
        if "STOPPING=1" in msg:
            break
except socket.timeout:
    pass
PY
listener=$!
sleep 0.3
NOTIFY_SOCKET="$root/notify" "$D" --root "$t" serve 2>"$root/log" & pid=$!
wait_for "started with 0 devices" "$root/log" && ok "started" || bad "no start: $(cat "$root/log")"
wait_for "READY=1" "$root/notify.log" && ok "sd_notify READY=1" || bad "no READY=1"

printf 'name: rpi-01\n' > "$t/devices/dc-a6-32-01-02-03.yaml"
wait_for "applied 1 devices" "$root/log" && ok "a new device file is applied without restart" || bad "no reload: $(cat "$root/log")"

printf 'netboot: [\n' > "$t/devices/dc-a6-32-01-02-04.yaml"
wait_for "last good version stays in force.*dc-a6-32-01-02-04.yaml:2" "$root/log" \
  && ok "broken edit reported with file and line; last good kept" || bad "broken edit: $(cat "$root/log")"
kill -0 $pid && ok "still running after a broken edit" || bad "daemon died on a broken edit"

rm "$t/devices/dc-a6-32-01-02-04.yaml"
printf 'name: rpi-02\n' > "$t/devices/dc-a6-32-01-02-05.yaml"
wait_for "applied 2 devices" "$root/log" && ok "recovers once the file is fixed" || bad "no recovery: $(cat "$root/log")"

kill -HUP $pid
wait_for "SIGHUP" "$root/log" && ok "SIGHUP reloads" || bad "no SIGHUP reload"

kill -TERM $pid; wait $pid; rc=$?; pid=""
[ $rc = 0 ] && ok "SIGTERM: graceful stop, exit 0" || bad "SIGTERM exit $rc"
grep -q "stop requested" "$root/log" && ok "stop callback ran" || bad "no stop callback"
wait $listener 2>/dev/null
grep -q "STOPPING=1" "$root/notify.log" && ok "sd_notify STOPPING=1" || bad "no STOPPING=1: $(cat "$root/notify.log")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
