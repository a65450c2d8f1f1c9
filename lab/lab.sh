# Entry point of the lab shell library: `. lab/lab.sh` loads every part and gives the lifecycle:
#   lab_init DIR   results dir (serial logs, pcaps, daemon logs), unique namespaces, cleanup trap
#   lab_track PID  remember a background process (daemon, VM, capture) to stop on exit
#   lab_finish RC  record the outcome; artefacts are kept on failure (or MB_LAB_KEEP=1)
LAB_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$LAB_LIB/common.sh"
. "$LAB_LIB/net.sh"
. "$LAB_LIB/qemu.sh"
. "$LAB_LIB/capture.sh"
. "$LAB_LIB/content.sh"
. "$LAB_LIB/servers.sh"
. "$LAB_LIB/boot.sh"
. "$LAB_LIB/firmware.sh"
. "$LAB_LIB/tree.sh"
. "$LAB_LIB/redfish.sh"
. "$LAB_LIB/timeline.sh"

LAB_PIDS=()
LAB_OK=0

lab_track() { LAB_PIDS+=("$1"); }

lab_init() {
    [ "$(id -u)" = 0 ] || lab_die "the lab needs root (network namespaces, tap devices)"
    LAB_DIR=$1
    # the results dir belongs to this run: start empty (a previous run's tree or state would leak in)
    rm -rf "${LAB_DIR:?}"
    mkdir -p "$LAB_DIR"
    LAB_DIR=$(cd "$LAB_DIR" && pwd)
    mkdir -p "$LAB_DIR/logs" "$LAB_DIR/pcap" "$LAB_DIR/run"
    LAB_NS=mblab-$$
    export LAB_DIR LAB_NS
    trap lab_cleanup EXIT
    trap 'exit 130' INT TERM HUP
    lab_net_reap_stale
    lab_net_up
}

lab_cleanup() {
    local rc=$? i
    trap - EXIT
    for (( i=${#LAB_PIDS[@]}-1; i>=0; i-- )); do
        kill "${LAB_PIDS[$i]}" 2>/dev/null || true
    done
    for i in "${LAB_PIDS[@]}"; do
        local n
        for n in $(seq 1 30); do kill -0 "$i" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$i" 2>/dev/null || true
        wait "$i" 2>/dev/null || true
    done
    lab_net_down
    if [ "$LAB_OK" = 1 ] && [ "$rc" = 0 ] && [ "${MB_LAB_KEEP:-0}" != 1 ]; then
        rm -rf "${LAB_DIR:?}"
    elif [ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ]; then
        lab_log "lab: artefacts (serial logs, pcaps, daemon logs) kept in $LAB_DIR"
    fi
    exit "$rc"
}

# Marks the run as passed (artefacts are then removed at exit unless MB_LAB_KEEP=1).
lab_pass() { LAB_OK=1; }
