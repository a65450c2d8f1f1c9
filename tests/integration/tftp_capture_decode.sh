#!/bin/bash
# `mb-tftp serve --capture` writes a pcap that tshark reads and `mb-tftp decode` explains: files,
# options, blocks, bytes and outcomes must match what the clients did; `decode` of a real OVMF PXE
# capture (fixtures) must agree with tshark's DATA count. Also checks `ls` and `render --json`.
set -u
MB_BIN=${MB_BIN:-build/tools}
MB_FIXTURES=${MB_FIXTURES:-../shared/fixtures}
TOOL=$MB_BIN/mb-tftp
[ -x "$TOOL" ] || { echo "SKIP: $TOOL not built" >&2; exit 77; }
WORK=$(mktemp -d /tmp/mbt-tftp-capture-XXXXXX)
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
ROOT=$WORK/root
mkdir -p "$ROOT/tftp" "$ROOT/firmware" "$ROOT/devices" "$WORK/out"
cp -r "$MB_FIXTURES/rpi4/boot/." "$ROOT/tftp/"
cp "$MB_FIXTURES/efi/RPI_EFI-v1.40.fd" "$ROOT/firmware/RPI_EFI.fd"
cp "$MB_FIXTURES/efi/pi4-d83add5a440c.vars.json" "$ROOT/firmware/d8-3a-dd-5a-44-0c.json"
printf 'serial: 5b154510\n' > "$ROOT/devices/d8-3a-dd-5a-44-0c.yaml"
mkdir -p "$ROOT/tftp/d8-3a-dd-5a-44-0c"
printf 'device override\n' > "$ROOT/tftp/d8-3a-dd-5a-44-0c/fixup4.dat"

FAILS=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; FAILS=$((FAILS + 1)); }
expect() { if [ "$2" = "$3" ]; then ok "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi; }

"$TOOL" --root "$ROOT" serve --listen 127.0.0.1 --port 0 --port-file "$WORK/port" --capture "$WORK/cap.pcap" \
    2> "$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/port")
curl -sS --tftp-blksize 1468 -o "$WORK/out/s4" "tftp://127.0.0.1:$PORT/start4.elf" || fail "curl start4.elf"
curl -sS -o "$WORK/out/cfg" "tftp://127.0.0.1:$PORT/config.txt" || fail "curl config.txt"
curl -sS -o "$WORK/out/miss" "tftp://127.0.0.1:$PORT/missing.bin" 2>/dev/null
# What the boot gets, rendered before it: the fixture's BootNext is consumed by that boot.
"$TOOL" --root "$ROOT" render 5b154510 RPI_EFI.fd > "$WORK/out/want.fd"
atftp --option "windowsize 4" --option "blksize 1468" -g -r 5b154510/RPI_EFI.fd -l "$WORK/out/efi" 127.0.0.1 "$PORT" \
    >/dev/null 2>&1 || fail "atftp RPI_EFI.fd"
sleep 0.3
kill "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=

"$TOOL" --json decode --server-port "$PORT" "$WORK/cap.pcap" > "$WORK/decode.json" || fail "decode exit $?"
J() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$WORK/decode.json')); print($1)"; }
expect "four transfers decoded" 4 "$(J 'len(d["transfers"])')"
expect "start4.elf completed" "completed" "$(J '[t["outcome"] for t in d["transfers"] if t["file"]=="start4.elf"][0]')"
expect "start4.elf bytes" "$(stat -c %s "$ROOT/tftp/start4.elf")" "$(J '[t["bytes"] for t in d["transfers"] if t["file"]=="start4.elf"][0]')"
expect "start4.elf blocks at 1468" 1542 "$(J '[t["blocks"] for t in d["transfers"] if t["file"]=="start4.elf"][0]')"
expect "granted blksize" 1468 "$(J '[t["options_granted"].get("blksize") for t in d["transfers"] if t["file"]=="start4.elf"][0]')"
expect "missing file is an error 1" 1 "$(J '[t["error_code"] for t in d["transfers"] if t["file"]=="missing.bin"][0]')"
expect "RPI_EFI.fd windowsize" 4 "$(J '[t["options_granted"].get("windowsize") for t in d["transfers"] if t["file"].endswith("RPI_EFI.fd")][0]')"
expect "RPI_EFI.fd bytes" 3997696 "$(J '[t["bytes"] for t in d["transfers"] if t["file"].endswith("RPI_EFI.fd")][0]')"
expect "no retransmits on loopback" 0 "$(J 'sum(t["retransmits"] for t in d["transfers"])')"
cmp -s "$WORK/out/s4" "$ROOT/tftp/start4.elf" && ok "start4.elf intact" || fail "start4.elf differs"
cmp -s "$WORK/out/efi" "$WORK/out/want.fd" && ok "served RPI_EFI.fd = render output" || fail "RPI_EFI.fd differs from render"

if command -v tshark >/dev/null; then
    n=$(tshark -r "$WORK/cap.pcap" -Y "tftp.opcode==3" 2>/dev/null | wc -l)
    expect "tshark reads the capture (DATA packets)" "$(J 'sum(t["blocks"]+t["retransmits"] for t in d["transfers"])')" "$n"
    FX="$MB_FIXTURES/pcap/x86-uefi-ovmf-pxe-tftp-ipxe-http.pcap"
    "$TOOL" --json decode "$FX" > "$WORK/decode.json"
    expect "OVMF capture: DATA count agrees with tshark" "$(tshark -r "$FX" -Y "tftp.opcode==3" 2>/dev/null | wc -l)" \
        "$(J 'sum(t["blocks"]+t["retransmits"] for t in d["transfers"])')"
    expect "OVMF capture: ERROR 8 probe recognised" "probe" "$(J 'd["transfers"][0]["outcome"]')"
fi

# ls: the device's view shows the override, the rendered image and the templated files.
"$TOOL" --root "$ROOT" --json ls d8:3a:dd:5a:44:0c > "$WORK/ls.json"
L() { /usr/bin/python3 -c "import json; d={e['name']: e for e in json.load(open('$WORK/ls.json'))}; print($1)"; }
expect "ls: fixup4.dat from the override" "override" "$(L 'd["fixup4.dat"]["origin"]')"
expect "ls: RPI_EFI.fd rendered" "rendered-efi" "$(L 'd["RPI_EFI.fd"]["origin"]')"
expect "ls: start4.elf shared" "static" "$(L 'd["start4.elf"]["origin"]')"
"$TOOL" --root "$ROOT" --json ls - > "$WORK/ls.json"
expect "ls for an unknown device: base image" "base-efi" "$(L 'd["RPI_EFI.fd"]["origin"]')"
"$TOOL" --root "$ROOT" render 5b154510 ../etc/passwd > /dev/null 2>&1
expect "render refuses traversal (usage error)" 64 "$?"
"$TOOL" --root "$ROOT" render 5b154510 nope.bin > /dev/null 2>&1
expect "render of a missing file exits 66" 66 "$?"

[ $FAILS -ne 0 ] && tail -20 "$WORK/server.log"
echo "$FAILS failures"
[ $FAILS -eq 0 ]
