#!/bin/bash
# bench/tftp entry point: makes the peers available (peers.sh), then runs bench.py with them.
# Run it holding the shared benchmark lock:  flock /work/wt/bench.lock bash bench/tftp/run.sh [ARGS]
# ARGS go to bench.py (--runs N, --clients N, --quick, ...). Env: MB_BIN (build/tools).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TFTPD_HPA=$(bash "$HERE/peers.sh" | tail -1)
export TFTPD_HPA
echo "load: $(uptime)"
exec /usr/bin/python3 "$HERE/bench.py" "$@"
