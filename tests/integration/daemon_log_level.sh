#!/bin/bash
# Every daemon applies metal-boot.yaml's log.level at start and again on reload, and --log-level
# on the command line wins over the file (common/daemon + common/log/settings). Checked on mb-http
# and mb-tftp, which share nothing but that daemon code: at `warn` a start writes no info lines;
# after a SIGHUP reload to `info` the reload is logged; `--log-level warn` silences a file's `info`.
set -u
command -v curl >/dev/null || { echo "SKIP: curl is not installed" >&2; exit 77; }
W=$(mktemp -d /tmp/mbt-loglevel.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$W"/*.log >&2; exit 1; }
R=$W/root
mkdir -p "$R/devices" "$R/tftp" "$R/http"
conf() { printf 'log:\n  level: %s\n' "$1" > "$R/metal-boot.yaml"; }
infos() { grep -c ' info: ' "$W/$1" || true; }

start() {  # start TOOL LOG [global args...]
    local tool=$1 log=$2
    shift 2
    rm -f "$W/ports"
    case $tool in
    mb-http) "$MB_BIN/mb-http" --root "$R" "$@" serve --listen 127.0.0.1:0 --log-port 0 --port-file "$W/ports" \
                 >"$W/$log" 2>&1 & ;;
    mb-tftp) "$MB_BIN/mb-tftp" --root "$R" "$@" serve --listen 127.0.0.1 --port 0 --port-file "$W/ports" \
                 >"$W/$log" 2>&1 & ;;
    esac
    PID=$!
    for _ in $(seq 100); do [ -s "$W/ports" ] && return; sleep 0.1; done
    fail "$tool did not start"
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=""; }

for tool in mb-http mb-tftp; do
    conf warn
    start "$tool" "$tool-warn.log"
    sleep 0.3
    [ "$(infos "$tool-warn.log")" = 0 ] || fail "$tool: log.level warn, yet info lines at start"
    conf info
    kill -HUP "$PID"
    for _ in $(seq 50); do grep -q 'reloaded' "$W/$tool-warn.log" && break; sleep 0.1; done
    grep -q ' info: .*reloaded' "$W/$tool-warn.log" || fail "$tool: after a reload to log.level info, no info line"
    stop
    start "$tool" "$tool-cli.log" --log-level warn  # the file says info
    sleep 0.3
    [ "$(infos "$tool-cli.log")" = 0 ] || fail "$tool: --log-level warn did not win over log.level info"
    stop
    echo "ok: $tool applies log.level at start and reload; --log-level wins"
done
echo "PASS"
