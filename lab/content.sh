# Static boot content of a lab config tree (sourced):
#   tftp/ipxe.efi                   x86_64 iPXE (our build with the embedded script; Debian's as fallback)
#   tftp/snp.efi                    arm64 iPXE (our build; absent if it could not be built)
#   http/ipxe/{ipxe,snp}.efi        the same binaries for UEFI HTTP boot (mb-dhcp --http-boot-path /ipxe)
#   http/payload/<arch>/{vmlinuz,initrd.img}   the marker payload (lab/payload.sh)
#   firmware/AAVMF_VARS.fd          base image of the arm64 VMs' per-device varstores

# Directory of the iPXE build (lab/build-ipxe.sh), or empty if there is none.
lab_ipxe_dir() {
    if [ -n "${MB_LAB_IPXE_DIR:-}" ]; then echo "$MB_LAB_IPXE_DIR"; return; fi
    local d
    d=$(ls -d "$MB_LAB_CACHE"/ipxe/*-*/arm64 2>/dev/null | sort | tail -1)
    [ -n "$d" ] && dirname "$d"
}

# usage: lab_content_static TREE
lab_content_static() {
    local tree=$1 ipxe payload
    mkdir -p "$tree/tftp" "$tree/http/ipxe" "$tree/http/payload"
    ipxe=$(lab_ipxe_dir)
    if [ -n "$ipxe" ] && [ -s "$ipxe/x86_64/ipxe.efi" ]; then
        cp "$ipxe/x86_64/ipxe.efi" "$tree/tftp/ipxe.efi"
    else
        lab_log "lab: no iPXE build in $MB_LAB_CACHE/ipxe (run lab/build-ipxe.sh); using Debian's /usr/lib/ipxe/ipxe.efi for x86_64"
        cp /usr/lib/ipxe/ipxe.efi "$tree/tftp/ipxe.efi"
    fi
    cp "$tree/tftp/ipxe.efi" "$tree/http/ipxe/ipxe.efi"
    if [ -n "$ipxe" ] && [ -s "$ipxe/arm64/snp.efi" ]; then
        cp "$ipxe/arm64/snp.efi" "$tree/tftp/snp.efi"
        cp "$ipxe/arm64/snp.efi" "$tree/http/ipxe/snp.efi"
    else
        lab_log "lab: no arm64 iPXE build: arm64 machines can only UEFI-HTTP-boot the kernel directly"
    fi
    # the base image arm64 VMs' varstores are rendered from (made once by AAVMF itself, cached)
    mkdir -p "$tree/firmware"
    cp "$(lab_aavmf_base)" "$tree/firmware/AAVMF_VARS.fd"
    payload=${MB_LAB_PAYLOAD:-$MB_LAB_CACHE/payload}
    [ -s "$payload/x86_64/vmlinuz" ] && [ -s "$payload/arm64/vmlinuz" ] || lab_die "no payload in $payload (run lab/payload.sh)"
    rm -rf "$tree/http/payload" && mkdir -p "$tree/http/payload"
    # hard links when the cache is on the same file system: no 40 MB copies per run
    cp -rl "$payload/x86_64" "$payload/arm64" "$tree/http/payload/" 2>/dev/null ||
        cp -r "$payload/x86_64" "$payload/arm64" "$tree/http/payload/"
}

# Console device of the payload kernel per architecture.
lab_console() { case $1 in x86_64) echo ttyS0;; arm64) echo ttyAMA0;; esac; }

# The iPXE script that boots the payload (what mb-http renders per device; the HTTP stand-in serves
# this pre-rendered file instead). EXTRA: more kernel arguments (e.g. mb.hold).
# usage: lab_payload_script ARCH MAC [EXTRA]
lab_payload_script() {
    local arch=$1 mac=$2 extra=${3:+ $3} base="http://$MB_LAB_SRV_IP:$MB_LAB_HTTP_PORT/payload/$1"
    cat <<S
#!ipxe
echo Metal Boot lab: booting the $arch payload for $mac
kernel $base/vmlinuz initrd=initrd.img console=$(lab_console "$arch") quiet panic=-1$( [ "$arch" = x86_64 ] && echo " no_timer_check") mb.mac=$mac$extra
initrd $base/initrd.img
boot
S
}
