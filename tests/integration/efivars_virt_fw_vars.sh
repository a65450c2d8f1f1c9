#!/usr/bin/env bash
# mb-efivars against virt-fw-vars (virt-firmware snapshot, run with Debian's python3): JSON export
# byte-identical for every fixture and Debian varstore, --set-json writes byte-identical images,
# and the name-only keying bug of virt-fw-vars (which we do not share) shown on a real case.
# Peer location: $MB_VIRT_FIRMWARE (a checkout of hector-cao/virt-firmware), else
# /opt/mb-peers/virt-firmware.
set -euo pipefail
B="${MB_BIN:?}/mb-efivars"
FX="${MB_FIXTURES:?}/efi"
VF="${MB_VIRT_FIRMWARE:-/opt/mb-peers/virt-firmware}"
if [ ! -f "$VF/virt/firmware/vars.py" ]; then
    echo "SKIP: virt-firmware not found (set MB_VIRT_FIRMWARE to a hector-cao/virt-firmware checkout)" >&2
    exit 77
fi
/usr/bin/python3 -c 'import cryptography, pkg_resources' 2>/dev/null ||
    { echo "SKIP: python3-cryptography / python3-pkg-resources missing" >&2; exit 77; }
T=$(mktemp -d /tmp/mbt-efivars-virt.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
vfv() { (cd "$VF" && PYTHONPATH=. /usr/bin/python3 -m virt.firmware.vars "$@" 2>/dev/null); }

images=("$FX/RPI_EFI-v1.38.fd" "$FX/RPI_EFI-v1.40.fd" "$FX/RPI_EFI-rebuilt-empty.fd")
for f in /usr/share/OVMF/OVMF_VARS.fd /usr/share/OVMF/OVMF_VARS.ms.fd /usr/share/OVMF/OVMF_VARS_4M.fd \
         /usr/share/OVMF/OVMF_VARS_4M.ms.fd /usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd /usr/share/ovmf/OVMF.fd \
         /usr/share/AAVMF/AAVMF_VARS.ms.fd /usr/share/AAVMF/AAVMF_VARS.snakeoil.fd; do
    [ -f "$f" ] && images+=("$f")
done
for f in "${images[@]}"; do
    vfv -i "$f" --output-json "$T/v.json"
    "$B" export "$f" -o "$T/m.json"
    cmp "$T/v.json" "$T/m.json" || fail "export of $f differs from virt-fw-vars"
    echo "ok: export $f"
done

# virt-fw-vars needs 10-20 s per 4 MB image write (it pads byte by byte), so two layouts only; the
# golden test covers the other combinations through their recorded sha256.
for pair in "RPI_EFI-v1.38.fd pi4-d83add5a440c.vars.json" "RPI_EFI-rebuilt-empty.fd pi4-d83add5a4436.vars.json"; do
    set -- $pair
    vfv -i "$FX/$1" -o "$T/v.fd" --set-json "$FX/$2"
    "$B" import "$FX/$1" --vars "$FX/$2" -o "$T/m.fd" 2>/dev/null
    cmp "$T/v.fd" "$T/m.fd" || fail "$1 + $2 differs from virt-fw-vars --set-json"
    echo "ok: set-json $1 + $2"
done
# Secure-boot store with timestamps and deleted records: a rewrite equals virt-fw-vars' rewrite.
if [ -f /usr/share/OVMF/OVMF_VARS.ms.fd ]; then
    vfv -i /usr/share/OVMF/OVMF_VARS.ms.fd -o "$T/v.fd" --set-json "$FX/ramlimit-off.vars.json"
    "$B" import /usr/share/OVMF/OVMF_VARS.ms.fd --vars "$FX/ramlimit-off.vars.json" --virt-compat -o "$T/m.fd" 2>/dev/null
    cmp "$T/v.fd" "$T/m.fd" || fail "OVMF_VARS.ms.fd rewrite differs"
    echo "ok: OVMF_VARS.ms.fd rewrite"
fi

# The same name under Ip6Config and Ip4Config2 (a real Pi store can hold both): virt-fw-vars keeps
# one of them (name-only keying, efivars.md §9.3), mb-efivars keeps both.
cat > "$T/two.json" <<'J'
{"version": 2, "variables": [
 {"name": "D83ADD5A440C", "guid": "937fe521-95ae-4d1a-8929-48bcd90ad31a", "attr": 3, "data": "06"},
 {"name": "D83ADD5A440C", "guid": "5b446ed1-e30b-4faa-871a-3654eca36080", "attr": 3, "data": "04"}]}
J
"$B" import "$FX/RPI_EFI-rebuilt-empty.fd" --vars "$T/two.json" -o "$T/two.fd" 2>/dev/null
[ "$("$B" print --json "$T/two.fd" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
    fail "mb-efivars lost a variable"
n=$(vfv -i "$T/two.fd" --output-json - | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["variables"]))')
echo "ok: mb-efivars keeps 2 variables named D83ADD5A440C; virt-fw-vars exports $n (name-only keying)"
echo PASS
