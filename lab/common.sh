# Shared settings and helpers for the netboot lab (sourced by every lab/*.sh and tests/e2e/*.sh).
# Nothing here touches the host network: all lab traffic stays inside the namespaces lab/net.sh creates.

# Cache for downloaded/built artefacts (payload kernels, iPXE builds); outside the repository.
: "${MB_LAB_CACHE:=/var/cache/metal-boot-lab}"
# Lab subnet: the server namespace is .2, VMs get addresses from the pool.
: "${MB_LAB_NET:=10.77.0}"
MB_LAB_SRV_IP=$MB_LAB_NET.2
: "${MB_LAB_HTTP_PORT:=8080}"
: "${MB_LAB_REDFISH_PORT:=8443}"

lab_log() { printf '%s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# Seconds since the epoch with sub-second precision.
lab_now() { date +%s.%N; }
# Elapsed seconds (one decimal) since a lab_now value.
lab_since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN{printf "%.1f", a-b}'; }

# Runs apt-get with a generous lock timeout (several engineers/CI steps may run apt concurrently).
lab_apt() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
