#!/usr/bin/env bash
# Runs every tool's benchmark (bench/<tool>/run.sh) against its peer in the same run and collects
# the figures each prints ("RESULT name value unit" lines, ratios included) into
# bench/results-<date>.txt. Benchmarks are not part of `make test`; run them on an idle machine.
set -uo pipefail
cd "$(dirname "$0")"
out="results-$(date -u +%Y%m%dT%H%M%SZ).txt"
status=0
for script in */run.sh; do
  tool=${script%%/*}
  echo "== $tool" | tee -a "$out"
  if ! bash "$script" 2>&1 | tee -a "$out"; then
    echo "== $tool: FAILED" | tee -a "$out"
    status=1
  fi
done
echo "results in bench/$out"
exit $status
