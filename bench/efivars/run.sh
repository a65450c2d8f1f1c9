#!/usr/bin/env bash
# mb-efivars vs virt-fw-vars (virt-firmware snapshot, Debian python3) in one run:
#   1. parse + JSON export of a populated RPI_EFI.fd (process per run, hyperfine)
#   2. render of a per-device image: base + device JSON -> image (process per run, hyperfine)
#   3. render in-process once the base is parsed (mb: BaseImage::render_into / render_view;
#      virt: varlist merge + bytes_varstore), the cost mb-tftp pays per request
#   4. peak RSS of a render vs the image size
# Prints ratios. Needs hyperfine and a virt-firmware checkout ($MB_VIRT_FIRMWARE or
# /opt/mb-peers/virt-firmware). Usage: bench/efivars/run.sh [build-dir]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../../build}
B=$BUILD/tools/mb-efivars
FX=${MB_FIXTURES:-$HERE/../../../shared/fixtures}/efi
[ -d "$FX" ] || FX=/work/shared/fixtures/efi
VF=${MB_VIRT_FIRMWARE:-/opt/mb-peers/virt-firmware}
[ -x "$B" ] || { echo "build mb-efivars first ($B)" >&2; exit 1; }
[ -f "$VF/virt/firmware/vars.py" ] || { echo "virt-firmware not found: set MB_VIRT_FIRMWARE" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine not installed" >&2; exit 1; }
T=$(mktemp -d /tmp/mb-bench-efivars.XXXXXX)
trap 'rm -rf "$T"' EXIT
BASE=$FX/RPI_EFI-rebuilt-empty.fd
JSON=$FX/pi4-d83add5a440c.vars.json
"$B" import "$BASE" --vars "$JSON" -o "$T/populated.fd" 2>/dev/null
VFV="env PYTHONPATH=$VF /usr/bin/python3 -m virt.firmware.vars"

mean() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["mean"])' "$@"; }

echo "== 1. parse + export JSON of a populated RPI_EFI.fd (67 variables, 4 MB)"
hyperfine -N --warmup 2 --min-runs 10 --export-json "$T/h1.json" \
    "$B export $T/populated.fd" "$VFV -i $T/populated.fd --output-json -" > "$T/h1.txt" 2>&1 || { cat "$T/h1.txt"; exit 1; }
grep -E "Time|±" "$T/h1.txt" | head -4
r1=$(/usr/bin/python3 -c "print('%.1f' % ($(mean "$T/h1.json" 1) / $(mean "$T/h1.json" 0)))")

echo "== 2. render (process per run): base + device JSON -> image"
# virt-fw-vars pads the 4 MB image one byte at a time (~20 s per render here): keep its runs few.
hyperfine -N --warmup 1 --runs 3 --export-json "$T/h2.json" \
    "$B render --base $BASE --vars $JSON -o $T/m.fd" "$VFV -i $BASE -o $T/v.fd --set-json $JSON" > "$T/h2.txt" 2>&1 ||
    { cat "$T/h2.txt"; exit 1; }
grep -E "Time|±" "$T/h2.txt" | head -4
cmp "$T/m.fd" "$T/v.fd" || { echo "outputs differ!" >&2; exit 1; }
r2=$(/usr/bin/python3 -c "print('%.1f' % ($(mean "$T/h2.json" 1) / $(mean "$T/h2.json" 0)))")

echo "== 3. render in-process, base parsed once"
mb_line=$("$B" render --base "$BASE" --vars "$JSON" -o "$T/m.fd" --repeat 2000 2>&1 >/dev/null)
echo "mb-efivars:   $mb_line"
virt_us=$(cd "$VF" && /usr/bin/python3 - "$BASE" "$JSON" <<'PY'
import json, logging, sys, timeit, copy
from virt.firmware.varstore import edk2
from virt.firmware.efi import efijson
logging.disable(logging.CRITICAL)
store = edk2.Edk2VarStore(sys.argv[1])
base = store.get_varlist()
dev = json.load(open(sys.argv[2]), object_hook=efijson.efi_decode)
def render():
    varlist = copy.copy(base)
    for (k, v) in dev.items():
        varlist[k] = v
    return store.bytes_varstore(varlist)
n = 2
print("%.1f" % (timeit.timeit(render, number=n) / n * 1e6))
PY
)
echo "virt-fw-vars: render: $virt_us us per image (varlist merge + bytes_varstore)"
mb_full=$(echo "$mb_line" | sed -E 's/render: ([0-9.]+) us per full.*/\1/')
mb_view=$(echo "$mb_line" | sed -E 's/.*image \(reused buffer\), ([0-9.]+) us per zero-copy.*/\1/')
r3=$(/usr/bin/python3 -c "print('%.0f' % ($virt_us / $mb_full))")
r3v=$(/usr/bin/python3 -c "print('%.0f' % ($virt_us / $mb_view))")

echo "== 4. peak RSS of one render (image $(stat -c %s "$BASE") bytes)"
rss_mb=$(/usr/bin/time -f %M "$B" render --base "$BASE" --vars "$JSON" -o "$T/m.fd" 2>&1 >/dev/null | tail -1)
rss_vf=$(cd "$VF" && /usr/bin/time -f %M env PYTHONPATH=. /usr/bin/python3 -m virt.firmware.vars -i "$BASE" -o "$T/v.fd" --set-json "$JSON" 2>&1 >/dev/null | tail -1)
echo "mb-efivars peak RSS ${rss_mb} KiB, virt-fw-vars ${rss_vf} KiB"
rss_base=$(/usr/bin/time -f %M "$B" rpi list 2>&1 >/dev/null | tail -1)
echo "mb-efivars baseline RSS (no image loaded) ${rss_base} KiB"
size=$(stat -c %s "$BASE")
rss_ratio=$(/usr/bin/python3 -c "print('%.2f' % ($rss_mb * 1024 / $size))")
rss_delta=$(/usr/bin/python3 -c "print('%.2f' % (($rss_mb - $rss_base) * 1024 / $size))")

echo
echo "RESULT parse+export (process): mb-efivars ${r1}x faster than virt-fw-vars"
echo "RESULT render (process):       mb-efivars ${r2}x faster"
echo "RESULT render (in-process):    mb-efivars ${r3}x faster (full image), ${r3v}x (zero-copy view); goal >= 100x"
echo "RESULT peak RSS / image size:  ${rss_ratio} whole process, ${rss_delta} above the binary's baseline (goal < 3)"
