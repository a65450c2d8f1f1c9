#!/bin/bash
# mb-talos benchmarks, each against a peer in the same run (loopback only; the factory is our
# stand-in, which 302-redirects image downloads to nginx-light acting as the CDN, as the public
# factory does):
#  1. cold request: time to first byte vs end of the download (2 s first build, CDN limited to 100 MB/s)
#  2. decompress-and-serve: cold .raw made from the factory's .raw.zst, RUNS times (the cache entry is
#     deleted in between), interleaved with `zstd -dc` of the same file to /dev/null; medians of the
#     GB/s of .raw delivered (first to last byte), of the CPU the serving process used until the last
#     byte and until the entry was committed (SHA-256, fsync, rename, sidecar), and of curl's CPU
#  3. cached image throughput (sendfile) vs nginx-light serving the same file (same inode), RUNS_CACHED
#     downloads each, alternating, same curl client; medians and the median of the pairwise ratios
# Every section prints the load average; the machine is shared, so compare ratios within one run.
# Usage: bench/talos/run.sh [SIZE_MIB]   (default 1024; env MB_BIN = build/tools; RUNS (5), RUNS_CACHED (7);
# MB_BENCH_CACHE = a cache directory elsewhere, e.g. on tmpfs, to take the disk out of the cold path;
# removed afterwards)
set -euo pipefail
SIZE_MIB=${1:-1024}
RUNS=${RUNS:-5}
RUNS_CACHED=${RUNS_CACHED:-7}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${MB_BIN:-$SRC/build/tools}/mb-talos
STANDIN=$SRC/tests/integration/talos_factory_standin.py
for t in curl zstd nginx /usr/bin/python3 /usr/bin/time; do command -v $t >/dev/null || { echo "need $t" >&2; exit 1; }; done
T=$(mktemp -d /tmp/mbt-talos-bench-XXXXXX)
chmod 755 "$T"
CACHE_DIR=${MB_BENCH_CACHE:-$T/cache}
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
load() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"; }
now() { date +%s.%N; }
# median of the numbers on stdin
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) printf "%.3f", v[(NR+1)/2]; else printf "%.3f", (v[NR/2]+v[NR/2+1])/2}'; }
col() { awk -v c="$1" '{print $c}' "$2" | median; }

echo "== a ${SIZE_MIB} MiB raw image (1/4 random data, the rest zeros, like a disk image) and its .zst"
/usr/bin/python3 - "$T/image.raw" "$SIZE_MIB" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2])):
        f.write(os.urandom(256 << 10) + bytes(768 << 10))
PY
mkdir -p "$T/www" "$T/nginx"
zstd -q -1 -T2 -c "$T/image.raw" > "$T/www/metal-amd64.raw.zst"
sync -f "$T/image.raw"  # the 1.3 GB just written go to disk now, not in the middle of the measurements
ls -l "$T/image.raw" "$T/www/metal-amd64.raw.zst" | awk '{print "   ", $5, $9}'

# nginx-light as Debian ships it, configured the way one serves large files: sendfile on (its default
# sendfile_max_chunk is 2m), tcp_nopush on (TCP_CORK while sending), one worker, no access log.
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
printf 'talos:\n  enabled: true\n  base_url: "http://127.0.0.1:%s"\n  cache_directory: "%s"\n' "$FP" "$CACHE_DIR" > "$T/root/metal-boot.yaml"
MP=$(free_port)
"$BIN" --root "$T/root" --log-level warn serve --listen "127.0.0.1:$MP" & PIDS+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$MP/" && break; sleep 0.1; done

echo "== 1. cold metal.raw.zst: 2 s first build, then the CDN at 100 MB/s ($(load))"
read -r FIRST TOTAL SIZE < <(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}\n' \
    "http://127.0.0.1:$MP/images/talos/v1.11.0/amd64/metal.raw.zst")
echo "   $SIZE bytes: first byte after ${FIRST} s, download end after ${TOTAL} s"
echo "RESULT talos_cold_first_byte_s $FIRST s"
echo "RESULT talos_cold_download_end_s $TOTAL s"
# its commit (SHA-256 of what was written, fsync, rename, sidecar) ends after the client's last byte
for _ in $(seq 600); do [ -n "$(find "$CACHE_DIR" -name metal-amd64.raw.zst.sha256)" ] && break; sleep 0.05; done

echo "== 2. decompress-and-serve: cold metal.raw from metal-amd64.raw.zst (CDN unthrottled), $RUNS runs"
curl -s "http://127.0.0.1:$FP/_control?redirect=1" > /dev/null
kill "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null || true
/usr/bin/python3 "$STANDIN" --port-file "$T/ports2" --image-file "$T/image.raw" --cdn-base "http://127.0.0.1:$NP" & PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/ports2" ] && break; sleep 0.1; done
read -r FP2 _ < "$T/ports2"
curl -s "http://127.0.0.1:$FP2/_control?redirect=1" > /dev/null
"$BIN" --root "$T/root" --log-level warn --base-url "http://127.0.0.1:$FP2" serve --listen "127.0.0.1:0" --port-file "$T/mp2" & PIDS+=($!)
SERVE_PID=$!
for _ in $(seq 100); do [ -s "$T/mp2" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$T/mp2")/images/talos/v1.11.1/amd64/metal.raw"
cat "$T/www/metal-amd64.raw.zst" > /dev/null  # page cache warm for both
committed() { find "$CACHE_DIR" -name metal-amd64.raw.sha256 | head -1; }
echo "   load before: $(load)"
for run in $(seq "$RUNS"); do
    SIDECAR=$(committed)
    if [ -n "$SIDECAR" ]; then rm -f "$SIDECAR" "${SIDECAR%.sha256}"; fi
    C0=$(cpu_s "$SERVE_PID")
    S=$(now)
    OUT=$( { /usr/bin/time -f '%U %S' curl -s -o /dev/null \
        -w '%{time_starttransfer} %{time_total} %{size_download} ' "$URL"; } 2>&1)
    read -r FIRST TOTAL SIZE UC SC <<< "$(echo $OUT)"
    C1=$(cpu_s "$SERVE_PID")
    for _ in $(seq 600); do [ -n "$(committed)" ] && break; sleep 0.02; done
    E=$(now)
    C2=$(cpu_s "$SERVE_PID")
    ZS=$(now); zstd -dc "$T/www/metal-amd64.raw.zst" > /dev/null; ZE=$(now)
    awk -v s="$SIZE" -v f="$FIRST" -v t="$TOTAL" -v c0="$C0" -v c1="$C1" -v c2="$C2" -v uc="$UC" -v sc="$SC" \
        -v S="$S" -v E="$E" -v zs="$ZS" -v ze="$ZE" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
        'BEGIN {printf "%.3f %.3f %.3f %.3f %.3f %.3f %s\n", s/(t-f)/1e9, s/(ze-zs)/1e9, (c1-c0)*1e9/s, (c2-c0)*1e9/s, (uc+sc)*1e9/s, E-S, l}' \
        >> "$T/cold.txt"
    read -r W Z CL CC CU EC L < <(tail -1 "$T/cold.txt")
    echo "   run $run: mb-talos $W GB/s, zstd -dc $Z GB/s; mb-talos CPU $CL s/GB to the last byte, $CC s/GB to the commit (${EC} s after the request); curl $CU s/GB; load $L"
done
[ "$SIZE" = $((SIZE_MIB << 20)) ] || { echo "short download: $SIZE bytes" >&2; exit 1; }
W=$(col 1 "$T/cold.txt"); Z=$(col 2 "$T/cold.txt")
echo "   median: mb-talos $W GB/s of .raw delivered (download, zstd decode, sparse cache write, stream), zstd -dc $Z GB/s; ratio $(awk -v a="$W" -v b="$Z" 'BEGIN{printf "%.2f", a/b}')"
echo "   median CPU of the serving process: $(col 3 "$T/cold.txt") s/GB until the last byte, $(col 4 "$T/cold.txt") s/GB until committed (SHA-256 read back at nice 19, then fsync, rename, sidecar); curl $(col 5 "$T/cold.txt") s/GB"
echo "   load after: $(load)"
echo "RESULT talos_cold_raw_gbps $W GB/s"
echo "RESULT talos_cold_raw_zstd_gbps $Z GB/s"
echo "RESULT talos_cold_raw_cpu_s_per_gb $(col 3 "$T/cold.txt") s/GB"
echo "RESULT talos_cold_raw_cpu_commit_s_per_gb $(col 4 "$T/cold.txt") s/GB"

echo "== 3. cached ${SIZE_MIB} MiB image: mb-talos (sendfile) vs nginx-light, same file, curl > /dev/null, $RUNS_CACHED each, alternating"
CACHED=$(committed)
ln "${CACHED%.sha256}" "$T/www/image.raw" 2>/dev/null || cp "${CACHED%.sha256}" "$T/www/image.raw"
NGINX_URL="http://127.0.0.1:$NP/image.raw"
curl -s -o /dev/null "$URL"; curl -s -o /dev/null "$NGINX_URL"  # page cache (holes included) warm for both
echo "   load before: $(load)"
for run in $(seq "$RUNS_CACHED"); do
    if [ $((run % 2)) = 1 ]; then
        A=$(curl -s -o /dev/null -w '%{speed_download}' "$URL"); B=$(curl -s -o /dev/null -w '%{speed_download}' "$NGINX_URL")
    else
        B=$(curl -s -o /dev/null -w '%{speed_download}' "$NGINX_URL"); A=$(curl -s -o /dev/null -w '%{speed_download}' "$URL")
    fi
    awk -v a="$A" -v b="$B" 'BEGIN {printf "%.3f %.3f %.3f\n", a/1e9, b/1e9, a/b}' >> "$T/cached.txt"
    read -r A B R < <(tail -1 "$T/cached.txt")
    echo "   run $run: mb-talos $A GB/s, nginx $B GB/s, ratio $R"
done
MB=$(col 1 "$T/cached.txt"); NG=$(col 2 "$T/cached.txt"); R=$(col 3 "$T/cached.txt")
echo "   median: mb-talos $MB GB/s, nginx $NG GB/s; ratio of medians $(awk -v a="$MB" -v b="$NG" 'BEGIN{printf "%.2f", a/b}'), median of the pairwise ratios $R"
echo "   load after: $(load)"
echo "RESULT talos_cached_gbps $MB GB/s"
echo "RESULT talos_cached_nginx_gbps $NG GB/s"
echo "RESULT talos_cached_ratio $R"
