# Shared part of the end-to-end lab tests (sourced by tests/e2e/test_*.sh; not a test itself).
# Env (set by CTest): MB_BIN (built tools), MB_SOURCE_DIR, MB_BUILD_DIR.
# Results: $MB_BUILD_DIR/e2e-results/<test>/ — serial logs, pcaps, daemon logs; kept on failure.
# A test needs Metal Boot's own daemons; when one is missing it exits 77 with a loud SKIP banner.
# MB_E2E_STANDIN="dhcp tftp http" (developers only) runs the lab with stand-ins for those services;
# such a run can never pass: it ends with exit 77 ("STAND-IN") even if every check held.
set -u
E2E_NAME=$(basename "$0" .sh)
: "${MB_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MB_BUILD_DIR:=$MB_SOURCE_DIR/build}"
: "${MB_BIN:=$MB_BUILD_DIR/tools}"
export MB_BIN MB_SOURCE_DIR MB_BUILD_DIR
. "$MB_SOURCE_DIR/lab/lab.sh"
MB_LAB_STANDIN=${MB_E2E_STANDIN:-}
MB_LAB_NS_PREFIX=mbtlab
E2E_T0=$(date +%s.%N)
E2E_FAILS=0

# (printed to stdout and stderr; not via `tee /dev/stderr`, which truncates a log file both go to)
e2e_banner() {
    printf '\n!!!!!!!!!! %s: %s !!!!!!!!!!\n\n' "$E2E_NAME" "$*"
    [ -t 2 ] || [ ! -t 1 ] && printf '!!!!!!!!!! %s: %s !!!!!!!!!!\n' "$E2E_NAME" "$*" >&2
    return 0
}
e2e_skip() { e2e_banner "SKIP: $*"; exit 77; }
e2e_fail() { echo "FAIL: $*"; E2E_FAILS=$((E2E_FAILS + 1)); }
e2e_ok() { echo "ok: $*"; }
e2e_check() { # description, command...
    local d=$1; shift
    if "$@"; then e2e_ok "$d"; else e2e_fail "$d"; fi
}

# Root, namespaces, QEMU and firmware for the given profiles.
e2e_need_host() {
    [ "$(id -u)" = 0 ] || e2e_skip "needs root (network namespaces, tap devices); CI runs as root"
    ip netns add "mbte2e-probe-$$" 2>/dev/null || e2e_skip "this kernel cannot create network namespaces"
    ip netns del "mbte2e-probe-$$"
    [ -c /dev/net/tun ] || e2e_skip "no /dev/net/tun (tap devices) in this kernel/container"
    local p missing
    for p in "$@"; do
        missing=$(lab_profile_check "$p") || e2e_skip "QEMU profile $p needs $missing (make deps)"
    done
    command -v tcpdump >/dev/null || e2e_skip "tcpdump missing (make deps)"
}

# Metal Boot daemons this test runs; stand-ins only in developer mode (see above).
e2e_need_daemons() {
    local svc why
    for svc in "$@"; do
        [ "$(lab_impl "$svc")" = standin ] && continue
        why=$(lab_require_daemon "$svc" serve) || e2e_skip "mb-$svc is needed and not available: $why"
    done
}

# Payload and iPXE (cached builds; the first run downloads/compiles them).
e2e_need_content() {
    bash "$MB_SOURCE_DIR/lab/payload.sh" >/dev/null || e2e_skip "payload could not be built (Debian mirror reachable?)"
    # e2e_need_content ipxe [arm64]: our iPXE build. Debian ships x86 iPXE only, so x86_64 falls back
    # to Debian's ipxe.efi when the build is impossible, and arm64 to Debian's netboot GRUB.
    if [ "${1:-}" = ipxe ]; then
        if ! bash "$MB_SOURCE_DIR/lab/build-ipxe.sh" >/dev/null 2>"$MB_BUILD_DIR/e2e-build-ipxe.log"; then
            local why
            why=$(grep -m1 -iE 'error|fail' "$MB_BUILD_DIR/e2e-build-ipxe.log")
            if [ "${2:-}" = arm64 ]; then
                bash "$MB_SOURCE_DIR/lab/grub.sh" >/dev/null 2>>"$MB_BUILD_DIR/e2e-build-ipxe.log" ||
                    e2e_skip "no arm64 loader: lab/build-ipxe.sh could not build iPXE ($why) and Debian's grub-efi-arm64-bin could not be downloaded"
                e2e_banner "WARNING: no arm64 iPXE ($why); arm64 boots through Debian's netboot GRUB"
            else
                e2e_banner "WARNING: lab/build-ipxe.sh failed ($why); x86_64 uses Debian's /usr/lib/ipxe/ipxe.efi"
            fi
        fi
    fi
}

# Creates the lab: namespaces, config tree at $TREE (devices added by the test), results dir.
e2e_lab_up() {
    lab_init "$MB_BUILD_DIR/e2e-results/$E2E_NAME"
    TREE=$LAB_DIR/tree
    lab_tree_init "$TREE"
    lab_content_static "$TREE"
}

# Ends the test: 0 if every check held, 1 otherwise, 77 after a stand-in run.
e2e_finish() {
    local secs
    secs=$(lab_since "$E2E_T0")
    if [ "$E2E_FAILS" != 0 ]; then
        echo "$E2E_NAME: FAILED ($E2E_FAILS checks) in ${secs}s; artefacts in $LAB_DIR"
        exit 1
    fi
    if [ -n "$MB_LAB_STANDIN" ]; then
        e2e_banner "STAND-IN RUN ($MB_LAB_STANDIN replaced by dnsmasq/python): checks held in ${secs}s, but this is not a pass"
        exit 77
    fi
    echo "$E2E_NAME: PASSED in ${secs}s"
    lab_pass
    exit 0
}

# Starts the listed services against $TREE and waits for their ports.
e2e_start_servers() {
    local svc
    for svc in "$@"; do
        "start_$svc" "$TREE"
        case $svc in
            dhcp) lab_wait_port udp 67 || e2e_fail "nothing listens on UDP 67 (logs/$svc.log)" ;;
            tftp) lab_wait_port udp 69 || e2e_fail "nothing listens on UDP 69 (logs/$svc.log)" ;;
            http) lab_wait_port tcp "$MB_LAB_HTTP_PORT" || e2e_fail "nothing listens on TCP $MB_LAB_HTTP_PORT (logs/$svc.log)" ;;
            redfish) lab_wait_port tcp "$MB_LAB_REDFISH_PORT" || e2e_fail "nothing listens on TCP $MB_LAB_REDFISH_PORT (logs/$svc.log)" ;;
        esac
    done
}

# Checks that `mb-SVC decode` explains the boot's capture: it must succeed and mention every
# PATTERN (case-insensitive). The daemon's own --capture file is used, else the tap capture.
# usage: e2e_decode SVC PATTERN...
e2e_decode() {
    local svc=$1; shift
    local pcap=$LAB_DIR/pcap/mb-$svc.pcap why out p
    if ! why=$(lab_require_daemon "$svc" decode); then
        if [ "$(lab_impl "$svc")" = standin ]; then echo "note: decode check of mb-$svc skipped in a stand-in run ($why)"; return; fi
        e2e_fail "mb-$svc decode: $why"; return
    fi
    if [ ! -s "$pcap" ]; then
        [ "$(lab_impl "$svc")" = mb ] && e2e_fail "mb-$svc serve --capture wrote no $pcap"
        pcap=$(ls "$LAB_DIR"/pcap/*.pcap | grep -v '/mb-' | head -1)
    fi
    out=$LAB_DIR/logs/mb-$svc-decode.txt
    if ! "$MB_BIN/mb-$svc" decode "$pcap" > "$out" 2>&1; then
        e2e_fail "mb-$svc decode $pcap failed (see $out)"; return
    fi
    for p in "$@"; do
        grep -qi -- "$p" "$out" || { e2e_fail "mb-$svc decode does not mention '$p' (see $out)"; return; }
    done
    e2e_ok "mb-$svc decode explains $(basename "$pcap") ($(wc -l < "$out") lines, mentions: $*)"
}
