#!/bin/bash
# mb-talos benchmarks, each against a peer in the same run (loopback only):
#  1. cold request: time to first byte vs end of the download (slow first build + rate-limited factory)
#  2. cached image throughput (sendfile) vs nginx-light serving the same file (ratio)
#  3. decompress-and-serve: .raw made from the factory's .raw.zst on a cold request (GB/s), vs
#     `zstd -dc` of the same file to /dev/null (ratio)
# Usage: bench/talos/run.sh [SIZE_MIB]   (default 1024; env MB_BIN = build/tools)
set -euo pipefail
SIZE_MIB=${1:-1024}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${MB_BIN:-$SRC/build/tools}/mb-talos
STANDIN=$SRC/tests/integration/talos_factory_standin.py
for t in curl zstd nginx /usr/bin/python3; do command -v $t >/dev/null || { echo "need $t" >&2; exit 1; }; done
T=$(mktemp -d /tmp/mbt-talos-bench-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== making a ${SIZE_MIB} MiB raw image (1/4 random data, rest zeros, like a disk image) and its .zst"
/usr/bin/python3 - "$T/image.raw" "$SIZE_MIB" <<'PY'
import os, sys
path, mib = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    for i in range(mib):
        f.write(os.urandom(256 << 10) + bytes(768 << 10))
PY
zstd -q -1 -T2 -c "$T/image.raw" > "$T/image.raw.zst"
ls -l "$T/image.raw" "$T/image.raw.zst" | awk '{print "   ", $5, $9}'

/usr/bin/python3 "$STANDIN" --port-file "$T/ports" --image-file "$T/image.raw" --build-delay 2 & PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/ports" ] && break; sleep 0.1; done
read -r FP _ < "$T/ports"
mkdir -p "$T/root"
printf 'talos:\n  enabled: true\n  base_url: "http://127.0.0.1:%s"\n  cache_directory: "%s/cache"\n' "$FP" "$T" > "$T/root/metal-boot.yaml"
MP=$(free_port)
"$BIN" --root "$T/root" --log-level warn serve --listen "127.0.0.1:$MP" & PIDS+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$MP/" && break; sleep 0.1; done

# The stand-in serves every disk image path from image.raw; its .zst is made by zstd(1) on first use.
echo "== 1. cold request, slow first build (2 s) + factory limited to 100 MB/s: first byte vs download end"
curl -s "http://127.0.0.1:$FP/_control?rate=100000000" >/dev/null
URL="http://127.0.0.1:$MP/images/talos/v1.11.0/amd64/metal.raw.zst"
read -r FIRST TOTAL < <(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total}\n' "$URL")
echo "   first byte ${FIRST} s, download end ${TOTAL} s (first byte at $(awk -v a="$FIRST" -v b="$TOTAL" 'BEGIN{printf "%.0f", 100*a/b}')% of the transfer time)"
curl -s "http://127.0.0.1:$FP/_control?rate=0" >/dev/null

echo "== 3. decompress-and-serve: cold metal.raw from the factory's metal-amd64.raw.zst"
URL="http://127.0.0.1:$MP/images/talos/v1.11.1/amd64/metal.raw"
curl -s -o /dev/null "http://127.0.0.1:$FP/_file/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba/v1.11.1/metal-amd64.raw.zst"  # build + warm the stand-in
read -r FIRST TOTAL SIZE < <(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}\n' "$URL")
SERVE=$(awk -v s="$SIZE" -v a="$FIRST" -v b="$TOTAL" 'BEGIN{printf "%.2f", s/(b-a)/1e9}')
ZSTART=$(date +%s.%N); zstd -dc "$T/image.raw.zst" > /dev/null; ZEND=$(date +%s.%N)
ZSTD=$(awk -v s="$SIZE" -v a="$ZSTART" -v b="$ZEND" 'BEGIN{printf "%.2f", s/(b-a)/1e9}')
echo "   mb-talos: ${SERVE} GB/s of .raw to the client (download, zstd decode, sha256, write to cache, stream)"
echo "   zstd -dc to /dev/null: ${ZSTD} GB/s; ratio $(awk -v a="$SERVE" -v b="$ZSTD" 'BEGIN{printf "%.2f", a/b}')"

echo "== 2. cached ${SIZE_MIB} MiB image: mb-talos (sendfile) vs nginx-light, same file, curl to /dev/null, best of 5"
CACHED=$(find "$T/cache" -name metal-amd64.raw | head -1)
NP=$(free_port)
mkdir -p "$T/nginx/www" "$T/nginx/tmp"
ln "$CACHED" "$T/nginx/www/image.raw"
cat > "$T/nginx/nginx.conf" <<NGX
daemon off; worker_processes 1; error_log $T/nginx/error.log; pid $T/nginx/nginx.pid;
events { worker_connections 64; }
http { access_log off; sendfile on; tcp_nopush on; client_body_temp_path $T/nginx/tmp;
       server { listen 127.0.0.1:$NP; root $T/nginx/www; } }
NGX
nginx -c "$T/nginx/nginx.conf" & PIDS+=($!)
sleep 0.5
best() {
    local url=$1 b=0
    for _ in 1 2 3 4 5; do
        s=$(curl -s -o /dev/null -w '%{speed_download}\n' "$url")
        b=$(awk -v a="$s" -v b="$b" 'BEGIN{print (a>b)?a:b}')
    done
    echo "$b"
}
MB=$(best "$URL")
NG=$(best "http://127.0.0.1:$NP/image.raw")
echo "   mb-talos $(awk -v a="$MB" 'BEGIN{printf "%.2f", a/1e9}') GB/s, nginx $(awk -v a="$NG" 'BEGIN{printf "%.2f", a/1e9}') GB/s, ratio $(awk -v a="$MB" -v b="$NG" 'BEGIN{printf "%.2f", a/b}')"
