#!/bin/bash
# wrk against mb-http and nginx (Debian nginx-light) in the same run, same machine, loopback:
#   large: the same 50 MiB initrd (sendfile on both sides)
#   script: a small per-device iPXE script — rendered per request by mb-http, a static file for nginx
# 100 connections, 2 wrk threads, DURATION seconds each (default 5). Both servers use one worker
# (mb-http runs one io_context thread). Prints requests/s, MiB/s, p99 and the ratios, plus
# mb-http's peak RSS before and after the load.
# Usage: bench/http/run.sh [build/tools]   (needs wrk and nginx: packaging/extra-packages.txt)
set -eu
BIN="${1:-${MB_BIN:-$(dirname "$0")/../../build/tools}}"
MB_HTTP="$(cd "$BIN" && pwd)/mb-http"
DURATION="${DURATION:-5}"
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 69; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is not installed" >&2; exit 69; }
W=$(mktemp -d /tmp/mb-bench-http.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

R="$W/root"
mkdir -p "$R/devices" "$R/http/images" "$W/nginx/boot" "$W/nginx/images" "$W/nginx/tmp"
printf 'server:\n  address: 127.0.0.1\nhttp:\n  access_log: false\n' > "$R/metal-boot.yaml"
printf 'hostname: pi-03\nnetboot:\n  console: ttyAMA0,115200\n' > "$R/devices/dc-a6-32-01-02-03.yaml"
head -c $((50 * 1024 * 1024)) /dev/urandom > "$R/http/images/initrd.img"
ln "$R/http/images/initrd.img" "$W/nginx/images/initrd.img"

"$MB_HTTP" --root "$R" --log-level warn serve --listen 127.0.0.1:0 --log-port 0 --port-file "$W/ports" 2>"$W/mb.log" &
PIDS+=($!); MBPID=$!
for _ in $(seq 100); do [ -s "$W/ports" ] && break; sleep 0.1; done
MP=$(sed -n 1p "$W/ports")
curl -s "http://127.0.0.1:$MP/boot/dc-a6-32-01-02-03.ipxe" > "$W/nginx/boot/dc-a6-32-01-02-03.ipxe"

chmod -R a+rX "$W"
NP=$((20000 + RANDOM % 20000))
cat > "$W/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $W/nginx/tmp; proxy_temp_path $W/nginx/tmp; fastcgi_temp_path $W/nginx/tmp;
  uwsgi_temp_path $W/nginx/tmp; scgi_temp_path $W/nginx/tmp;
  types { text/plain ipxe; application/octet-stream img; }
  server { listen 127.0.0.1:$NP; root $W/nginx; }
}
NGX
"$NGINX" -c "$W/nginx.conf" -p "$W" 2>"$W/nginx.out" &
PIDS+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$NP/boot/dc-a6-32-01-02-03.ipxe" && break; sleep 0.1; done
cmp -s <(curl -s "http://127.0.0.1:$NP/images/initrd.img") "$R/http/images/initrd.img" || { echo "nginx not serving" >&2; cat "$W/nginx.out" "$W/nginx-error.log" >&2; exit 1; }

rss() { awk '/VmHWM/ {print $2}' "/proc/$MBPID/status"; }
# run NAME URL → "req/s MiB/s p99_ms"
run() {
    local out
    out=$(wrk -t2 -c100 -d"${DURATION}s" --latency "$2" 2>&1)
    local rps mbs p99
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    mbs=$(awk '/^Transfer\/sec/ {v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else if (v ~ /KB/) {sub("KB","",v); v/=1024} else {sub("MB","",v)}; print v}' <<<"$out")
    p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' <<<"$out")
    echo "$rps $mbs $p99"
}
RSS0=$(rss)
read -r m_lr m_lm m_lp <<<"$(run mb-large "http://127.0.0.1:$MP/images/initrd.img")"
read -r n_lr n_lm n_lp <<<"$(run nginx-large "http://127.0.0.1:$NP/images/initrd.img")"
read -r m_sr m_sm m_sp <<<"$(run mb-script "http://127.0.0.1:$MP/boot/dc-a6-32-01-02-03.ipxe")"
read -r n_sr n_sm n_sp <<<"$(run nginx-script "http://127.0.0.1:$NP/boot/dc-a6-32-01-02-03.ipxe")"
RSS1=$(rss)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf '%-22s %12s %10s %10s\n' "" "req/s" "MiB/s" "p99 ms"
printf '%-22s %12s %10s %10s\n' "mb-http 50MiB file" "$m_lr" "$m_lm" "$m_lp"
printf '%-22s %12s %10s %10s\n' "nginx   50MiB file" "$n_lr" "$n_lm" "$n_lp"
printf '%-22s %12s %10s %10s\n' "mb-http script" "$m_sr" "$m_sm" "$m_sp"
printf '%-22s %12s %10s %10s\n' "nginx   script" "$n_sr" "$n_sm" "$n_sp"
echo "ratio mb-http/nginx large file throughput: $(ratio "$m_lm" "$n_lm")  (goal >= 0.9)"
echo "ratio mb-http/nginx script requests/s:     $(ratio "$m_sr" "$n_sr")  (goal >= 1.0)"
echo "ratio p99 mb-http/nginx: large $(ratio "$m_lp" "$n_lp"), script $(ratio "$m_sp" "$n_sp")  (lower is better)"
echo "mb-http peak RSS: ${RSS0} KiB before load, ${RSS1} KiB after"
echo "RESULT http_large_throughput_ratio $(ratio "$m_lm" "$n_lm") x"
echo "RESULT http_script_rps_ratio $(ratio "$m_sr" "$n_sr") x"
echo "RESULT http_large_p99_ratio $(ratio "$m_lp" "$n_lp") x"
echo "RESULT http_script_p99_ratio $(ratio "$m_sp" "$n_sp") x"
echo "RESULT http_peak_rss_after_load $RSS1 KiB"
