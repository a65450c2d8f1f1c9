#!/bin/bash
# mb-dhcp full mode probes an address with ICMP echo before offering it (dhcp.ping_check, on by
# default): a squatter in its own namespace holds 10.99.0.10 of a two-address pool without a
# lease; udhcpc (ALWAYS -s /bin/true) must be offered 10.99.0.11. Control: with --no-ping-check
# the same client is offered the squatted 10.99.0.10 (so the check is what makes the difference).
# Namespaces and the bridge are created here and deleted on exit.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces (CI runs as root)" >&2; exit 77; }
MB="${MB_BIN:?MB_BIN not set}/mb-dhcp"
command -v udhcpc >/dev/null || fail "udhcpc missing (package udhcpc)"
T="mbp$$"
S="${T}s"; C="${T}c"; Q="${T}q"
ip netns add "${T}probe" 2>/dev/null || { echo "SKIP: kernel lacks network namespaces" >&2; exit 77; }
ip netns del "${T}probe"
TMP=$(mktemp -d /tmp/mbtdhcp-p.XXXXXX)
cleanup() {
    for ns in "$S" "$C" "$Q"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    if [ "${KEEP:-0}" = 1 ]; then echo "logs in $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
ip netns add "$S"; ip netns add "$C"; ip netns add "$Q"
ip -n "$S" link add br0 type bridge; ip -n "$S" addr add 10.99.0.1/16 dev br0; ip -n "$S" link set br0 up
for peer in "$C" "$Q"; do
    ip link add "${peer}x" type veth peer name "${peer}y"
    ip link set "${peer}x" netns "$S"; ip link set "${peer}y" netns "$peer"
    ip -n "$S" link set "${peer}x" master br0; ip -n "$S" link set "${peer}x" up; ip -n "$peer" link set "${peer}y" up
done
ip -n "$Q" addr add 10.99.0.10/16 dev "${Q}y"  # the squatter: a static address, no lease
ip -n "$C" link set "${C}y" address 52:54:00:00:70:01

run() {  # ROOT extra-serve-args... → prints the address udhcpc obtained
    local root=$1; shift
    : > "$TMP/mb.log"
    ip netns exec "$S" "$MB" --root "$root" serve --mode full -i br0 --pool 10.99.0.0/16,10.99.0.10,10.99.0.11 \
        --lease-time 600 --http-base-url http://10.99.0.1:8080 "$@" >>"$TMP/mb.log" 2>&1 &
    MBPID=$!
    for _ in $(seq 50); do grep -q "serving in full mode" "$TMP/mb.log" && break; sleep 0.1; done
    grep -q "serving in full mode" "$TMP/mb.log" || { cat "$TMP/mb.log" >&2; fail "mb-dhcp did not start"; }
    out=$(ip netns exec "$C" timeout 20 udhcpc -i "${C}y" -f -q -n -s /bin/true -t 4 -T 2 2>&1)
    kill -TERM "$MBPID"; wait "$MBPID" 2>/dev/null
    echo "$out" | sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p'
}

IP=$(run "$TMP/root1" --ping-timeout 300)
[ "$IP" = 10.99.0.11 ] || { cat "$TMP/mb.log"; fail "with ping check (default) the client got '$IP', not 10.99.0.11"; }
grep -q "10.99.0.10 answered a ping" "$TMP/mb.log" || { cat "$TMP/mb.log"; fail "no warning about the squatter"; }
grep -q "10.99.0.10" "$TMP/root1/state/dhcp/dnsmasq.leases.declined" || fail "squatted address not held in the declined list"
grep -q " 10.99.0.11 " "$TMP/root1/state/dhcp/dnsmasq.leases" || fail "lease of 10.99.0.11 not persisted"
ok "ping check on by default: squatted 10.99.0.10 skipped (warned, held), client got 10.99.0.11"

IP=$(run "$TMP/root2" --no-ping-check)
[ "$IP" = 10.99.0.10 ] || { cat "$TMP/mb.log"; fail "control: without ping check expected 10.99.0.10, got '$IP'"; }
grep -q "answered a ping" "$TMP/mb.log" && fail "control: probed although --no-ping-check"
ok "control: --no-ping-check offers the squatted 10.99.0.10"

mkdir -p "$TMP/root3"
printf 'dhcp:\n  ping_check: false\n' > "$TMP/root3/metal-boot.yaml"
IP=$(run "$TMP/root3")
[ "$IP" = 10.99.0.10 ] || { cat "$TMP/mb.log"; fail "dhcp.ping_check: false ignored (got '$IP')"; }
ok "dhcp.ping_check: false in metal-boot.yaml turns the probe off"
echo "all checks passed"
