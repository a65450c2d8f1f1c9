#!/bin/bash
# Makes the bench's TFTP peers available on a fresh machine (root): atftpd, dnsmasq and the
# clients (atftp, curl, tftp-hpa) as Debian packages; tftpd-hpa conflicts with atftpd as a Debian
# package, so its .deb is downloaded with apt-get and unpacked under $PEERS (never installed).
# Idempotent. Prints the tftpd-hpa binary path. Usage: bench/tftp/peers.sh [PEERS_DIR]
set -euo pipefail
PEERS="${1:-${MB_PEERS:-/opt/mb-peers}}"
need=()
for p in atftp atftpd dnsmasq-base curl tftp-hpa; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "peers: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
HPA="$PEERS/tftpd-hpa/usr/sbin/in.tftpd"
if [ ! -x "$HPA" ]; then
    echo "peers: unpacking tftpd-hpa under $PEERS/tftpd-hpa" >&2
    T=$(mktemp -d /tmp/mb-peers.XXXXXX)
    trap 'rm -rf "$T"' EXIT
    (cd "$T" && apt-get download -qq tftpd-hpa >/dev/null 2>&1) ||
        { apt-get update -qq && (cd "$T" && apt-get download -qq tftpd-hpa >/dev/null); }
    mkdir -p "$PEERS/tftpd-hpa"
    dpkg-deb -x "$T"/tftpd-hpa_*.deb "$PEERS/tftpd-hpa"
fi
"$HPA" -V >&2 2>&1 || true
echo "$HPA"
