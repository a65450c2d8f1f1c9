#!/bin/bash
# Metal Boot demo (`make demo`): real UEFI firmware (EDK2 for x86_64 and arm64) and iPXE netboot
# through Metal Boot's daemons in QEMU VMs (TCG, no KVM needed) on a private network of namespaces.
#   bash demo/run-demo.sh            install, build, run the demo (root or sudo)
#   bash demo/run-demo.sh --clean    remove what the demo created (add --all for the download/build cache)
# Artefacts (config tree, serial consoles, pcaps, daemon logs) stay in $MB_DEMO_DIR for inspection.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${MB_DEMO_DIR:=/var/tmp/metal-boot-demo}"
: "${MB_BUILD_DIR:=$SRC/build}"
: "${MB_BIN:=$MB_BUILD_DIR/tools}"
export MB_BIN MB_BUILD_DIR
if [ "$(id -u)" != 0 ]; then exec sudo -E MB_DEMO_DIR="$MB_DEMO_DIR" bash "$0" "$@"; fi
. "$SRC/lab/lab.sh"
. "$SRC/demo/demo_lib.sh"

if [ "${1:-}" = --clean ]; then demo_clean "${2:-}"; exit 0; fi

T_START=$(date +%s)
step "Preparing: packages, build, boot payload, iPXE"
demo_prepare || exit 1

step "The lab: a bridge, a server namespace ($MB_LAB_SRV_IP), one tap per VM"
demo_clean_quiet
lab_init "$MB_DEMO_DIR"
echo "$LAB_NS" > "$MB_DEMO_DIR/namespace"
TREE=$MB_DEMO_DIR/tree
lab_tree_init "$TREE"
lab_content_static "$TREE"
lab_tree_device "$TREE" node-x86 x86_64-uefi 52:54:00:6d:62:01 1
lab_tree_device "$TREE" node-arm64 arm64-uefi 52:54:00:6d:62:02 2 true mb.hold
lab_tree_device "$TREE" node-nopxe x86_64-uefi 52:54:00:6d:62:03 3 false
say "config tree $TREE:"
(cd "$TREE" && find metal-boot.yaml devices firmware -type f | sort | sed 's/^/    /')
demo_config_check
demo_start_daemons || exit 1

step "Power on node-x86 and node-arm64 (Redfish → PoE command driver → VM); each walks DHCP → TFTP → iPXE → script → kernel"
demo_capture node-x86; demo_capture node-arm64
demo_power node-x86 On; demo_power node-arm64 On
demo_wait_marker node-x86 "MB-LAB-MARKER payload up" & W1=$!
demo_wait_marker node-arm64 "MB-LAB-MARKER payload up" & W2=$!
wait $W1; wait $W2
demo_walk node-x86 "x86_64 UEFI (OVMF)"
demo_walk node-arm64 "arm64 UEFI (AAVMF, cortex-a72)"
say "node-nopxe has netboot.allow_pxe: false in devices/52-54-00-6d-62-03.yaml: it is never given a boot file."

step "Redfish: node-arm64 is a running server; power it off and on again"
demo_show_power node-arm64
demo_power node-arm64 ForceOff; demo_wait_power node-arm64 Off
demo_power node-arm64 On; demo_wait_power node-arm64 On
demo_wait_marker node-arm64 "MB-LAB-MARKER holding" && say "node-arm64 is back: $(lab_boot_marker node-arm64 | cut -c1-60)..."

step "Redfish boot override: PXE, Once → firmware/<mac>.json → the VM's rendered UEFI varstore"
demo_boot_override node-arm64 52:54:00:6d:62:02

step "Redfish virtual media: an ISO URL as node-arm64's CD, boot override Cd once (UEFI HTTP boot into a RAM disk)"
demo_virtual_media node-arm64 52:54:00:6d:62:02

step "Done"
demo_summary "$T_START"
lab_pass_keep
