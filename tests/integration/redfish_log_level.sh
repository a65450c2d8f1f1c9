#!/bin/bash
# mb-redfish applies metal-boot.yaml's log.level (the daemon loads the tree itself): at `warn` no
# access-log line per request; after a reload to `info` (SIGHUP) one line per request; and
# --log-level on the command line wins over the file.
set -u
BIN=${MB_BIN:?}/mb-redfish
[ -x "$BIN" ] || BIN=${MB_BIN}/mb-redfish/mb-redfish
command -v curl >/dev/null || { echo "SKIP: curl missing" >&2; exit 77; }
LAB=$(mktemp -d /tmp/mbtrflog.XXXXXX)
RF_PID=
cleanup() { [ -n "$RF_PID" ] && kill "$RF_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$LAB"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$LAB"/*.log >&2; exit 1; }
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTPS=$(port)
HTTP=$(port)
mkdir -p "$LAB/root/devices"
conf() {  # conf LEVEL
    cat >"$LAB/root/metal-boot.yaml" <<CONF
log: {level: $1}
redfish:
  address: 127.0.0.1
  port: $HTTPS
  http_port: $HTTP
  users: [{name: admin, password: admin-pass, role: Administrator}]
CONF
}
start() {  # start LOG [args...]
    "$BIN" --root "$LAB/root" "${@:2}" serve 2>"$LAB/$1" &
    RF_PID=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$HTTP/redfish/v1/" && return; sleep 0.1; done
    fail "mb-redfish did not start"
}
get() { for _ in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$HTTP/redfish/v1/odata"; done; }
requests() { grep -c 'request.*target=/redfish/v1/odata' "$LAB/$1"; }

conf warn
start warn.log
get
[ "$(requests warn.log)" = 0 ] || fail "log.level warn: access-log lines were written"
conf info
kill -HUP "$RF_PID"
for _ in $(seq 50); do grep -q "reloaded" "$LAB/warn.log" 2>/dev/null && break; sleep 0.1; done
get
[ "$(requests warn.log)" = 3 ] || fail "after a reload to info: expected 3 access-log lines, got $(requests warn.log)"
kill "$RF_PID"; wait "$RF_PID" 2>/dev/null; RF_PID=
start cli.log --log-level warn  # the file says info
get
[ "$(requests cli.log)" = 0 ] || fail "--log-level warn did not win over log.level info"
echo "PASS: log.level from metal-boot.yaml applied at start and on reload; --log-level wins"
