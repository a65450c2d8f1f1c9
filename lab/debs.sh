# Debian binary packages of any architecture, downloaded (never installed) into a cache (sourced by
# lab/payload.sh and lab/grub.sh): the lab's payload kernels, busybox and GRUB come from the archive.
#   deb_arch x86_64|arm64           Debian's name of the architecture
#   ensure_foreign_arch ARCH        lets apt see ARCH's packages (dpkg --add-architecture; download only)
#   kernel_pkg ARCH                 the concrete kernel package behind linux-image-cloud-ARCH
#   download PKG:ARCH               path of the .deb in $LAB_DEB_DIR (downloaded once)
: "${LAB_DEB_DIR:=$MB_LAB_CACHE/payload/debs}"

deb_arch() { case $1 in x86_64) echo amd64;; arm64) echo arm64;; *) lab_die "unknown arch $1";; esac; }

ensure_foreign_arch() {
    [ "$1" = amd64 ] && return 0
    if ! dpkg --print-foreign-architectures | grep -qx "$1"; then
        lab_log "payload: enabling the $1 package architecture (for apt-get download only)"
        dpkg --add-architecture "$1"
        lab_apt update -qq
    elif ! apt-cache policy "busybox-static:$1" | grep -q Candidate; then
        lab_apt update -qq
    fi
}

# The concrete kernel package behind the metapackage, e.g. linux-image-6.1.0-56-cloud-amd64.
kernel_pkg() {
    apt-cache depends "linux-image-cloud-$1:$1" | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1
}

download() { # package:arch -> path of the .deb in the cache
    local spec=$1 name=${1%%:*} arch=${1##*:} ver deb
    ver=$(apt-cache policy "$spec" | sed -n 's/^ *Candidate: //p')
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || lab_die "no candidate for $spec (apt-get update?)"
    deb="$LAB_DEB_DIR/${name}_${ver//:/%3a}_${arch}.deb"
    if [ ! -s "$deb" ]; then
        (cd "$LAB_DEB_DIR" && apt-get download -q -o APT::Sandbox::User=root "$spec=$ver" >/dev/null) || lab_die "apt-get download $spec failed"
    fi
    [ -s "$deb" ] || lab_die "expected $deb after apt-get download"
    echo "$deb"
}
