#!/usr/bin/env bash
# Debian's OVMF / AAVMF varstores (packages ovmf, qemu-efi-aarch64): geometry as documented in
# efivars.md §10.1, a rewrite keeps the variable set and every byte outside the record region,
# `format` reproduces the empty stores byte for byte, and the all-zero AAVMF_VARS.fd is refused as
# blank and formatted on request.
set -euo pipefail
B="${MB_BIN:?}/mb-efivars"
[ -f /usr/share/OVMF/OVMF_VARS.fd ] || { echo "SKIP: Debian ovmf not installed" >&2; exit 77; }
T=$(mktemp -d /tmp/mbt-efivars-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { "$B" info --json "$1" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$2)"; }

check_geometry() {  # file records live queue
    [ "$(field "$1" "['records']")" = "$2" ] || fail "$1 records"
    [ "$(field "$1" "['live_variables']")" = "$3" ] || fail "$1 live"
    [ "$(field "$1" "['ftw']['write_queue_size']")" = "$4" ] || fail "$1 FTW queue"
    [ "$(field "$1" "['ftw']['crc_ok']")" = True ] || fail "$1 FTW CRC"
    echo "ok: $1 geometry"
}
check_geometry /usr/share/OVMF/OVMF_VARS.fd 0 0 0xfe0
[ -f /usr/share/OVMF/OVMF_VARS.ms.fd ] && check_geometry /usr/share/OVMF/OVMF_VARS.ms.fd 57 31 0xfe0
[ -f /usr/share/OVMF/OVMF_VARS_4M.ms.fd ] && check_geometry /usr/share/OVMF/OVMF_VARS_4M.ms.fd 57 31 0xfe0
[ -f /usr/share/AAVMF/AAVMF_VARS.ms.fd ] && check_geometry /usr/share/AAVMF/AAVMF_VARS.ms.fd 29 22 0x3ffe0

for f in /usr/share/OVMF/OVMF_VARS*.fd /usr/share/ovmf/OVMF.fd /usr/share/AAVMF/AAVMF_VARS.ms.fd; do
    [ -f "$f" ] || continue
    "$B" set "$f" --name MbTest --guid EfiGlobalVariable --u32 1 -o "$T/x.fd" 2>/dev/null
    "$B" delete "$T/x.fd" --name MbTest --inplace 2>/dev/null
    "$B" diff "$f" "$T/x.fd" > /dev/null || fail "$f: variable set changed by a set+delete round trip"
    begin=$(field "$f" "['records_begin']"); end=$(field "$f" "['records_end']")
    cmp -n $((begin)) "$f" "$T/x.fd" || fail "$f: bytes before the records changed"
    cmp -i $((end)):$((end)) "$f" "$T/x.fd" || fail "$f: bytes after the store changed"
    echo "ok: $f round trip"
done

"$B" format "$T/o.fd" --create --preset ovmf 2>/dev/null
cmp "$T/o.fd" /usr/share/OVMF/OVMF_VARS.fd || fail "format ovmf != OVMF_VARS.fd"
"$B" format "$T/o4.fd" --create --preset ovmf4m 2>/dev/null
cmp "$T/o4.fd" /usr/share/OVMF/OVMF_VARS_4M.fd || fail "format ovmf4m != OVMF_VARS_4M.fd"
echo "ok: format reproduces OVMF_VARS.fd and OVMF_VARS_4M.fd"

if [ -f /usr/share/AAVMF/AAVMF_VARS.fd ]; then
    set +e; "$B" print /usr/share/AAVMF/AAVMF_VARS.fd 2> "$T/e"; rc=$?; set -e
    [ $rc -eq 65 ] && grep -q blank "$T/e" || fail "all-zero AAVMF_VARS.fd: exit $rc $(cat "$T/e")"
    cp /usr/share/AAVMF/AAVMF_VARS.fd "$T/a.fd"
    "$B" format "$T/a.fd" 2>/dev/null
    [ "$(stat -c %s "$T/a.fd")" = 67108864 ] || fail "format changed the file size"
    cmp -n $((0x64)) "$T/a.fd" /usr/share/AAVMF/AAVMF_VARS.ms.fd || fail "AAVMF FV/store header differs"
    cmp -i 0x40000:0x40000 -n 32 "$T/a.fd" /usr/share/AAVMF/AAVMF_VARS.ms.fd || fail "AAVMF FTW header differs"
    cmp -i 0xC0000:0xC0000 "$T/a.fd" /usr/share/AAVMF/AAVMF_VARS.fd || fail "bytes after the volume changed"
    echo "ok: AAVMF_VARS.fd formatted like AAVMF_VARS.ms.fd"
fi
if [ -f /usr/share/qemu-efi-aarch64/QEMU_EFI.fd ]; then
    set +e; "$B" print /usr/share/qemu-efi-aarch64/QEMU_EFI.fd 2>/dev/null; rc=$?; set -e
    [ $rc -eq 65 ] || fail "QEMU_EFI.fd (no NV volume): exit $rc"
    echo "ok: QEMU_EFI.fd has no NV volume (65)"
fi
echo PASS
