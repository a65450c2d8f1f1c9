#!/bin/bash
# mb-dhcp full mode against real clients and dnsmasq's lease file: udhcpc (plain and Pi-like,
# ALWAYS with -s /bin/true) gets leases; the dnsmasq-format lease file survives a restart; dnsmasq
# starts from our lease file and keeps the addresses; mb-dhcp reads dnsmasq's rewrite; the
# `leases` verbs edit it, also while the server is busy writing it. All inside network namespaces created (and deleted) here.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces (CI runs as root)" >&2; exit 77; }
MB="${MB_BIN:?MB_BIN not set}/mb-dhcp"
command -v udhcpc >/dev/null || fail "udhcpc missing (package udhcpc)"
command -v dnsmasq >/dev/null || fail "dnsmasq missing"
T="mbtdhcpu$$"
S="${T}s"; C="${T}c"
ip netns add "${T}probe" 2>/dev/null || { echo "SKIP: kernel lacks network namespaces" >&2; exit 77; }
ip netns del "${T}probe"
TMP=$(mktemp -d /tmp/mbtdhcp-u.XXXXXX)
TPID=""
cleanup() {
    touch "$TMP/stop-traffic"; [ -n "$TPID" ] && kill "$TPID" 2>/dev/null
    for ns in "$S" "$C"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    if [ "${KEEP:-0}" = 1 ]; then echo "logs in $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
ip netns add "$S"; ip netns add "$C"
ip link add "${T}a" type veth peer name "${T}b"
ip link set "${T}a" netns "$S"; ip link set "${T}b" netns "$C"
ip -n "$S" addr add 10.99.0.1/16 dev "${T}a"; ip -n "$S" link set "${T}a" up
ip -n "$C" link set "${T}b" address 52:54:00:12:34:56; ip -n "$C" link set "${T}b" up
ROOT="$TMP/root"; LEASES="$ROOT/state/dhcp/dnsmasq.leases"

start_mb() {
    : > "$TMP/mb.log"
    ip netns exec "$S" "$MB" --root "$ROOT" serve --mode full -i "${T}a" \
        --pool 10.99.0.0/16,10.99.0.10,10.99.0.20,10.99.0.1 --lease-time 600 --dns 10.99.0.1 \
        --http-base-url http://10.99.0.1:8080 >>"$TMP/mb.log" 2>&1 &
    MBPID=$!
    for _ in $(seq 50); do grep -q "serving in full mode" "$TMP/mb.log" && return 0; sleep 0.1; done
    cat "$TMP/mb.log"; fail "mb-dhcp did not start"
}
stop_mb() { kill -TERM "$MBPID"; wait "$MBPID" 2>/dev/null; }
client() {  # extra udhcpc args...
    ip netns exec "$C" timeout 20 udhcpc -i "${T}b" -f -q -n -s /bin/true -t 4 -T 1 "$@" 2>&1
}

start_mb
sleep 0.5
out=$(client -x hostname:node-a) || { echo "$out"; cat "$TMP/mb.log"; fail "udhcpc got no lease"; }
IP1=$(echo "$out" | sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p')
[ -n "$IP1" ] || { echo "$out"; fail "no lease line from udhcpc"; }
ok "udhcpc obtained $IP1 (plain client)"
echo "$out" | grep -q "lease time 600" || fail "lease time not 600: $out"
sleep 0.4
grep -q "^[0-9]* 52:54:00:12:34:56 $IP1 node-a " "$LEASES" || { cat "$LEASES"; fail "lease line missing"; }
ok "lease in dnsmasq format: $(grep 52:54:00:12:34:56 "$LEASES")"

# a Pi-like client (dhcp.md §10 recipe) with a Pi MAC
ip -n "$C" link set "${T}b" address dc:a6:32:01:ab:cd
out=$(client -C -V PXEClient:Arch:00000:UNDI:002001 -x 0x5d:0000 -x 0x5e:010201 \
      -x 0x61:00525069341131c00032010203cdab3412 -O 43 -O 60 -O 66 -O 67 -x hostname:pi-node01) \
    || { echo "$out"; fail "Pi-like udhcpc got no lease"; }
IP2=$(echo "$out" | sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p')
[ -n "$IP2" ] && [ "$IP2" != "$IP1" ] || fail "Pi-like client: bad lease '$IP2'"
ok "Pi-like udhcpc obtained $IP2"
grep -q "dc:a6:32:01:ab:cd.*pi-bootloader" "$TMP/mb.log" || fail "Pi DISCOVER not classified as pi-bootloader"
ok "Pi-like DISCOVER classified pi-bootloader"

# restart: leases survive, same client gets the same address again
stop_mb
start_mb
grep -q "2 lease(s) loaded" "$TMP/mb.log" || { cat "$TMP/mb.log"; fail "leases not reloaded after restart"; }
ok "2 leases reloaded after restart"
out=$(client -C -V PXEClient:Arch:00000:UNDI:002001 -x 0x5d:0000 -x 0x61:00525069341131c00032010203cdab3412)
echo "$out" | grep -q "lease of $IP2 obtained" || { echo "$out"; fail "Pi did not get $IP2 again"; }
ok "same address $IP2 after restart"

# leases verbs
"$MB" --json leases list --lease-file "$LEASES" > "$TMP/list.json" || fail "leases list"
/usr/bin/python3 -c "import json,sys; l=json.load(open('$TMP/list.json')); ips={x['ip'] for x in l}; sys.exit(0 if {'$IP1','$IP2'} <= ips else 1)" \
    || { cat "$TMP/list.json"; fail "leases list lacks the two leases"; }
ok "leases list --json"
# edited while the server runs and answers: `leases add|rm` take the lease file's lock, and the
# server merges what others changed under the same lock before each of its own writes (every
# ~100 ms here, as the busy client renews), so no edit is lost and no lease of the server either.
rm -f "$TMP/stop-traffic"
( n=0; while [ ! -e "$TMP/stop-traffic" ]; do
      client -C -x hostname:busy >/dev/null && n=$((n + 1)); echo "$n" > "$TMP/traffic.count"; done ) &
TPID=$!
sleep 0.5
for i in $(seq 1 24); do
    "$MB" leases add --lease-file "$LEASES" "52:54:00:aa:bb:$(printf %02x "$i")" "10.99.1.$i" --hostname "static$i" \
        || fail "leases add $i"
    if [ $((i % 4)) = 0 ]; then "$MB" leases rm --lease-file "$LEASES" "10.99.1.$((i - 1))" >/dev/null || fail "leases rm 10.99.1.$((i - 1)): the lease added just before is gone (overwritten by the server?)"; fi
done
check_edits() {  # $1 = when
    local missing="" extra=""
    for i in $(seq 1 24); do
        if [ $((i % 4)) = 3 ]; then
            grep -q " 10.99.1.$i " "$LEASES" && extra="$extra 10.99.1.$i"
        else
            grep -q "^0 52:54:00:aa:bb:$(printf %02x "$i") 10.99.1.$i static$i \*$" "$LEASES" || missing="$missing 10.99.1.$i"
        fi
    done
    [ -z "$missing$extra" ] || { cat "$LEASES"; fail "$1: lost edits: added but missing:$missing; removed but back:$extra"; }
}
sleep 3  # at least one periodic merge (every 2 s) while the client keeps renewing
check_edits "while serving"
touch "$TMP/stop-traffic"; wait "$TPID"
N=$(cat "$TMP/traffic.count")
[ "$N" -ge 10 ] || fail "only $N leases obtained by the busy client: the edits did not race with live traffic"
grep -q "changed on disk: .* added or changed" "$TMP/mb.log" || { cat "$TMP/mb.log"; fail "server did not merge the edits"; }
stop_mb
check_edits "after stop"
grep -q " $IP2 busy " "$LEASES" || { cat "$LEASES"; fail "the server's own lease update of $IP2 was lost"; }
ok "24 leases add/rm during $N live DORA exchanges: all edits kept, the server's leases too"
grep -v " 10\.99\.1\." "$LEASES" > "$TMP/l" && cat "$TMP/l" > "$LEASES"  # (server stopped)
"$MB" leases add --lease-file "$LEASES" 52:54:00:aa:bb:cc 10.99.0.50 --hostname static1 || fail "leases add"
grep -q "^0 52:54:00:aa:bb:cc 10.99.0.50 static1 \*$" "$LEASES" || { cat "$LEASES"; fail "leases add line"; }
"$MB" leases rm --lease-file "$LEASES" 52:54:00:12:34:56 || fail "leases rm"
grep -q 52:54:00:12:34:56 "$LEASES" && fail "leases rm left the lease"
ok "leases add/rm"
"$MB" leases rm --lease-file "$LEASES" 10.99.9.9; [ $? = 1 ] || fail "leases rm of an unknown address should exit 1"

# dnsmasq starts from our lease file and keeps the Pi's address
cp "$LEASES" "$TMP/dnsmasq.leases"
ip netns exec "$S" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="${T}a" --bind-interfaces \
    --dhcp-range=10.99.0.10,10.99.0.60,255.255.0.0,10m --no-ping --dhcp-authoritative --log-dhcp \
    --dhcp-leasefile="$TMP/dnsmasq.leases" --pid-file= >"$TMP/dnsmasq.log" 2>&1 &
DPID=$!
for _ in $(seq 50); do grep -q "DHCP, IP range" "$TMP/dnsmasq.log" && break; sleep 0.1; done
out=$(client -C -x 0x61:00525069341131c00032010203cdab3412)
echo "$out" | grep -q "lease of $IP2 obtained" || { echo "$out"; cat "$TMP/dnsmasq.log"; fail "dnsmasq did not honour our lease of $IP2"; }
ok "dnsmasq started from our lease file and kept $IP2 for the Pi"
kill -TERM "$DPID"; wait "$DPID" 2>/dev/null
grep -q "10.99.0.50" "$TMP/dnsmasq.leases" || fail "dnsmasq dropped the static lease"

# and mb-dhcp reads what dnsmasq wrote
cp "$TMP/dnsmasq.leases" "$LEASES"
start_mb
grep -q "2 lease(s) loaded" "$TMP/mb.log" || { cat "$LEASES"; cat "$TMP/mb.log"; fail "dnsmasq's file not read"; }
ok "mb-dhcp reads dnsmasq's lease file"
stop_mb
echo "all checks passed"
