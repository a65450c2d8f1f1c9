#!/bin/bash
# mb-dhcp applies pool, range and mode changes of metal-boot.yaml on SIGHUP without a restart:
# leases are kept; a lease outside the new range stays in the file until it expires but is not
# renewed (a REBINDING REQUEST is NAKed, a new DISCOVER gets an address of the new range); new
# clients get the new range; full → proxy stops leasing and keeps the file, proxy → full resumes.
# udhcpc ALWAYS runs with -s /bin/true; scapy (/usr/bin/python3) sends the REBINDING REQUEST.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces (CI runs as root)" >&2; exit 77; }
MB="${MB_BIN:?MB_BIN not set}/mb-dhcp"
command -v udhcpc >/dev/null || fail "udhcpc missing (package udhcpc)"
/usr/bin/python3 -c "import scapy" 2>/dev/null || fail "python3-scapy missing"
T="mbr$$"
S="${T}s"; C="${T}c"
ip netns add "${T}probe" 2>/dev/null || { echo "SKIP: kernel lacks network namespaces" >&2; exit 77; }
ip netns del "${T}probe"
TMP=$(mktemp -d /tmp/mbtdhcp-r.XXXXXX)
cleanup() {
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
ip -n "$C" link set "${T}b" up; ip -n "$C" link set lo up
ROOT="$TMP/root"; LEASES="$ROOT/state/dhcp/dnsmasq.leases"
mkdir -p "$ROOT"
config() {  # MODE START END
    cat > "$ROOT/metal-boot.yaml.new" <<Y
dhcp:
  mode: $1
  ping_check: false
  lease_time: 600
  pools:
    - subnet: 10.99.0.0/16
      range_start: $2
      range_end: $3
      gateway: 10.99.0.1
Y
    mv "$ROOT/metal-boot.yaml.new" "$ROOT/metal-boot.yaml"
}
reload() {  # expected log text
    local before
    before=$(grep -c "configuration applied" "$TMP/mb.log")
    kill -HUP "$MBPID"
    for _ in $(seq 50); do
        [ "$(grep -c "configuration applied" "$TMP/mb.log")" -gt "$before" ] && break
        sleep 0.1
    done
    grep "configuration applied" "$TMP/mb.log" | tail -n 1 | grep -q "$1" || { cat "$TMP/mb.log"; fail "reload: expected '$1'"; }
}
client() {  # MAC extra-args... → the address obtained (empty if none)
    local mac=$1; shift
    ip -n "$C" link set "${T}b" address "$mac"
    ip netns exec "$C" timeout 20 udhcpc -i "${T}b" -f -q -n -s /bin/true -t 3 -T 1 "$@" 2>&1 |
        sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p'
}
rebind() {  # MAC CIADDR → DHCP message type of the answer (5 = ACK, 6 = NAK) or "none"
    # (the address is configured so the kernel answers the server's ARP for the unicast ACK)
    ip -n "$C" link set "${T}b" address "$1"
    ip -n "$C" addr add "$2/16" dev "${T}b"
    ip netns exec "$C" /usr/bin/python3 - "${T}b" "$1" "$2" <<'PY'
import sys
from scapy.all import BOOTP, DHCP, IP, UDP, Ether, conf, mac2str, srp1
conf.checkIPaddr = False
conf.verb = 0
iface, mac, ciaddr = sys.argv[1:4]
req = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src=ciaddr, dst="255.255.255.255") / UDP(sport=68, dport=67) /
       BOOTP(chaddr=mac2str(mac), ciaddr=ciaddr, xid=0x5eed) / DHCP(options=[("message-type", "request"), "end"]))
ans = srp1(req, iface=iface, timeout=3)
print(dict(o for o in ans[DHCP].options if isinstance(o, tuple)).get("message-type") if ans else "none")
PY
    ip -n "$C" addr flush dev "${T}b"
}

config full 10.99.0.10 10.99.0.20
: > "$TMP/mb.log"
ip netns exec "$S" "$MB" --root "$ROOT" serve -i "${T}a" --http-base-url http://10.99.0.1:8080 >>"$TMP/mb.log" 2>&1 &
MBPID=$!
for _ in $(seq 50); do grep -q "serving in full mode" "$TMP/mb.log" && break; sleep 0.1; done
grep -q "serving in full mode" "$TMP/mb.log" || { cat "$TMP/mb.log"; fail "mb-dhcp did not start in full mode from metal-boot.yaml"; }

A=52:54:00:00:99:0a; B=52:54:00:00:99:0b
[ "$(client $A)" = 10.99.0.10 ] || fail "client A did not get 10.99.0.10"
[ "$(rebind $A 10.99.0.10)" = 5 ] || fail "control: A's REBINDING REQUEST for 10.99.0.10 not ACKed before the reload"
ok "A leased 10.99.0.10 and rebinds it"

config full 10.99.0.30 10.99.0.40
reload "full mode, 1 pool(s)"
grep -q "serving in" "$TMP/mb.log" && [ "$(grep -c "serving in" "$TMP/mb.log")" = 1 ] || fail "restarted instead of reloading"
sleep 0.3
grep -q " $A 10.99.0.10 " "$LEASES" || { cat "$LEASES"; fail "A's lease dropped by the reload"; }
ok "range 10.99.0.10-20 → 10.99.0.30-40 applied on SIGHUP; A's lease kept in the file"
[ "$(rebind $A 10.99.0.10)" = 6 ] || { cat "$TMP/mb.log"; fail "A's renewal of 10.99.0.10 (outside the new range) not NAKed"; }
ok "renewal of 10.99.0.10 NAKed"
[ "$(client $B)" = 10.99.0.30 ] || fail "new client B did not get 10.99.0.30 from the new range"
IPA=$(client $A -r 10.99.0.10)
[ "$IPA" = 10.99.0.31 ] || fail "A asking for its old address got '$IPA', expected 10.99.0.31"
ok "new clients and A's new DISCOVER get the new range (B 10.99.0.30, A 10.99.0.31)"

config proxy 10.99.0.30 10.99.0.40
reload "proxy mode"
[ -z "$(client 52:54:00:00:99:0c)" ] || fail "proxy mode (after reload) still leases addresses to a plain client"
grep -q " $B 10.99.0.30 " "$LEASES" || fail "leases lost on the switch to proxy mode"
ok "full → proxy: no leases to plain clients, lease file kept"
config full 10.99.0.30 10.99.0.40
reload "full mode, 1 pool(s)"
[ "$(rebind $B 10.99.0.30)" = 5 ] || fail "proxy → full: B's lease of 10.99.0.30 not renewed"
ok "proxy → full: B's lease reloaded and renewed"
kill -TERM "$MBPID"; wait "$MBPID" 2>/dev/null
echo "all checks passed"
