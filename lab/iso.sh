#!/bin/bash
# A small UEFI-bootable arm64 ISO for virtual-media tests, cached as
#   $MB_LAB_CACHE/iso/arm64/vmedia.iso   (+ stamp naming the payload and GRUB it was made from)
# Layout, the same as an installer CD's: an El Torito "no emulation" entry for EFI (platform 0xEF)
# whose FAT image holds \EFI\BOOT\BOOTAA64.EFI, plus /vmlinuz, /initrd.img (the lab payload) and
# /mb-vmedia.id on the ISO 9660 volume. BOOTAA64.EFI is GRUB from Debian's build (lab/grub.sh) with
# an embedded config: find the volume that has /mb-vmedia.id, boot its kernel with `mb.vmedia` on the
# command line (the payload prints its command line, so a boot from this CD is recognisable).
# UEFI HTTP boot of this file's URL (.iso) puts it in a RAM disk that the firmware boots like a CD.
# Needs xorriso, mtools and dosfstools. Prints the ISO's path. usage: lab/iso.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
OUT=$MB_LAB_CACHE/iso/arm64
ISO_VERSION=iso-v1   # bump when the layout or the embedded config changes
for t in xorriso mcopy mmd mkfs.vfat; do
    command -v "$t" >/dev/null || lab_die "$t is missing (apt-get install xorriso mtools dosfstools)"
done
payload=$(bash "$HERE/payload.sh" arm64)/arm64
grub=$(bash "$HERE/grub.sh")
stamp="$ISO_VERSION $(cat "$payload/stamp") $(cat "$grub/stamp")"
if [ -s "$OUT/vmedia.iso" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$OUT/vmedia.iso"
    exit 0
fi
mkdir -p "$MB_LAB_CACHE/iso"
tmp=$(mktemp -d "$MB_LAB_CACHE/iso/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/embed.cfg" <<'G'
echo "Metal Boot lab GRUB (virtual CD): looking for the CD"
search --no-floppy --file --set=root /mb-vmedia.id
echo "Metal Boot lab GRUB (virtual CD): booting the payload from ($root)"
linux ($root)/vmlinuz console=ttyAMA0 quiet panic=-1 mb.vmedia
initrd ($root)/initrd.img
boot
G
"$grub/bin/grub-mkimage" -O arm64-efi -d "$grub/arm64-efi" -c "$tmp/embed.cfg" -p /boot/grub \
    -o "$tmp/BOOTAA64.EFI" normal configfile echo search search_fs_file iso9660 part_msdos part_gpt \
    linux boot >/dev/null
mkfs.vfat -C -n MBEFIBOOT "$tmp/efiboot.img" 4096 >/dev/null
mmd -i "$tmp/efiboot.img" ::/EFI ::/EFI/BOOT
mcopy -i "$tmp/efiboot.img" "$tmp/BOOTAA64.EFI" ::/EFI/BOOT/BOOTAA64.EFI
mkdir -p "$tmp/root"
cp "$tmp/efiboot.img" "$payload/vmlinuz" "$payload/initrd.img" "$tmp/root/"
echo "Metal Boot lab virtual CD ($stamp)" > "$tmp/root/mb-vmedia.id"
xorriso -as mkisofs -quiet -R -J -V MB_VMEDIA -e efiboot.img -no-emul-boot -o "$tmp/vmedia.iso" "$tmp/root"
mkdir -p "$OUT"
echo "$stamp" > "$tmp/stamp"
mv "$tmp/vmedia.iso" "$OUT/vmedia.iso"
mv "$tmp/stamp" "$OUT/stamp"
lab_log "iso: $OUT/vmedia.iso ($(du -h "$OUT/vmedia.iso" | cut -f1)) from $stamp"
echo "$OUT/vmedia.iso"
