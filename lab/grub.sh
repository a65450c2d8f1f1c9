#!/bin/bash
# The arm64 network loader used when no arm64 iPXE could be built (Debian ships x86 iPXE only and a
# mirror without source packages cannot build one): Debian's own netboot GRUB image for arm64 UEFI,
# grubnetaa64.efi from grub-efi-arm64-bin, downloaded (not installed) and cached as
#   $MB_LAB_CACHE/grub/arm64/grubnetaa64.efi   (+ stamp naming the package it came from)
#   $MB_LAB_CACHE/grub/arm64/arm64-efi/         the same build's modules (*.mod, *.lst): the monolithic
#                                               image has tftp but loads http.mod from $prefix/arm64-efi
#   $MB_LAB_CACHE/grub/arm64/bin/grub-mkimage   Debian's grub-mkimage (grub-common, same version), for
#                                               lab_grub_http_image: GRUB started by UEFI HTTP boot has no
#                                               PXE cache to learn its server from, so that image carries
#                                               a config that runs DHCP and names mb-http itself
# The image's embedded config sources $prefix/grub.cfg from the server it was loaded from (TFTP:
# (tftp,siaddr)/grub/grub.cfg); lab/content.sh writes that file. Prints the directory on stdout.
# Reruns do nothing (MB_LAB_REFRESH=1: re-check the archive for a newer package).
# usage: lab/grub.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
. "$HERE/debs.sh"
OUT=$MB_LAB_CACHE/grub/arm64
IMAGE=usr/lib/grub/arm64-efi/monolithic/grubnetaa64.efi

if [ "${MB_LAB_REFRESH:-0}" != 1 ] && [ -s "$OUT/grubnetaa64.efi" ] && [ -s "$OUT/arm64-efi/http.mod" ] && [ -s "$OUT/arm64-efi/kernel.img" ] && [ -x "$OUT/bin/grub-mkimage" ] && [ -s "$OUT/stamp" ]; then
    echo "$OUT"
    exit 0
fi
mkdir -p "$LAB_DEB_DIR"
ensure_foreign_arch arm64
deb=$(download grub-efi-arm64-bin:arm64)
tools=$(download grub-common:amd64)
stamp="$(basename "$deb") $(basename "$tools")"
if [ -s "$OUT/grubnetaa64.efi" ] && [ -s "$OUT/arm64-efi/http.mod" ] && [ -s "$OUT/arm64-efi/kernel.img" ] && [ -x "$OUT/bin/grub-mkimage" ] &&
    [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$OUT"
    exit 0
fi
tmp=$(mktemp -d "$MB_LAB_CACHE/.grub.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/x"
[ -s "$tmp/x/$IMAGE" ] || lab_die "$(basename "$deb") has no $IMAGE"
mkdir -p "$tmp/new"
cp "$tmp/x/$IMAGE" "$tmp/new/grubnetaa64.efi"
mkdir -p "$tmp/new/arm64-efi"
cp "$tmp/x/usr/lib/grub/arm64-efi/"*.mod "$tmp/x/usr/lib/grub/arm64-efi/"*.lst "$tmp/x/usr/lib/grub/arm64-efi/"*.img \
    "$tmp/x/usr/lib/grub/arm64-efi/modinfo.sh" "$tmp/new/arm64-efi/"
[ -s "$tmp/new/arm64-efi/http.mod" ] || lab_die "$(basename "$deb") has no http.mod"
dpkg-deb -x "$tools" "$tmp/t"
mkdir -p "$tmp/new/bin"
cp "$tmp/t/usr/bin/grub-mkimage" "$tmp/new/bin/grub-mkimage"
if ! "$tmp/new/bin/grub-mkimage" --version >/dev/null 2>&1; then
    # the extracted binary misses a shared library here: install the package for its dependencies
    lab_apt install -y -qq --no-install-recommends grub-common >/dev/null || lab_die "cannot install grub-common"
    "$tmp/new/bin/grub-mkimage" --version >/dev/null || lab_die "grub-mkimage from $(basename "$tools") does not run"
fi
echo "$stamp" > "$tmp/new/stamp"
mkdir -p "$(dirname "$OUT")"
rm -rf "$OUT" && mv "$tmp/new" "$OUT"
lab_log "grub: arm64 netboot GRUB from $stamp"
echo "$OUT"
