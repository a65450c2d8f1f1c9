#!/bin/bash
# Redfish boot override end to end with the real renderer and TFTP server:
#  1. PXE Once on a device whose base image (firmware/RPI_EFI.fd) was saved on another Pi: the new
#     option takes a free Boot#### (the base's Boot0000 UiApp … Boot0007 stay), with the device
#     path of the Pi's own PXEv4 options; checked with mb-efivars on the JSON and on the rendered image.
#  2. The Pi fetches its RPI_EFI.fd over TFTP (curl as the client, the Pi's <serial>/ prefix): the
#     served image carries BootNext; once the transfer completed the override reads back Disabled
#     over Redfish and the next image has no BootNext (Once really is once).
#     `mb-efivars render --for-boot` (a VM's power script) consumes it the same way; a plain render
#     (inspection) does not.
#  3. Continuous is not consumed by a boot.
set -u
BIN=${MB_BIN:?}
tool() { if [ -x "$BIN/$1" ]; then echo "$BIN/$1"; else echo "$BIN/$1/$1"; fi; }
REDFISH=$(tool mb-redfish)
TFTP=$(tool mb-tftp)
EFIVARS=$(tool mb-efivars)
FIX=${MB_FIXTURES:?}/efi
for t in "$REDFISH" "$TFTP" "$EFIVARS"; do [ -x "$t" ] || { echo "SKIP: $t not built" >&2; exit 77; }; done
command -v curl >/dev/null || { echo "SKIP: curl missing" >&2; exit 77; }
LAB=$(mktemp -d /tmp/mbtrfonce.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$LAB"; }
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$LAB"/*.log; do echo "--- $f" >&2; tail -15 "$f" >&2; done
    exit 1
}
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
R=$LAB/root
D=d8-3a-dd-5a-44-0c
mkdir -p "$R/devices" "$R/firmware" "$R/tftp"
# The base image: the v1.40-layout image with the variables of another Pi 4 (D8:3A:DD:5A:44:36).
"$EFIVARS" render --base "$FIX/RPI_EFI-rebuilt-empty.fd" --vars "$FIX/pi4-d83add5a4436.vars.json" \
    -o "$R/firmware/RPI_EFI.fd" || fail "mb-efivars render of the base image"
HTTP=$(port)
HTTPS=$(port)
cat >"$R/metal-boot.yaml" <<CONF
redfish:
  address: 127.0.0.1
  port: $HTTPS
  http_port: $HTTP
  http_credentials: true
  users: [{name: admin, password: admin-pass, role: Administrator}]
CONF
printf 'name: rpi-01\nserial: abcdef01\n' >"$R/devices/$D.yaml"
"$REDFISH" --root "$R" serve 2>"$LAB/redfish.log" &
PIDS+=($!)
"$TFTP" --root "$R" serve --listen 127.0.0.1 --port 0 --port-file "$LAB/tftp-port" 2>"$LAB/tftp.log" &
PIDS+=($!)
B=http://127.0.0.1:$HTTP/redfish/v1/Systems/rpi-01
for _ in $(seq 100); do curl -s -o /dev/null "$B" && [ -s "$LAB/tftp-port" ] && break; sleep 0.1; done
TPORT=$(cat "$LAB/tftp-port")
boot() {  # prints "<Enabled> <Target>"
    curl -s -u admin:admin-pass "$B" | /usr/bin/python3 -c 'import json,sys; b=json.load(sys.stdin)["Boot"]; print(b["BootSourceOverrideEnabled"], b["BootSourceOverrideTarget"])'
}
patch() {
    local code
    code=$(curl -s -o "$LAB/patch.out" -w '%{http_code}' -u admin:admin-pass -X PATCH -H 'Content-Type: application/json' \
        --data "$1" "$B")
    [ "$code" = 204 ] || fail "PATCH $1: HTTP $code $(cat "$LAB/patch.out")"
}
fetch() {  # the Pi's TFTP request for its firmware
    rm -f "$1"
    curl -sS --tftp-blksize 1468 -o "$1" "tftp://127.0.0.1:$TPORT/abcdef01/RPI_EFI.fd" || fail "TFTP fetch"
}

# 1. PXE Once
patch '{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}'
[ "$(boot)" = "Once Pxe" ] || fail "read back $(boot)"
"$EFIVARS" boot list "$R/firmware/$D.json" >"$LAB/json.list" 2>&1 || fail "mb-efivars boot list of the JSON: $(cat "$LAB/json.list")"
grep -q '^Boot0000' "$LAB/json.list" && fail "the device JSON writes Boot0000 over the base image's: $(cat "$LAB/json.list")"
"$EFIVARS" --root "$R" render --mac "$D" -o "$LAB/rendered.fd" || fail "mb-efivars render --mac"
"$EFIVARS" boot list "$LAB/rendered.fd" >"$LAB/rendered.list" 2>&1 || fail "boot list of the rendered image"
cat "$LAB/rendered.list"
grep -q '^BootNext: 0008' "$LAB/rendered.list" || fail "BootNext is not the first free number 0008"
grep -qE '^Boot0000.*UiApp' "$LAB/rendered.list" || fail "the base image's Boot0000 UiApp was replaced"
grep -qE '^Boot0003.*UEFI PXEv4 \(MAC:D83ADD5A4436\)' "$LAB/rendered.list" || fail "the base image's Boot0003 changed"
line=$(grep -E '^Boot0008' "$LAB/rendered.list")
case "$line" in
    *"UEFI PXEv4 (MAC:D83ADD5A440C)"*"MAC(D83ADD5A440C,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)"*) ;;
    *) fail "Boot0008 is not the Pi's PXEv4 form: $line" ;;
esac
echo "ok: PXE Once → Boot0008 (free), MAC()/IPv4() as the Pi builds it, base options intact"

# 2. the boot consumes it
fetch "$LAB/boot1.fd"
cmp -s "$LAB/boot1.fd" "$LAB/rendered.fd" || fail "the TFTP image differs from mb-efivars render"
"$EFIVARS" boot list "$LAB/boot1.fd" | grep -q '^BootNext: 0008' || fail "the served image has no BootNext"
for _ in $(seq 50); do [ "$(boot)" = "Disabled None" ] && break; sleep 0.1; done
[ "$(boot)" = "Disabled None" ] || fail "after the Once boot the override reads back $(boot)"
grep -q BootNext "$R/firmware/$D.json" && fail "BootNext still in firmware/$D.json"
fetch "$LAB/boot2.fd"
"$EFIVARS" boot list "$LAB/boot2.fd" | grep -q '^BootNext' && fail "the next boot gets BootNext again"
echo "ok: Once consumed by the TFTP boot: Redfish reads Disabled, the next image has no BootNext"

# 2b. the same through `mb-efivars render --for-boot` (a power script writing a VM's varstore)
patch '{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}'
[ "$(boot)" = "Once Pxe" ] || fail "Once again: $(boot)"
"$EFIVARS" --root "$R" render --mac "$D" -o "$LAB/vm.fd" --for-boot 2>"$LAB/render.log" || fail "render --for-boot"
"$EFIVARS" boot list "$LAB/vm.fd" | grep -q '^BootNext: 0008' || fail "render --for-boot: no BootNext in the image"
grep -q BootNext "$R/firmware/$D.json" && fail "render --for-boot left BootNext in the JSON"
for _ in $(seq 50); do [ "$(boot)" = "Disabled None" ] && break; sleep 0.1; done
[ "$(boot)" = "Disabled None" ] || fail "after render --for-boot the override reads back $(boot)"
echo "ok: mb-efivars render --for-boot consumes BootNext the same way"

# 3. Continuous persists across boots
patch '{"Boot":{"BootSourceOverrideTarget":"UefiHttp","BootSourceOverrideEnabled":"Continuous"}}'
fetch "$LAB/boot3.fd"
fetch "$LAB/boot4.fd"
[ "$(boot)" = "Continuous UefiHttp" ] || fail "Continuous read back $(boot) after two boots"
"$EFIVARS" boot list "$LAB/boot4.fd" | grep -qE '^BootOrder: 0009' || fail "HTTP option not first in BootOrder"
"$EFIVARS" boot list "$LAB/boot4.fd" | grep -E '^Boot0009' | grep -q 'IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)/Uri()' ||
    fail "Boot0009 is not the Pi's HTTPv4 form"
echo "PASS: Redfish boot overrides with the real renderer, TFTP boot consumption"
