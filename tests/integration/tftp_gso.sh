#!/bin/bash
# mb-tftp sends a window of DATA packets with one UDP GSO sendmsg, and falls back to one send per
# packet when the kernel refuses it (here: a loopback MTU smaller than one DATA packet). Both in a
# private network namespace; atftp downloads with windowsize 4 must be byte-identical, and the
# server's stop line must show which path was taken. Needs root.
set -u
MB_BIN=${MB_BIN:-build/tools}
TOOL=$(cd "$MB_BIN" 2>/dev/null && pwd)/mb-tftp
[ -x "$TOOL" ] || { echo "SKIP: $TOOL not built" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespace)" >&2; exit 77; }
command -v atftp >/dev/null || { echo "FAIL: atftp is not installed (packaging/extra-packages.txt)" >&2; exit 1; }
NS=mbtgso$$
WORK=$(mktemp -d /tmp/mbt-tftp-gso-XXXXXX)
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/root/tftp"
head -c 1000003 /dev/urandom > "$WORK/root/tftp/odd.bin"
head -c $((1468 * 8)) /dev/urandom > "$WORK/root/tftp/exact.bin"  # ends with an empty DATA
ip netns add "$NS" || { echo "FAIL: cannot create a network namespace"; exit 1; }
FAILS=0
# run MTU: start the server in the namespace with that loopback MTU, download, stop, print the log.
run() {
    ip netns exec "$NS" bash -s "$1" "$TOOL" "$WORK" <<'IN'
mtu=$1; tool=$2; w=$3
ip link set lo up mtu "$mtu"
rm -f "$w/port" "$w/log"
"$tool" --root "$w/root" --log-level debug serve --listen 127.0.0.1 --port 0 --port-file "$w/port" 2> "$w/log" &
pid=$!
for _ in $(seq 100); do [ -s "$w/port" ] && break; sleep 0.05; done
for f in odd.bin exact.bin; do
    rm -f "$w/out"
    atftp --option "blksize 1468" --option "windowsize 4" -g -r "$f" -l "$w/out" 127.0.0.1 "$(cat "$w/port")" >/dev/null 2>&1
    cmp -s "$w/out" "$w/root/tftp/$f" && echo "same $f" || echo "DIFFERS $f"
done
kill "$pid"; wait "$pid"
IN
}
check() {  # check MTU PATTERN DESCRIPTION
    local out
    out=$(run "$1")
    if [ "$(grep -c '^same' <<<"$out")" -eq 2 ] && grep -q -- "$2" "$WORK/log"; then
        echo "ok   $3"
    else
        echo "FAIL: $3"; echo "$out"; tail -5 "$WORK/log"; FAILS=$((FAILS + 1))
    fi
}
check 65536 ' [1-9][0-9]* GSO sends (0 transfers without GSO)' "MTU 65536: windows sent with UDP GSO, downloads identical"
check 1400 ' 0 GSO sends (2 transfers without GSO)' "MTU 1400: GSO refused, packet by packet, downloads identical"
grep -q "UDP GSO refused" "$WORK/log" && echo "ok   the fallback is logged" || { echo "FAIL: no fallback log line"; FAILS=$((FAILS + 1)); }
echo "$FAILS failures"
[ $FAILS -eq 0 ]
