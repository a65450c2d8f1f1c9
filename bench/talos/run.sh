#!/bin/bash
# mb-talos benchmarks, each against a peer in the same run (loopback only; the factory is our
# stand-in, which 302-redirects image downloads to nginx-light acting as the CDN, as the public
# factory does):
#  1. cold request: time to first byte vs end of the download (2 s first build, CDN limited to 100 MB/s)
#  2. decompress-and-serve: a cold .raw made from the factory's .raw.zst (GB/s of .raw delivered),
#     vs `zstd -dc` of the same file to /dev/null
#  3. cached image throughput (sendfile) vs nginx-light serving the same file (ratio)
# Usage: bench/talos/run.sh [SIZE_MIB]   (default 1024; env MB_BIN = build/tools; MB_BENCH_CACHE = a cache
# directory elsewhere, e.g. on tmpfs, to take the disk out of the cold path; removed afterwards)
set -euo pipefail
SIZE_MIB=${1:-1024}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${MB_BIN:-$SRC/build/tools}/mb-talos
STANDIN=$SRC/tests/integration/talos_factory_standin.py
ID=376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba
for t in curl zstd nginx /usr/bin/python3; do command -v $t >/dev/null || { echo "need $t" >&2; exit 1; }; done
T=$(mktemp -d /tmp/mbt-talos-bench-XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
    if [ -n "${MB_BENCH_CACHE:-}" ]; then rm -rf "$MB_BENCH_CACHE"; fi
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_s() { awk '{printf "%.3f", ($14+$15)/'"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
gbps() { awk -v s="$1" -v t="$2" 'BEGIN{printf "%.2f", s/t/1e9}'; }

echo "== a ${SIZE_MIB} MiB raw image (1/4 random data, the rest zeros, like a disk image) and its .zst"
/usr/bin/python3 - "$T/image.raw" "$SIZE_MIB" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2])):
        f.write(os.urandom(256 << 10) + bytes(768 << 10))
PY
mkdir -p "$T/www" "$T/nginx"
zstd -q -1 -T2 -c "$T/image.raw" > "$T/www/metal-amd64.raw.zst"
ls -l "$T/image.raw" "$T/www/metal-amd64.raw.zst" | awk '{print "   ", $5, $9}'

NP=$(free_port)
cat > "$T/nginx/nginx.conf" <<NGX
daemon off; worker_processes 1; user root; error_log $T/nginx/error.log; pid $T/nginx/nginx.pid;
events { worker_connections 64; }
http { access_log off; sendfile on; tcp_nopush on; client_body_temp_path $T/nginx;
       limit_rate_after 0; server { listen 127.0.0.1:$NP; root $T/www;
       location /slow/ { alias $T/www/; limit_rate 100m; } } }
NGX
nginx -c "$T/nginx/nginx.conf" & PIDS+=($!)
/usr/bin/python3 "$STANDIN" --port-file "$T/ports" --image-file "$T/image.raw" --build-delay 2 \
    --cdn-base "http://127.0.0.1:$NP/slow" & PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/ports" ] && break; sleep 0.1; done
read -r FP _ < "$T/ports"
curl -s "http://127.0.0.1:$FP/_control?redirect=1" > /dev/null
mkdir -p "$T/root"
printf 'talos:\n  enabled: true\n  base_url: "http://127.0.0.1:%s"\n  cache_directory: "%s"\n' "$FP" "${MB_BENCH_CACHE:-$T/cache}" > "$T/root/metal-boot.yaml"
MP=$(free_port)
"$BIN" --root "$T/root" --log-level warn serve --listen "127.0.0.1:$MP" & PIDS+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$MP/" && break; sleep 0.1; done

echo "== 1. cold metal.raw.zst: 2 s first build, then the CDN at 100 MB/s"
read -r FIRST TOTAL SIZE < <(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}\n' \
    "http://127.0.0.1:$MP/images/talos/v1.11.0/amd64/metal.raw.zst")
echo "   $SIZE bytes: first byte after ${FIRST} s, download end after ${TOTAL} s"

echo "== 2. decompress-and-serve: cold metal.raw from metal-amd64.raw.zst (CDN unthrottled)"
curl -s "http://127.0.0.1:$FP/_control?redirect=1" > /dev/null
kill "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null || true
/usr/bin/python3 "$STANDIN" --port-file "$T/ports2" --image-file "$T/image.raw" --cdn-base "http://127.0.0.1:$NP" & PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/ports2" ] && break; sleep 0.1; done
read -r FP2 _ < "$T/ports2"
curl -s "http://127.0.0.1:$FP2/_control?redirect=1" > /dev/null
"$BIN" --root "$T/root" --log-level warn --base-url "http://127.0.0.1:$FP2" serve --listen "127.0.0.1:0" --port-file "$T/mp2" & PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/mp2" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$T/mp2")/images/talos/v1.11.1/amd64/metal.raw"
cat "$T/www/metal-amd64.raw.zst" > /dev/null  # page cache warm for both
SERVE_PID=${PIDS[-1]}
C0=$(cpu_s "$SERVE_PID")
read -r FIRST TOTAL SIZE < <(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}\n' "$URL")
sleep 1  # the commit (fsync, rename, sidecar) runs after the client got its last byte
C1=$(cpu_s "$SERVE_PID")
SERVE=$(gbps "$SIZE" "$(awk -v a="$FIRST" -v b="$TOTAL" 'BEGIN{print b-a}')")
SERVE_CPU=$(gbps "$SIZE" "$(awk -v a="$C0" -v b="$C1" 'BEGIN{print b-a}')")
S=$(date +%s.%N); zstd -dc "$T/www/metal-amd64.raw.zst" > /dev/null; E=$(date +%s.%N)
ZSTD=$(gbps "$SIZE" "$(awk -v a="$S" -v b="$E" 'BEGIN{print b-a}')")
echo "   mb-talos: $SERVE GB/s of .raw delivered, wall clock (download, zstd decode, SHA-256, cache write, stream)"
echo "   mb-talos: $SERVE_CPU GB per CPU-second of the serving process ($(awk -v a="$C0" -v b="$C1" 'BEGIN{printf "%.2f", b-a}') s CPU)"
echo "   zstd -dc > /dev/null: $ZSTD GB/s wall; wall ratio $(awk -v a="$SERVE" -v b="$ZSTD" 'BEGIN{printf "%.2f", a/b}')"
echo "   (load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores)"

echo "== 3. cached ${SIZE_MIB} MiB image: mb-talos (sendfile) vs nginx-light, same file, curl > /dev/null, best of 5"
for _ in $(seq 100); do CACHED=$(find "${MB_BENCH_CACHE:-$T/cache}" -name metal-amd64.raw.sha256 | head -1); [ -n "$CACHED" ] && break; sleep 0.1; done
ln "${CACHED%.sha256}" "$T/www/image.raw" 2>/dev/null || cp "${CACHED%.sha256}" "$T/www/image.raw"
best() {
    local b=0 s
    for _ in 1 2 3 4 5; do
        s=$(curl -s -o /dev/null -w '%{speed_download}\n' "$1")
        b=$(awk -v a="$s" -v b="$b" 'BEGIN{print (a>b)?a:b}')
    done
    echo "$b"
}
MB=$(best "$URL")
NG=$(best "http://127.0.0.1:$NP/image.raw")
echo "   mb-talos $(gbps "$MB" 1) GB/s, nginx $(gbps "$NG" 1) GB/s, ratio $(awk -v a="$MB" -v b="$NG" 'BEGIN{printf "%.2f", a/b}')"
