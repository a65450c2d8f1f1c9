#!/bin/bash
# mb-tftp against real TFTP clients on loopback: curl (--tftp-blksize, --tftp-no-options), busybox
# tftp (-b), atftp (windowsize 8, "tsize enable") and the tftp-hpa client (netascii and octet)
# download files of 0 bytes, exactly 512*n bytes, > 65,535 blocks and the Pi boot files; every
# result must be byte-identical (cmp), netascii must match the LF -> CR LF conversion.
set -u
MB_BIN=${MB_BIN:-build/tools}
MB_FIXTURES=${MB_FIXTURES:-../shared/fixtures}
TOOL=$MB_BIN/mb-tftp
[ -x "$TOOL" ] || { echo "SKIP: $TOOL not built" >&2; exit 77; }
for c in curl busybox atftp tftp cmp; do
    command -v $c >/dev/null || { echo "FAIL: client $c is not installed (packaging/extra-packages.txt)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/mbt-tftp-clients-XXXXXX)
ROOT=$WORK/root
OUT=$WORK/out
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$ROOT/tftp" "$OUT"
cp -r "$MB_FIXTURES/rpi4/boot/." "$ROOT/tftp/"
: > "$ROOT/tftp/empty.bin"
head -c $((512 * 9)) /dev/urandom > "$ROOT/tftp/exact512x9.bin"
head -c $((1468 * 5)) /dev/urandom > "$ROOT/tftp/exact1468x5.bin"
head -c 1000003 /dev/urandom > "$ROOT/tftp/odd.bin"
# 65,537 full blocks + 100 bytes at blksize 512: crosses the 16-bit block number.
head -c $((512 * 65537 + 100)) /dev/urandom > "$ROOT/tftp/huge.bin"
printf 'line one\nline two\r\nbare cr\rend\n' > "$ROOT/tftp/text.txt"

"$TOOL" --root "$ROOT" serve --listen 127.0.0.1 --port 0 --port-file "$WORK/port" 2> "$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/port" 2>/dev/null)
[ -n "$PORT" ] || { cat "$WORK/server.log"; echo "FAIL: server did not start"; exit 1; }

FAILS=0
same() {  # same LABEL EXPECTED GOT
    if cmp -s "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1"; FAILS=$((FAILS + 1)); fi
}
fail() { echo "FAIL $1"; FAILS=$((FAILS + 1)); }

for f in empty.bin exact512x9.bin exact1468x5.bin odd.bin start4.elf; do
    rm -f "$OUT/c"
    if [ "$f" = empty.bin ]; then touch "$OUT/c"; fi
    curl -sS --tftp-blksize 1468 -o "$OUT/c" "tftp://127.0.0.1:$PORT/$f" || fail "curl $f exit $?"
    same "curl --tftp-blksize 1468 $f" "$ROOT/tftp/$f" "$OUT/c"
    rm -f "$OUT/c"; touch "$OUT/c"
    curl -sS --tftp-no-options -o "$OUT/c" "tftp://127.0.0.1:$PORT/$f" || fail "curl --tftp-no-options $f exit $?"
    same "curl --tftp-no-options $f" "$ROOT/tftp/$f" "$OUT/c"
done
curl -sS --tftp-blksize 512 -o "$OUT/c" "tftp://127.0.0.1:$PORT/huge.bin" || fail "curl huge.bin exit $?"
same "curl huge.bin (65,538 blocks at 512, rollover)" "$ROOT/tftp/huge.bin" "$OUT/c"

for f in empty.bin exact512x9.bin odd.bin overlays/upstream-pi4.dtbo; do
    rm -f "$OUT/b"
    busybox tftp -g -r "$f" -l "$OUT/b" 127.0.0.1 "$PORT" 2>/dev/null || fail "busybox $f exit $?"
    same "busybox tftp $f" "$ROOT/tftp/$f" "$OUT/b"
    rm -f "$OUT/b"
    busybox tftp -b 1468 -g -r "$f" -l "$OUT/b" 127.0.0.1 "$PORT" 2>/dev/null || fail "busybox -b 1468 $f exit $?"
    same "busybox tftp -b 1468 $f" "$ROOT/tftp/$f" "$OUT/b"
done
busybox tftp -g -r huge.bin -l "$OUT/b" 127.0.0.1 "$PORT" 2>/dev/null || fail "busybox huge.bin exit $?"
same "busybox huge.bin (rollover)" "$ROOT/tftp/huge.bin" "$OUT/b"

for f in empty.bin exact512x9.bin exact1468x5.bin odd.bin huge.bin; do
    rm -f "$OUT/a"
    atftp --option "windowsize 8" --option "blksize 1468" --option "tsize" -g -r "$f" -l "$OUT/a" 127.0.0.1 "$PORT" \
        >/dev/null 2>&1 || fail "atftp windowsize 8 $f exit $?"
    same "atftp windowsize 8 blksize 1468 $f" "$ROOT/tftp/$f" "$OUT/a"
done
rm -f "$OUT/a"
atftp --option "tsize enable" -g -r exact512x9.bin -l "$OUT/a" 127.0.0.1 "$PORT" >/dev/null 2>&1 || fail "atftp tsize enable exit $?"
same "atftp --option 'tsize enable' (junk value ignored)" "$ROOT/tftp/exact512x9.bin" "$OUT/a"
rm -f "$OUT/a"
atftp -g -r exact512x9.bin -l "$OUT/a" 127.0.0.1 "$PORT" >/dev/null 2>&1 || fail "atftp plain exit $?"
same "atftp without options" "$ROOT/tftp/exact512x9.bin" "$OUT/a"

# tftp-hpa: netascii by default (converted back to the local newline convention), octet with -m.
rm -f "$OUT/h"
tftp 127.0.0.1 "$PORT" -m octet -c get odd.bin "$OUT/h" || fail "tftp-hpa octet exit $?"
same "tftp-hpa octet odd.bin" "$ROOT/tftp/odd.bin" "$OUT/h"
rm -f "$OUT/h"
tftp 127.0.0.1 "$PORT" -m octet -c get empty.bin "$OUT/h" || fail "tftp-hpa octet empty exit $?"
same "tftp-hpa octet empty.bin" "$ROOT/tftp/empty.bin" "$OUT/h"
rm -f "$OUT/h"
tftp 127.0.0.1 "$PORT" -c get text.txt "$OUT/h" || fail "tftp-hpa netascii exit $?"
same "tftp-hpa netascii text.txt (round trip)" "$ROOT/tftp/text.txt" "$OUT/h"
rm -f "$OUT/h"
tftp 127.0.0.1 "$PORT" -c get config.txt "$OUT/h" || fail "tftp-hpa netascii config.txt exit $?"
same "tftp-hpa netascii config.txt" "$ROOT/tftp/config.txt" "$OUT/h"

# Misses are quick ERROR 1s; curl reports them as exit 68.
curl -sS -o "$OUT/miss" "tftp://127.0.0.1:$PORT/vl805.sig" 2>/dev/null
[ $? -eq 68 ] && echo "ok   missing file -> ERROR 1 (curl exit 68)" || fail "missing file"

kill "$SERVER_PID"; wait "$SERVER_PID"; RC=$?; SERVER_PID=
[ $RC -eq 0 ] && echo "ok   graceful stop" || fail "server exit code $RC"
if [ $FAILS -ne 0 ]; then tail -40 "$WORK/server.log"; fi
echo "$FAILS failures"
[ $FAILS -eq 0 ]
