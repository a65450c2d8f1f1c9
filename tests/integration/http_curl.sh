#!/bin/bash
# mb-http against curl (a real HTTP client): static files (HEAD, Range single and multipart,
# conditional requests, Content-Type, traversal), per-device iPXE scripts, the IPA inspection
# callback (IPA-shaped JSON), the netconsole receiver, /healthz, /metrics and TLS.
set -u
MB_HTTP="${MB_BIN:?}/mb-http"
command -v curl >/dev/null || { echo "SKIP: curl is not installed" >&2; exit 77; }
W=$(mktemp -d /tmp/mbt-http-curl.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$W/serve.log" ] && tail -20 "$W/serve.log" >&2; exit 1; }
check() { [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"; }

R="$W/root"
mkdir -p "$R/devices" "$R/http/images/sub" "$R/http/ipxe" "$R/templates/ipxe" "$R/state/dhcp"
cat > "$R/metal-boot.yaml" <<YAML
server:
  address: 10.1.1.1
http:
  ironic_api_url: http://10.1.1.1:6385
  max_body_bytes: 2097152
  tls:
    cert: tls/cert.pem
    key: tls/key.pem
talos:
  enabled: true
  base_url: http://127.0.0.1:9
YAML
printf 'hostname: pi-03\nnetboot:\n  console: ttyAMA0,115200\n' > "$R/devices/dc-a6-32-01-02-03.yaml"
printf 'netboot:\n  allow_pxe: false\n' > "$R/devices/dc-a6-32-01-02-04.yaml"
echo "1999999999 dc:a6:32:01:02:03 127.0.0.1 pi-03 *" > "$R/state/dhcp/dnsmasq.leases"
head -c 3000000 /dev/urandom > "$R/http/images/initrd.img"
printf 'MZfake-efi' > "$R/http/ipxe/snp.efi"
echo secret > "$W/outside.txt"
ln -s "$W/outside.txt" "$R/http/images/escape"
ln -s initrd.img "$R/http/images/alias"

"$MB_HTTP" --root "$R" serve --listen 127.0.0.1:0 --log-port 0 --port-file "$W/ports" > "$W/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -s "$W/ports" ] && break; sleep 0.1; done
[ -s "$W/ports" ] || fail "mb-http did not start"
P=$(sed -n 1p "$W/ports"); U=$(sed -n 2p "$W/ports")
B="https://127.0.0.1:$P"
C=(curl -sk --max-time 10)

# --- static files -----------------------------------------------------------------------------
check "GET size" "$("${C[@]}" -o "$W/got" -w '%{http_code} %{size_download}' "$B/images/initrd.img")" "200 3000000"
cmp -s "$W/got" "$R/http/images/initrd.img" || fail "GET body differs"
H=$("${C[@]}" -I "$B/ipxe/snp.efi" | tr -d '\r')
grep -q '^HTTP/1.1 200' <<<"$H" || fail "HEAD status: $H"
grep -qi '^content-type: application/efi$' <<<"$H" || fail "efi content type: $H"
grep -qi '^content-length: 10$' <<<"$H" || fail "HEAD content-length: $H"
ETAG=$(grep -i '^etag:' <<<"$H" | cut -d' ' -f2)
LM=$(grep -i '^last-modified:' <<<"$H" | cut -d' ' -f2-)
check "If-None-Match" "$("${C[@]}" -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$B/ipxe/snp.efi")" 304
check "If-Modified-Since" "$("${C[@]}" -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $LM" "$B/ipxe/snp.efi")" 304
check "stale If-None-Match" "$("${C[@]}" -o /dev/null -w '%{http_code}' -H 'If-None-Match: "x"' "$B/ipxe/snp.efi")" 200
check "Range" "$("${C[@]}" -r 100-199 -o "$W/part" -w '%{http_code} %{size_download}' "$B/images/initrd.img")" "206 100"
cmp -s "$W/part" <(tail -c +101 "$R/http/images/initrd.img" | head -c 100) || fail "Range body differs"
check "suffix Range" "$("${C[@]}" -r -10 -o /dev/null -w '%{http_code} %{size_download}' "$B/images/initrd.img")" "206 10"
check "416" "$("${C[@]}" -r 5000000- -o /dev/null -w '%{http_code}' "$B/images/initrd.img")" 416
M=$("${C[@]}" -r 0-9,20-29 -D "$W/mh" "$B/images/initrd.img" | tr -d '\r')
grep -qi '^content-type: multipart/byteranges; boundary=' "$W/mh" || fail "multipart content type"
check "multipart parts" "$(grep -c '^Content-Range: bytes' <<<"$M")" 2
grep -q '^Content-Range: bytes 20-29/3000000$' <<<"$M" || fail "multipart second part"
check "If-Range stale" "$("${C[@]}" -r 0-9 -H 'If-Range: "old"' -o /dev/null -w '%{http_code} %{size_download}' "$B/images/initrd.img")" "200 3000000"
check "symlink inside root" "$("${C[@]}" -o /dev/null -w '%{http_code}' "$B/images/alias")" 200
for p in /images/escape /images /images/ /images/sub/ /nothing.efi; do
    check "path $p" "$("${C[@]}" -o /dev/null -w '%{http_code}' "$B$p")" 404
done
for p in /../etc/passwd /images/../../outside.txt /%2e%2e/etc/passwd /images/%2e%2e/%2e%2e/x /a%00b /a%5c..%5cb; do
    check "path $p" "$("${C[@]}" --path-as-is -o /dev/null -w '%{http_code}' "$B$p")" 400
done
check "double slash, no redirect" "$("${C[@]}" -o /dev/null -w '%{http_code}' "$B//images//initrd.img")" 200
check "POST static" "$("${C[@]}" -o /dev/null -w '%{http_code}' -d x "$B/images/initrd.img")" 405

# --- iPXE scripts ---------------------------------------------------------------------------------
S=$("${C[@]}" "$B/boot/DC-A6-32-01-02-03.ipxe")
grep -q "^kernel --timeout 60000 https://10.1.1.1:$P/images/ironic-python-agent.kernel initrd=ironic-python-agent.initramfs BOOTIF=\${mac} ipa-api-url=http://10.1.1.1:6385 ipa-inspection-callback-url=https://10.1.1.1:$P/v1/continue_inspection ipa-inspection-collectors=default,logs console=ttyAMA0,115200 || goto retry$" <<<"$S" || fail "osie script: $S"
check "colon MAC" "$("${C[@]}" "$B/boot/dc:a6:32:01:02:03.ipxe")" "$S"
"${C[@]}" "$B/boot/dc-a6-32-01-02-04.ipxe" | grep -q '^exit$' || fail "allow_pxe false script"
"${C[@]}" "$B/boot.ipxe" | grep -q "^chain --autofree https://10.1.1.1:$P/boot/\${mac}.ipxe || goto retry$" || fail "generic"
check "bad MAC" "$("${C[@]}" -o /dev/null -w '%{http_code}' "$B/boot/zz.ipxe")" 404
check "render verb" "$("$MB_HTTP" --root "$R" render dc:a6:32:01:02:03 --base-url "https://10.1.1.1:$P")" "$S"
# Rendered scripts are cached per config generation: repeated requests render once.
miss() { "${C[@]}" "$B/metrics" | awk '/^mb_http_script_cache_misses_total/ {print $2}'; }
M0=$(miss)
[ -n "$M0" ] || fail "no mb_http_script_cache_misses_total in /metrics"
for _ in 1 2 3 4 5; do "${C[@]}" -o /dev/null "$B/boot/dc-a6-32-01-02-03.ipxe"; done
check "script cache: no render for repeated requests" "$(miss)" "$M0"
# A change to the tree (inotify reload) invalidates the cache: template, then device record.
printf '#!ipxe\necho custom {{id}} {{initrd_name}} {{console}}\n' > "$R/templates/ipxe/osie.ipxe"
poll() {  # poll URL EXPECTED: up to 5 s for the reload to land
    local got
    for _ in $(seq 50); do got=$("${C[@]}" "$1"); [ "$got" = "$2" ] && break; sleep 0.1; done
    echo "$got"
}
check "template override (live)" "$(poll "$B/boot/dc-a6-32-01-02-03.ipxe" "$(printf '#!ipxe\necho custom pi-03 ironic-python-agent.initramfs ttyAMA0,115200')")" \
    "$(printf '#!ipxe\necho custom pi-03 ironic-python-agent.initramfs ttyAMA0,115200')"
printf 'hostname: pi-03\nnetboot:\n  console: ttyS0,9600\n' > "$R/devices/dc-a6-32-01-02-03.yaml"
check "device record change (live)" "$(poll "$B/boot/dc-a6-32-01-02-03.ipxe" "$(printf '#!ipxe\necho custom pi-03 ironic-python-agent.initramfs ttyS0,9600')")" \
    "$(printf '#!ipxe\necho custom pi-03 ironic-python-agent.initramfs ttyS0,9600')"
printf 'hostname: pi-03\nnetboot:\n  console: ttyAMA0,115200\n' > "$R/devices/dc-a6-32-01-02-03.yaml"
printf '#!ipxe\necho custom {{id}} {{initrd_name}}\n' > "$R/templates/ipxe/osie.ipxe"
check "template override" "$(poll "$B/boot/dc-a6-32-01-02-03.ipxe" "$(printf '#!ipxe\necho custom pi-03 ironic-python-agent.initramfs')")" "$(printf '#!ipxe\necho custom pi-03 ironic-python-agent.initramfs')"

# --- inspection --------------------------------------------------------------------------------------
INV='{"inventory":{"interfaces":[{"name":"end0","mac_address":"dc:a6:32:01:02:03","ipv4_address":"10.1.1.23","has_carrier":true}],"cpu":{"model_name":"Cortex-A72","count":4,"architecture":"aarch64"},"memory":{"total":8201547776,"physical_mb":8192},"disks":[{"name":"/dev/mmcblk0","size":31914983424,"rotational":false}],"boot":{"current_boot_mode":"uefi","pxe_interface":"dc:a6:32:01:02:03"},"hostname":"pi-03"},"root_disk":{"name":"/dev/mmcblk0"},"boot_interface":"dc:a6:32:01:02:03","configuration":{"collectors":["default","logs"]},"error":null,"logs":"'$(echo "journal" | gzip | base64 -w0)'"}'
check "continue" "$("${C[@]}" -H 'Content-Type: application/json' -d "$INV" -w ' %{http_code}' "$B/v1/continue" | tr -d '\n')" '{"uuid":"pi-03"} 200'
check "continue_inspection" "$("${C[@]}" -d "$INV" -w ' %{http_code}' "$B/v1/continue_inspection" | tr -d '\n')" '{"uuid":"pi-03"} 202'
"$MB_HTTP" --root "$R" --json inventory list | grep -q '"memory_mb":8192' || fail "inventory list"
"$MB_HTTP" --root "$R" --json inventory show DC:A6:32:01:02:03 | grep -q '"Cortex-A72"' || fail "inventory show"
gunzip -c "$R/state/http/inventory/dc-a6-32-01-02-03.logs.tar.gz" | grep -q journal || fail "stored logs"
BEFORE=$(md5sum < "$R/state/http/inventory/dc-a6-32-01-02-03.json")
check "bad JSON" "$("${C[@]}" -o /dev/null -w '%{http_code}' -d '{"inventory": {"interfaces": [' "$B/v1/continue")" 400
check "no interfaces" "$("${C[@]}" -o /dev/null -w '%{http_code}' -d '{"inventory":{"interfaces":[]}}' "$B/v1/continue")" 400
check "unknown MAC" "$("${C[@]}" -o /dev/null -w '%{http_code}' -d '{"inventory":{"interfaces":[{"mac_address":"02:00:00:00:00:01"}]}}' "$B/v1/continue")" 404
head -c 3000000 /dev/zero | tr '\0' 'a' > "$W/big.json"
check "too large" "$("${C[@]}" -o /dev/null -w '%{http_code}' --data-binary @"$W/big.json" "$B/v1/continue")" 413
check "inventory unchanged" "$(md5sum < "$R/state/http/inventory/dc-a6-32-01-02-03.json")" "$BEFORE"
ls "$R/state/http/inventory" | grep -q tmp && fail "temporary files left in inventory/"
"$MB_HTTP" --root "$R" inventory show 02:00:00:00:00:09 2>/dev/null; check "show unknown exit" "$?" 66

# --- boot logs -----------------------------------------------------------------------------------------
printf '<6>[    0.000000] Booting Linux on physical CPU 0x0\n' > /dev/udp/127.0.0.1/"$U"
printf '6,7,8,-;netconsole: network logging started\n' > /dev/udp/127.0.0.1/"$U"
sleep 0.5
L=$("$MB_HTTP" --root "$R" logs dc:a6:32:01:02:03)
grep -q 'Z \[    0.000000\] Booting Linux on physical CPU 0x0$' <<<"$L" || fail "boot log: $L"
grep -q 'Z netconsole: network logging started$' <<<"$L" || fail "netconsole ext line: $L"

# --- Talos route mounted from mb-talos (factory unreachable on purpose: loopback port 9) ---------------
TS=$("${C[@]}" -o /dev/null -w '%{http_code}' "$B/images/talos/v1.11.1/arm64/kernel-arm64")
[ "$TS" != 200 ] && [ "$TS" != 000 ] || fail "talos route answered $TS"

# --- health and metrics --------------------------------------------------------------------------------
check "healthz" "$("${C[@]}" "$B/healthz")" ok
MT=$("${C[@]}" "$B/metrics")
grep -q '^mb_http_requests_total{route="/v1/continue",method="POST",code="413"} 1$' <<<"$MT" || fail "metrics 413"
grep -q '^mb_http_requests_total{route="static",method="GET",code="206"}' <<<"$MT" || fail "metrics static"
grep -q '^mb_http_inspections_total{result="202"} 1$' <<<"$MT" || fail "metrics inspections"
grep -q '^mb_http_log_datagrams_total 2$' <<<"$MT" || fail "metrics log datagrams"
grep -q '^mb_http_requests_total{route="talos",method="GET",code="' <<<"$MT" || fail "talos route not mounted"

# --- TLS: the generated certificate names 127.0.0.1 ------------------------------------------------------
check "verified TLS" "$(curl -s --cacert "$R/tls/cert.pem" -o /dev/null -w '%{http_code}' "$B/healthz")" 200
check "plain HTTP on the TLS port" "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/healthz")" 000

kill -TERM "$PID"; wait "$PID"; RC=$?; PID=""
check "graceful exit" "$RC" 0
echo "PASS"
