#!/bin/bash
# mb-tftp sends a window of DATA packets with one UDP GSO sendmsg, and falls back to one send per
# packet when the kernel refuses it (here: a loopback MTU smaller than one DATA packet). On loopback
# and across a veth pair with Ethernet's MTU (1500 = one 1468-byte block + headers), each in private
# network namespaces; atftp downloads with windowsize 4 must be byte-identical, and the server's
# stop line must show which path was taken. Needs root.
set -u
MB_BIN=${MB_BIN:-build/tools}
TOOL=$(cd "$MB_BIN" 2>/dev/null && pwd)/mb-tftp
[ -x "$TOOL" ] || { echo "SKIP: $TOOL not built" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespace)" >&2; exit 77; }
command -v atftp >/dev/null || { echo "FAIL: atftp is not installed (packaging/extra-packages.txt)" >&2; exit 1; }
NS=mbtgso$$
NS2=mbtgsoc$$
WORK=$(mktemp -d /tmp/mbt-tftp-gso-XXXXXX)
cleanup() {
    ip netns del "$NS" 2>/dev/null
    ip netns del "$NS2" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/root/tftp"
head -c 1000003 /dev/urandom > "$WORK/root/tftp/odd.bin"
head -c $((1468 * 8)) /dev/urandom > "$WORK/root/tftp/exact.bin"  # ends with an empty DATA
ip netns add "$NS" || { echo "FAIL: cannot create a network namespace"; exit 1; }
FAILS=0
# run MTU [ADDRESS CLIENT_NS]: the server in $NS (loopback MTU set to MTU) listening on ADDRESS
# (127.0.0.1), atftp in CLIENT_NS (the same namespace) downloads both files; prints same/DIFFERS.
run() {
    local addr=${2:-127.0.0.1} cns=${3:-$NS}
    ip -n "$NS" link set lo up mtu "$1"
    rm -f "$WORK/port" "$WORK/log"
    ip netns exec "$NS" "$TOOL" --root "$WORK/root" --log-level debug serve --listen "$addr" --port 0 \
        --port-file "$WORK/port" 2> "$WORK/log" &
    local pid=$!
    for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
    for f in odd.bin exact.bin; do
        rm -f "$WORK/out"
        ip netns exec "$cns" atftp --option "blksize 1468" --option "windowsize 4" -g -r "$f" -l "$WORK/out" \
            "$addr" "$(cat "$WORK/port")" >/dev/null 2>&1
        cmp -s "$WORK/out" "$WORK/root/tftp/$f" && echo "same $f" || echo "DIFFERS $f"
    done
    kill "$pid"
    wait "$pid"
}
check() {  # check MTU PATTERN DESCRIPTION [ADDRESS CLIENT_NS]
    local out
    out=$(run "$1" "${4:-}" "${5:-}")
    if [ "$(grep -c '^same' <<<"$out")" -eq 2 ] && grep -q -- "$2" "$WORK/log"; then
        echo "ok   $3"
    else
        echo "FAIL: $3"; echo "$out"; tail -5 "$WORK/log"; FAILS=$((FAILS + 1))
    fi
}
check 65536 ' [1-9][0-9]* GSO sends (0 transfers without GSO)' "MTU 65536: windows sent with UDP GSO, downloads identical"
check 1400 ' 0 GSO sends (2 transfers without GSO)' "MTU 1400: GSO refused, packet by packet, downloads identical"
grep -q "UDP GSO refused" "$WORK/log" && echo "ok   the fallback is logged" || { echo "FAIL: no fallback log line"; FAILS=$((FAILS + 1)); }
# Across a veth pair (MTU 1500) to a client in another namespace: the segments leave through a
# device and arrive as separate datagrams.
ip netns add "$NS2" && ip link add mbtg0 netns "$NS" type veth peer name mbtg1 netns "$NS2" &&
    ip -n "$NS" addr add 10.201.77.1/24 dev mbtg0 && ip -n "$NS" link set mbtg0 up mtu 1500 &&
    ip -n "$NS2" addr add 10.201.77.2/24 dev mbtg1 && ip -n "$NS2" link set mbtg1 up mtu 1500 &&
    ip -n "$NS2" link set lo up || { echo "FAIL: cannot set up the veth pair"; exit 1; }
check 65536 ' [1-9][0-9]* GSO sends (0 transfers without GSO)' \
    "veth, MTU 1500: windows sent with UDP GSO to another namespace, downloads identical" 10.201.77.1 "$NS2"
echo "$FAILS failures"
[ $FAILS -eq 0 ]
