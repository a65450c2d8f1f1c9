#!/bin/bash
# Builds iPXE's EFI binaries with Metal Boot's embedded script from Debian's ipxe source package:
#   x86_64: ipxe.efi (all drivers) and snp.efi        (host gcc)
#   arm64:  snp.efi                                    (Debian's gcc-aarch64-linux-gnu)
# into $MB_LAB_CACHE/ipxe/<version>-<script hash>/{x86_64,arm64}/ and prints that directory.
# The embedded script retries DHCP until it has a boot filename, then chains it (mb-dhcp answers
# iPXE's DHCP with the per-device script URL). IPv6 is compiled out: without a router advertisement
# iPXE would wait ~16 s for IPv6 autoconfiguration on every boot.
# Reruns with the same source version and script do nothing. `make ipxe` runs this.
# usage: lab/build-ipxe.sh [--jobs N]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
JOBS=2
[ "${1:-}" = --jobs ] && JOBS=${2:?--jobs N}
[ "$(id -u)" = 0 ] || lab_die "run as root (installs build packages and adds a deb-src entry)"

SCRIPT=$(cat <<'IPXE'
#!ipxe
echo Metal Boot iPXE ${buildarch} ${platform}: DHCP on ${net0/mac}
:dhcp
dhcp || goto retry
isset ${filename} || goto retry
echo Metal Boot iPXE: chaining ${filename}
chain ${filename} || goto retry
:retry
echo Metal Boot iPXE: no boot instructions yet, retrying in 2 s
sleep 2
goto dhcp
IPXE
)
HASH=$(printf '%s\n%s\n' "$SCRIPT" "noipv6-v1" | sha256sum | cut -c1-12)
complete() { [ -s "$1/x86_64/ipxe.efi" ] && [ -s "$1/x86_64/snp.efi" ] && [ -s "$1/arm64/snp.efi" ]; }
# fast path: a finished build with this script exists (MB_LAB_REFRESH=1 re-checks the source version)
if [ "${MB_LAB_REFRESH:-0}" != 1 ]; then
    for d in "$MB_LAB_CACHE"/ipxe/*-"$HASH"; do
        complete "$d" && { echo "$d"; exit 0; }
    done
fi

SRC_LIST=/etc/apt/sources.list.d/metal-boot-lab-src.sources
if ! apt-cache showsrc ipxe 2>/dev/null | grep -q '^Version'; then
    lab_log "build-ipxe: adding a deb-src entry for Debian 12 in $SRC_LIST"
    cat > "$SRC_LIST" <<'SRC'
# Added by Metal Boot lab/build-ipxe.sh: source packages for `apt-get source ipxe`
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    lab_apt update -qq
fi
need=()
for p in dpkg-dev gcc make perl liblzma-dev gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
[ ${#need[@]} -eq 0 ] || lab_apt install -y -qq --no-install-recommends "${need[@]}" >/dev/null

VERSION=$(apt-cache showsrc ipxe | sed -n 's/^Version: //p' | sort -V | tail -1)
# Debian's version names the upstream commit it packages: 1.0.0+git-20190125.36a4c85-5.1 -> 36a4c85
UPSTREAM_COMMIT=${MB_IPXE_COMMIT:-$(echo "$VERSION" | sed -n 's/.*git-[0-9]*\.\([0-9a-f]*\)-.*/\1/p')}
OUT=$MB_LAB_CACHE/ipxe/$VERSION-$HASH
if complete "$OUT"; then
    echo "$OUT"; exit 0
fi

WORK=$MB_LAB_CACHE/ipxe/src-$VERSION
# A mirror without the source tarball fails the same way for a while: remember that for an hour so
# each e2e test does not pay the download attempt again (MB_LAB_REFRESH=1 retries at once).
UNAVAILABLE=$MB_LAB_CACHE/ipxe/unavailable-$VERSION
if [ ! -d "$WORK/src" ] && [ -z "${MB_IPXE_GIT:-}" ] && [ "${MB_LAB_REFRESH:-0}" != 1 ] &&
    [ -n "$(find "$UNAVAILABLE" -mmin -60 2>/dev/null)" ]; then
    cat "$UNAVAILABLE" >&2
    lab_die "apt-get source ipxe failed less than an hour ago (see above); set MB_IPXE_GIT=<iPXE git dir> to build upstream commit $UPSTREAM_COMMIT instead"
fi
if [ ! -d "$WORK/src" ]; then
    rm -rf "$WORK.tmp" && mkdir -p "$WORK.tmp"
    if (cd "$WORK.tmp" && apt-get source -q -o APT::Sandbox::User=root "ipxe=$VERSION" >"$WORK.tmp.log" 2>&1); then
        mv "$WORK.tmp"/ipxe-*/ "$WORK"
    elif [ -n "${MB_IPXE_GIT:-}" ]; then
        # The mirror has no source tarballs (seen behind caching proxies): build the same upstream
        # commit Debian's package is based on from a local iPXE git repository instead.
        lab_log "build-ipxe: apt-get source ipxe failed ($(grep -m1 '^E:' "$WORK.tmp.log")); using upstream commit $UPSTREAM_COMMIT from $MB_IPXE_GIT"
        mkdir -p "$WORK.tmp/src-tree"
        git --git-dir="$MB_IPXE_GIT" archive "$UPSTREAM_COMMIT" | tar -x -C "$WORK.tmp/src-tree" || lab_die "git archive $UPSTREAM_COMMIT failed"
        mv "$WORK.tmp/src-tree" "$WORK"
    else
        cat "$WORK.tmp.log" >&2
        grep '^E:' "$WORK.tmp.log" > "$UNAVAILABLE" || cp "$WORK.tmp.log" "$UNAVAILABLE"
        lab_die "apt-get source ipxe failed; set MB_IPXE_GIT=<iPXE git dir> to build upstream commit $UPSTREAM_COMMIT instead"
    fi
    rm -rf "$WORK.tmp" "$WORK.tmp.log" "$UNAVAILABLE"
fi
printf '%s\n' "$SCRIPT" > "$WORK/src/metal-boot.ipxe"
mkdir -p "$WORK/src/config/local"
cat > "$WORK/src/config/local/general.h" <<'H'
/* Metal Boot lab: IPv4 only (no 16 s IPv6 autoconfiguration wait), HTTP downloads. */
#undef NET_PROTO_IPV6
#define DOWNLOAD_PROTO_HTTP
H
T0=$(date +%s)
# -fcommon: this iPXE predates GCC 10 turning -fno-common on (legacy drivers share _shared_bss).
# HOST_CFLAGS on the command line: its arm64 Makefile leaks -mabi=lp64 into the host tools otherwise.
mk() { make -C "$WORK/src" -j"$JOBS" NO_WERROR=1 EXTRA_CFLAGS=-fcommon HOST_CFLAGS="-O2 -g" EMBED=metal-boot.ipxe "$@"; }
lab_log "build-ipxe: building iPXE $VERSION (x86_64 ipxe.efi snp.efi, arm64 snp.efi) with $JOBS jobs"
mk bin-x86_64-efi/ipxe.efi bin-x86_64-efi/snp.efi > "$MB_LAB_CACHE/ipxe/build-x86_64.log" 2>&1 ||
    { tail -30 "$MB_LAB_CACHE/ipxe/build-x86_64.log" >&2; lab_die "x86_64 build failed"; }
mk CROSS=aarch64-linux-gnu- bin-arm64-efi/snp.efi > "$MB_LAB_CACHE/ipxe/build-arm64.log" 2>&1 ||
    { tail -30 "$MB_LAB_CACHE/ipxe/build-arm64.log" >&2; lab_die "arm64 build failed"; }
mkdir -p "$OUT.tmp/x86_64" "$OUT.tmp/arm64"
cp "$WORK/src/bin-x86_64-efi/ipxe.efi" "$WORK/src/bin-x86_64-efi/snp.efi" "$OUT.tmp/x86_64/"
cp "$WORK/src/bin-arm64-efi/snp.efi" "$OUT.tmp/arm64/"
printf '%s\n' "$SCRIPT" > "$OUT.tmp/embedded.ipxe"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
lab_log "build-ipxe: done in $(( $(date +%s) - T0 )) s -> $OUT"
echo "$OUT"
