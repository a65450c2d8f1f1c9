#!/bin/bash
# Real iPXE (Debian's ipxe.lkrn) in QEMU with user-mode networking — the guest reaches the host
# only as 10.0.2.2 → 127.0.0.1, no host interfaces are touched — boots the generic /boot.ipxe,
# chains to its per-device script (iPXE percent-encodes the colons of ${mac}), and downloads the
# kernel and initrd the script names.
set -u
MB_HTTP="${MB_BIN:?}/mb-http"
QEMU=$(command -v qemu-system-x86_64 || true)
LKRN=/usr/lib/ipxe/ipxe.lkrn
[ -n "$QEMU" ] || { echo "SKIP: qemu-system-x86_64 is not installed" >&2; exit 77; }
[ -r "$LKRN" ] || { echo "SKIP: $LKRN (Debian package ipxe) is not installed" >&2; exit 77; }
W=$(mktemp -d /tmp/mbt-http-qemu.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$W/qemu.log" >&2; grep ' request ' "$W/serve.log" >&2; exit 1; }

R="$W/root"
mkdir -p "$R/devices" "$R/http/images"
printf 'hostname: qemu-pi\nnetboot:\n  console: ttyS0\n' > "$R/devices/52-54-00-6d-62-01.yaml"
cp "$LKRN" "$R/http/images/ironic-python-agent.kernel"
head -c 200000 /dev/urandom > "$R/http/images/ironic-python-agent.initramfs"
printf 'http:\n  address: 127.0.0.1\n' > "$R/metal-boot.yaml"
"$MB_HTTP" --root "$R" serve --listen 127.0.0.1:0 --log-port 0 --port-file "$W/ports" > "$W/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/ports" ] && break; sleep 0.1; done
P=$(sed -n 1p "$W/ports")
[ -n "$P" ] || fail "mb-http did not start"
# The scripts must point the guest at the host as it sees it.
printf 'http:\n  address: 127.0.0.1\n  public_url: http://10.0.2.2:%s\n' "$P" > "$R/metal-boot.yaml"
for _ in $(seq 50); do
    curl -s "http://127.0.0.1:$P/boot.ipxe" | grep -q "10.0.2.2:$P" && break
    sleep 0.1
done
# TCG: KVM inside this kind of VM is often unusable and iPXE is quick without it.
ACCEL=()
"$QEMU" "${ACCEL[@]}" -m 256 -display none -serial null -monitor none -no-reboot \
    -netdev user,id=n0 -device e1000,netdev=n0,mac=52:54:00:6d:62:01 \
    -kernel "$LKRN" -append "dhcp && chain http://10.0.2.2:$P/boot.ipxe" > "$W/qemu.log" 2>&1 &
QPID=$!
PIDS+=($!)
for _ in $(seq 120); do
    grep -q 'target=/images/ironic-python-agent.initramfs status=200' "$W/serve.log" && break
    sleep 0.5
done
grep -q 'target=/boot.ipxe status=200 .*ua=iPXE' "$W/serve.log" || fail "iPXE did not fetch /boot.ipxe"
grep -q 'target=/boot/52%3A54%3A00%3A6d%3A62%3A01.ipxe status=200 .*route=/boot/{mac}.ipxe' "$W/serve.log" ||
    fail "iPXE did not chain to its per-device script"
grep -q 'target=/images/ironic-python-agent.kernel status=200 bytes=[0-9]* .*ua=iPXE' "$W/serve.log" ||
    fail "iPXE did not download the kernel"
grep -q 'target=/images/ironic-python-agent.initramfs status=200 .*aborted=false' "$W/serve.log" ||
    fail "iPXE did not download the initrd"
echo "PASS"
