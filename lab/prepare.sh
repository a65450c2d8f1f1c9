#!/bin/bash
# Fills the lab's cache ($MB_LAB_CACHE) with everything a boot needs, so the first lab run or e2e
# test does not pay for it: the payload kernels/initramfs, our iPXE build (or, where the Debian
# mirror has no iPXE sources, Debian's netboot GRUB for arm64), the formatted AAVMF base
# varstore and the virtual-media ISO. Idempotent: what is cached already is kept. `make test` runs it in the background while
# the integration tests run. usage: lab/prepare.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lab.sh"
t0=$(date +%s)
bash "$HERE/payload.sh" >/dev/null
bash "$HERE/build-ipxe.sh" >/dev/null 2>&1 || {
    lab_log "lab/prepare: no iPXE build (see lab/build-ipxe.sh); caching Debian's netboot GRUB for arm64"
    bash "$HERE/grub.sh" >/dev/null
}
lab_aavmf_base >/dev/null
bash "$HERE/iso.sh" >/dev/null   # the virtual-media test's CD (needs the payload and Debian's GRUB)
lab_log "lab/prepare: cache $MB_LAB_CACHE ready in $(( $(date +%s) - t0 ))s"
