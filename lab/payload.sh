#!/bin/bash
# Builds the lab's boot payload for x86_64 and arm64 from Debian packages, reproducibly, into
# $MB_LAB_CACHE/payload/<arch>/{vmlinuz,initrd.img}:
#   kernel    = Debian's linux-image-<abi>-cloud-<arch> (arm64: gunzipped to the EFI-stub Image)
#   initramfs = busybox-static of that architecture + an /init that prints the lab marker
#               ("MB-LAB-MARKER payload up: arch=... cmdline=...") on the console and powers off
#               (with `mb.hold` on the kernel command line it stays up until powered off).
# Reruns do nothing (MB_LAB_REFRESH=1: rebuild if the archive has newer package versions). Prints the payload directory on stdout.
# usage: lab/payload.sh [x86_64|arm64 ...]    (default: both)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
. "$HERE/debs.sh"
ARCHES=${*:-x86_64 arm64}
INIT_VERSION=init-v2   # bump when write_init changes
OUT=$MB_LAB_CACHE/payload
mkdir -p "$OUT/debs"
LAB_DEB_DIR=$OUT/debs

write_init() {
    cat > "$1" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "MB-LAB-MARKER payload up: arch=$(/bin/busybox uname -m) kernel=$(/bin/busybox uname -r) cmdline=$(/bin/busybox cat /proc/cmdline)"
/bin/busybox sync
# mb.hold on the command line: stay up (a "running server") until powered off from outside
case " $(/bin/busybox cat /proc/cmdline) " in
    *" mb.hold "*) echo "MB-LAB-MARKER holding (mb.hold)"; while :; do /bin/busybox sleep 3600; done ;;
esac
/bin/busybox poweroff -f
INIT
    chmod 755 "$1"
}

build_arch() {
    local arch=$1 da kpkg kdeb bdeb stamp dir tmp
    # fast path: a finished build of this init version exists (MB_LAB_REFRESH=1 re-checks the archive)
    if [ "${MB_LAB_REFRESH:-0}" != 1 ] && [ -s "$OUT/$arch/vmlinuz" ] && [ -s "$OUT/$arch/initrd.img" ] &&
        grep -q " $INIT_VERSION\$" "$OUT/$arch/stamp" 2>/dev/null; then
        return 0
    fi
    da=$(deb_arch "$arch")
    ensure_foreign_arch "$da"
    kpkg=$(kernel_pkg "$da")
    [ -n "$kpkg" ] || lab_die "cannot resolve linux-image-cloud-$da"
    kdeb=$(download "$kpkg:$da")
    bdeb=$(download "busybox-static:$da")
    dir=$OUT/$arch
    stamp="$(basename "$kdeb") $(basename "$bdeb") $INIT_VERSION"
    if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ] && [ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd.img" ]; then
        return 0
    fi
    lab_log "payload: building $arch from $(basename "$kdeb") + $(basename "$bdeb")"
    tmp=$(mktemp -d "$OUT/.build-$arch.XXXXXX")
    trap 'rm -rf "$tmp"' RETURN
    dpkg-deb -x "$kdeb" "$tmp/k"
    dpkg-deb -x "$bdeb" "$tmp/b"
    local vmlinuz
    vmlinuz=$(ls "$tmp"/k/boot/vmlinuz-* | head -1)
    mkdir -p "$tmp/new"
    if [ "$arch" = arm64 ] && gzip -t "$vmlinuz" 2>/dev/null; then
        # Debian's arm64 vmlinuz is a gzipped Image; the Image itself is the EFI-stub PE that iPXE boots.
        gzip -dc "$vmlinuz" > "$tmp/new/vmlinuz"
    else
        cp "$vmlinuz" "$tmp/new/vmlinuz"
    fi
    mkdir -p "$tmp/root/bin" "$tmp/root/dev" "$tmp/root/proc" "$tmp/root/sys"
    cp "$tmp/b/bin/busybox" "$tmp/root/bin/busybox"
    write_init "$tmp/root/init"
    find "$tmp/root" -exec touch -h -d @0 {} +
    (cd "$tmp/root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet --reproducible -o -H newc -R 0:0) | gzip -9 -n > "$tmp/new/initrd.img"
    echo "$stamp" > "$tmp/new/stamp"
    rm -rf "$dir" && mv "$tmp/new" "$dir"
}

for a in $ARCHES; do build_arch "$a"; done
echo "$OUT"
