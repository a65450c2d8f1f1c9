#!/usr/bin/env bash
# The shared `config` verbs as a user runs them: exit codes (78 for an invalid tree), messages that
# name file, line and key, JSON on stdout, and imports that write nothing when any entry is bad.
set -uo pipefail
# Any tool: they all share the config verbs (the first one that has them, so that one tool that
# does not yet is reported by cli_docs rather than failing this test too).
TOOL=""
for t in "$MB_BIN"/mb-*; do "$t" __complete spec >/dev/null 2>&1 && { TOOL=$t; break; }; done
[ -n "$TOOL" ] || { echo "FAIL: no built tool has the shared config verbs"; exit 1; }
FIX="$MB_FIXTURES/config"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok: $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_rc() {  # expect_rc CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$root/out" 2>"$root/err"; local rc=$?
  if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else bad "$what: exit $rc, want $want; stderr: $(cat "$root/err")"; fi
}

t="$root/tree"
expect_rc 0 "config init" -- "$TOOL" --root "$t" config init
expect_rc 0 "config check on a fresh tree" -- "$TOOL" --root "$t" config check
MB_ROOT="$t" "$TOOL" config check --json >"$root/out" 2>/dev/null
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and d["devices"] == 0' "$root/out" \
  && ok "MB_ROOT and --json" || bad "MB_ROOT/--json output: $(cat "$root/out")"

expect_rc 0 "import netboot.yaml" -- "$TOOL" --root "$t" config import "$FIX/netboot.yaml"
[ "$(ls "$t/devices" | wc -l)" = 3 ] && ok "3 device records written" || bad "device records: $(ls "$t/devices")"
expect_rc 73 "re-import refuses to overwrite" -- "$TOOL" --root "$t" config import "$FIX/netboot.yaml"
expect_rc 0 "import backend.yaml with --force" -- "$TOOL" --root "$t" config import --force "$FIX/backend.yaml"
"$TOOL" --root "$t" config show e0-92-8f-45-b4-40 --json >"$root/out" 2>/dev/null
/usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["hostname"] == "kube-ctrl-1" and d["dhcp"]["ip"] == "10.0.155.110" and d["netboot"]["arch"] == "arm64", d
assert d["power"] == {"switch": "f4:e2:c6:50:60:bb", "port": 2}, d["power"]
assert "imgfree" in d["netboot"]["ipxe_script"]' "$root/out" && ok "effective record of an imported backend.yaml entry" \
  || bad "config show: $(cat "$root/out")"

before=$(ls "$t/devices" | wc -l)
expect_rc 78 "import of a smee file with an invalid address" -- "$TOOL" --root "$t" config import "$FIX/smee-file-backend.yaml"
grep -q "smee-file-backend.yaml:[0-9]*: 08:00:27:29:4e:68.dhcp.ip: expected an IPv4 address, got '3'" "$root/err" \
  && ok "the error names file, line, key and value" || bad "message: $(cat "$root/err")"
[ "$(ls "$t/devices" | wc -l)" = "$before" ] && ok "nothing written by the failed import" || bad "files were written"

cp "$t/devices/d8-3a-dd-5a-44-0c.yaml" "$root/saved"
printf 'netboot:\n  allow_pxe: maybe\n' > "$t/devices/d8-3a-dd-5a-44-0c.yaml"
expect_rc 78 "config check with a wrong type" -- "$TOOL" --root "$t" config check
grep -q "devices/d8-3a-dd-5a-44-0c.yaml:2: netboot.allow_pxe: expected true or false, got 'maybe'" "$root/err" \
  && ok "wrong-type message" || bad "message: $(cat "$root/err")"
printf 'netbot: {}\n' > "$t/devices/d8-3a-dd-5a-44-0c.yaml"
expect_rc 78 "unknown key" -- "$TOOL" --root "$t" config check
grep -q "unknown key (did you mean 'netboot'?)" "$root/err" && ok "unknown-key suggestion" || bad "message: $(cat "$root/err")"
printf 'a: [\n' > "$t/devices/d8-3a-dd-5a-44-0c.yaml"
expect_rc 78 "malformed YAML" -- "$TOOL" --root "$t" config check
cp "$root/saved" "$t/devices/d8-3a-dd-5a-44-0c.yaml"
touch "$t/devices/not-a-mac.yaml"
expect_rc 78 "invalid MAC file name" -- "$TOOL" --root "$t" config check
rm "$t/devices/not-a-mac.yaml"
cp "$t/devices/d8-3a-dd-5a-44-0c.yaml" "$t/devices/D83ADD5A440C.yaml"
expect_rc 78 "duplicate device" -- "$TOOL" --root "$t" config check
rm "$t/devices/D83ADD5A440C.yaml"
expect_rc 0 "strict check passes once the unknown switch is defined" -- bash -c \
  "printf 'poe:\n  switches:\n    - {name: \"f4:e2:c6:50:60:bb\", driver: snmp, address: 127.0.0.1}\n' >> '$t/metal-boot.yaml' && '$TOOL' --root '$t' config check --strict"
expect_rc 66 "show of an unknown id" -- "$TOOL" --root "$t" config show no-such-device
expect_rc 64 "usage error" -- "$TOOL" --root "$t" config show --no-such-flag
expect_rc 64 "no verb" -- "$TOOL"
"$TOOL" --root "$t" config keys --json > "$root/out"
/usr/bin/python3 -c 'import json,sys; k=json.load(open(sys.argv[1])); assert all(x["doc"] for x in k), [x["key"] for x in k if not x["doc"]]' \
  "$root/out" && ok "every key has documentation" || bad "undocumented keys"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
