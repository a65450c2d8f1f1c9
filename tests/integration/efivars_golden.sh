#!/usr/bin/env bash
# mb-efivars against the golden virt-fw-vars 24.4 results (efivars.md §10): no peer needed, so it
# also runs where virt-firmware cannot be fetched. Also: export byte-identity, bad input exits 65
# with the input unchanged, --inplace atomicity, format of blank images.
set -euo pipefail
B="${MB_BIN:?}/mb-efivars"
FX="${MB_FIXTURES:?}/efi"
[ -f "$FX/RPI_EFI-rebuilt-empty.fd" ] || { echo "SKIP: fixtures missing in $FX" >&2; exit 77; }
T=$(mktemp -d /tmp/mbt-efivars-golden.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

check() {  # base json expected-sha
    "$B" import "$FX/$1" --vars "$FX/$2" -o "$T/out.fd" 2>/dev/null
    [ "$(sha "$T/out.fd")" = "$3" ] || fail "$1 + $2: sha256 $(sha "$T/out.fd") != $3"
    echo "ok: $1 + $2"
}
check RPI_EFI-rebuilt-empty.fd ramlimit-off.vars.json 50286ef122cbc9efa5a9e2b22f012665b08664621a7ed199111ab92d564ac517
check RPI_EFI-rebuilt-empty.fd pi4-d83add5a440c.vars.json 6137e1217b62bc89551574c6db2712c616f6a1ef7ac23794b2b8e9d008350539
check RPI_EFI-rebuilt-empty.fd pi4-d83add5a4436.vars.json c4894c476d06f8adb04b3e5083d8914c4bcaa4dde38d354b1615a27af7616430
check RPI_EFI-v1.38.fd pi4-d83add5a440c.vars.json e711960cda4d363780c96d54777aeb6bd4d95db4328743c1b54cd6469cd92f3e

# render through the config tree gives the same image as import.
mkdir -p "$T/root/firmware"
cp "$FX/RPI_EFI-rebuilt-empty.fd" "$T/root/firmware/RPI_EFI.fd"
cp "$FX/pi4-d83add5a440c.vars.json" "$T/root/firmware/d8-3a-dd-5a-44-0c.json"
"$B" --root "$T/root" render --mac d8:3a:dd:5a:44:0c -o "$T/r.fd"
[ "$(sha "$T/r.fd")" = 6137e1217b62bc89551574c6db2712c616f6a1ef7ac23794b2b8e9d008350539 ] || fail "render sha256"
"$B" --root "$T/root" render --mac d8:3a:dd:5a:44:0c | cmp - "$T/r.fd" || fail "render to stdout differs"
echo "ok: render"

# Export of an image built (edk2-style, store order) from the virt-fw-vars output reproduces it.
cp "$FX/RPI_EFI-rebuilt-empty.fd" "$T/a.fd"
"$B" import "$T/a.fd" --vars "$FX/pi4-d83add5a4436.vars.json" --append --inplace 2>/dev/null
"$B" export "$T/a.fd" -o "$T/a.json"
cmp "$T/a.json" "$FX/pi4-d83add5a4436.vars.json" || fail "export (file) is not byte-identical"
"$B" export "$T/a.fd" | head -c -1 | cmp - "$FX/pi4-d83add5a4436.vars.json" || fail "export (stdout) differs"
[ "$("$B" export "$T/a.fd" | tail -c 1 | od -An -c | tr -d ' ')" = '\n' ] || fail "stdout export lacks the newline"
echo "ok: export byte-identical"

# --device edits firmware/<mac>.json; a device without a JSON yet starts empty.
"$B" --root "$T/root" rpi set --device dc-a6-32-01-02-03 --name RamLimitTo3GB --value 0 2>/dev/null
grep -q '"name": "RamLimitTo3GB"' "$T/root/firmware/dc-a6-32-01-02-03.json" || fail "--device rpi set"
"$B" --root "$T/root" boot add --device dc-a6-32-01-02-03 --netboot pxe4 --mac dc:a6:32:01:02:03 --next 2>/dev/null
"$B" --root "$T/root" boot list --device dc-a6-32-01-02-03 | grep -q 'Boot0000\* UEFI PXEv4 (MAC:DCA632010203)' ||
    fail "--device boot add"
echo "ok: --device"

# Bad input: exit 65, message names the offset / JSON path, input unchanged.
expect65() {  # description command...
    local desc=$1; shift
    set +e
    "$@" > "$T/o" 2> "$T/e"
    local rc=$?
    set -e
    [ $rc -eq 65 ] || fail "$desc: exit $rc, expected 65 ($(cat "$T/e"))"
    echo "ok: $desc -> $(cat "$T/e")"
}
cp "$FX/RPI_EFI-v1.40.fd" "$T/in.fd"
before=$(sha "$T/in.fd")
head -c 3900000 "$FX/RPI_EFI-v1.40.fd" > "$T/trunc.fd"
expect65 "truncated image" "$B" print "$T/trunc.fd"
grep -q 0x3b0000 "$T/e" || fail "truncation error does not name the offset"
printf '{"variables": [{"name": "X", "guid": "NoSuchGuid", "data": ""}]}' > "$T/bad.json"
expect65 "unknown GUID name" "$B" import "$T/in.fd" --vars "$T/bad.json" --inplace
grep -q 'variables\[0\].guid' "$T/e" || fail "JSON error does not name the path"
printf '{"variables": [' > "$T/bad2.json"
expect65 "bad JSON" "$B" import "$T/in.fd" --vars "$T/bad2.json" --inplace
expect65 "invalid device path" "$B" boot add "$T/in.fd" --title x --path 'Pci(0x1' --inplace
head -c 65536 /dev/urandom > "$T/random.bin"
expect65 "random bytes" "$B" print "$T/random.bin"
python3 - "$T/in.fd" "$T/big.json" <<'PY'
import json, sys
json.dump({"version": 2, "variables": [{"name": "Big", "guid": "EfiGlobalVariable", "attr": 7, "data": "00" * 60000}]},
          open(sys.argv[2], "w"))
PY
expect65 "store overflow" "$B" import "$T/in.fd" --vars "$T/big.json" --inplace
grep -q "too small" "$T/e" || fail "overflow message"
python3 - "$T/in.fd" "$T/ftw.fd" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[0x3BF020] = 0xFE  # allocated, incomplete FTW write
open(sys.argv[2], "wb").write(d)
PY
expect65 "pending FTW write" "$B" rpi set "$T/ftw.fd" --name RamLimitTo3GB --value 1 --inplace
[ "$(sha "$T/in.fd")" = "$before" ] || fail "input changed after failed edits"
# --reset-ftw drops the pending write explicitly: the result equals the clean image's edit.
"$B" rpi set "$T/ftw.fd" --name RamLimitTo3GB --value 1 --reset-ftw -o "$T/ftw-reset.fd" 2>/dev/null
"$B" rpi set "$T/in.fd" --name RamLimitTo3GB --value 1 -o "$T/clean.fd" 2>/dev/null
cmp "$T/ftw-reset.fd" "$T/clean.fd" || fail "--reset-ftw result differs from the clean edit"
echo "ok: --reset-ftw"
echo "ok: input unchanged"

# Blank images: refused for reading, formatted on request (Debian's all-zero AAVMF style).
head -c 131072 /dev/zero > "$T/blank.fd"
expect65 "blank image" "$B" print "$T/blank.fd"
"$B" format "$T/blank.fd" --vars "$FX/ramlimit-off.vars.json" 2>/dev/null
"$B" rpi get "$T/blank.fd" --name RamLimitTo3GB | grep -q '^RamLimitTo3GB *0$' || fail "format --vars"
echo "ok: format"
echo PASS
