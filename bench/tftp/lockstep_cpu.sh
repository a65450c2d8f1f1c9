#!/bin/bash
# Server CPU (user + system) per DATA block of lock-step transfers: N atftp downloads (blksize
# 1468, no windowsize) of a 4 MB static file from mb-tftp and from atftpd, on loopback, one after
# the other. Less sensitive to scheduling noise than wall time; compare the two in one run.
# Usage: bench/tftp/lockstep_cpu.sh [MB_BIN_DIR]   (env N=30 runs, SIZE=4000000 bytes)
set -eu
BIN="$(cd "${1:-${MB_BIN:-$(dirname "$0")/../../build/tools}}" && pwd)"
N=${N:-30}; SIZE=${SIZE:-4000000}
for c in atftp atftpd bc; do command -v $c >/dev/null || { echo "$c is not installed" >&2; exit 69; }; done
W=$(mktemp -d /tmp/mb-bench-lockstep.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
mkdir -p "$W/root/tftp"
head -c "$SIZE" /dev/urandom > "$W/root/tftp/f.bin"
chmod -R a+rX "$W"
P1=$((30000 + RANDOM % 10000)); P2=$((P1 + 1))
"$BIN/mb-tftp" --root "$W/root" --log-level warn serve --listen 127.0.0.1 --port $P1 2>"$W/mb.log" &
MB=$!; PIDS+=($MB)
atftpd --daemon --no-fork --port $P2 --bind-address 127.0.0.1 --logfile /dev/null "$W/root/tftp" 2>/dev/null &
AT=$!; PIDS+=($AT)
sleep 0.5
ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"; }
CLK=$(getconf CLK_TCK); BLOCKS=$((SIZE / 1468 + 1))
for pair in "mb-tftp $MB $P1" "atftpd $AT $P2"; do
    set -- $pair
    a=$(ticks "$2"); s=$(date +%s.%N)
    for _ in $(seq "$N"); do atftp --option "blksize 1468" -g -r f.bin -l "$W/out" 127.0.0.1 "$3" >/dev/null 2>&1; done
    e=$(date +%s.%N); b=$(ticks "$2")
    cmp -s "$W/out" "$W/root/tftp/f.bin" || echo "$1: download differs" >&2
    printf '%-8s %6.1f us CPU per block, %6.1f us wall per block\n' "$1" \
        "$(echo "($b - $a) * 1000000 / $CLK / ($N * $BLOCKS)" | bc -l)" "$(echo "($e - $s) * 1000000 / ($N * $BLOCKS)" | bc -l)"
done
