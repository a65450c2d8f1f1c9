#!/usr/bin/env bash
# Installs the Debian 12 packages that Metal Boot's build, tests, benchmarks and demo need.
# Idempotent: only missing packages are installed. Run as root.
set -euo pipefail
BUILD_PACKAGES=(
  cmake g++ ninja-build pkg-config ccache
  libcli11-dev libboost-dev libboost-system-dev libyaml-cpp-dev nlohmann-json3-dev
  libcurl4-openssl-dev libssl-dev libcrypt-dev libfmt-dev libpcap-dev catch2 libsystemd-dev libedit-dev
  liblzma-dev libzstd-dev libsnmp-dev
  clang libclang-rt-14-dev
)
TEST_PACKAGES=(
  iproute2 procps psmisc curl xz-utils zstd netcat-openbsd socat
  busybox udhcpc isc-dhcp-client kea-admin python3-scapy tshark dnsmasq-base
  atftp atftpd tftp-hpa nginx-light efibootmgr efivar python3-sushy
  snmp snmpd python3-cryptography python3-pkg-resources python3-yaml hyperfine wrk
)
EXTRA_FILE="$(dirname "$0")/extra-packages.txt"
EXTRA=()
if [ -f "$EXTRA_FILE" ]; then
  mapfile -t EXTRA < <(sed 's/#.*//' "$EXTRA_FILE" | tr -s ' \t' '\n' | grep -v '^$')
fi
missing=()
for p in "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${EXTRA[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#BUILD_PACKAGES[@]}+${#TEST_PACKAGES[@]}+${#EXTRA[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
