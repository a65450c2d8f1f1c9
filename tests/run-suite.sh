#!/usr/bin/env bash
# The whole suite behind `make test`, scheduled for a 2-core machine:
#   1. unit tests, fuzz replays and integration tests against real peers (ctest -j2, label != e2e),
#   2. the QEMU end-to-end lab (label e2e, one test at a time),
#   3. unit tests and fuzz replays again, built with ASan+UBSan.
# Stages 1 and 2 mostly wait on peers and on one emulated CPU, so the sanitizer build of stage 3
# runs meanwhile in the background at the lowest CPU priority (nice 19) and the tests keep the
# cores they ask for; the lab's cache (payload, loaders, AAVMF base store: lab/prepare.sh) is
# filled during stage 1 as well. Every stage runs even if an earlier one failed; the exit code is the first
# failure's. Environment: BUILD, BUILD_ASAN, JOBS, CTEST_FLAGS, CMAKE_FLAGS (as in the Makefile).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build} BUILD_ASAN=${BUILD_ASAN:-build-asan} JOBS=${JOBS:-$(nproc)}
CTEST_FLAGS=${CTEST_FLAGS:---output-on-failure} CMAKE_FLAGS=${CMAKE_FLAGS:-}
read -r -a ctest_flags <<<"$CTEST_FLAGS"
read -r -a cmake_flags <<<"$CMAKE_FLAGS"
rc=0
stage() { echo; echo "=== $* ($(date +%T))"; }
fail() { echo "*** $*" >&2; [ "$rc" != 0 ] || rc=1; }

asan_log=$BUILD_ASAN/background-build.log
mkdir -p "$BUILD_ASAN"
stage "sanitizer build started in the background (log: $asan_log)"
(
    exec >"$asan_log" 2>&1
    # clang: compiles this build ~1.4x faster than GCC and warns differently (both warning-free)
    [ -f "$BUILD_ASAN/build.ninja" ] ||
        CXX=${ASAN_CXX:-clang++} cmake -S . -B "$BUILD_ASAN" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMB_SANITIZE=ON \
            "${cmake_flags[@]}" || exit 1
    cmake -S . -B "$BUILD_ASAN" >/dev/null || exit 1
    fuzz=$(cd "$BUILD_ASAN" && ninja -t targets all | sed -n 's/^\(fuzz_[a-z0-9_]*\): phony$/\1/p')
    # shellcheck disable=SC2086
    exec nice -n 19 cmake --build "$BUILD_ASAN" -j "$JOBS" --target mb-unit $fuzz
) &
asan_pid=$!

prep_log=$BUILD/lab-prepare.log
stage "lab cache being prepared in the background (log: $prep_log)"
bash lab/prepare.sh >"$prep_log" 2>&1 &
prep_pid=$!

stage "unit, fuzz replay and integration tests"
(cd "$BUILD" && ctest "${ctest_flags[@]}" -j 2 -LE e2e) || fail "unit/fuzz/integration tests failed"

stage "waiting for the lab cache"
wait "$prep_pid" || { tail -n 20 "$prep_log" >&2; echo "lab/prepare.sh failed; the e2e tests prepare what they need themselves" >&2; }
stage "end-to-end lab tests"
(cd "$BUILD" && ctest "${ctest_flags[@]}" -L e2e) || fail "end-to-end tests failed"

stage "waiting for the sanitizer build"
if wait "$asan_pid"; then
    stage "unit tests and fuzz replays under ASan+UBSan"
    (cd "$BUILD_ASAN" && UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
        ctest "${ctest_flags[@]}" -L 'unit|fuzz') || fail "sanitizer tests failed"
else
    tail -n 60 "$asan_log" >&2
    fail "the sanitizer build failed (whole log: $asan_log)"
fi
stage "done: $([ "$rc" = 0 ] && echo all stages passed || echo FAILED)"
exit "$rc"
