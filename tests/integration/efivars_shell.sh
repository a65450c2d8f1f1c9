#!/usr/bin/env bash
# mb-efivars shell driven through a real terminal (tmux): tab completion of verbs, setting and
# variable names, pending-change prompt, quit-with-unsaved asks, save writes atomically, history.
set -euo pipefail
B="${MB_BIN:?}/mb-efivars"
FX="${MB_FIXTURES:?}/efi"
command -v tmux >/dev/null || { echo "SKIP: tmux not installed" >&2; exit 77; }
T=$(mktemp -d /tmp/mbt-efivars-shell.XXXXXX)
S="mbtefivars$$"
trap 'tmux kill-session -t "$S" 2>/dev/null || true; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; tmux capture-pane -p -t "$S" >&2 || true; exit 1; }
cp "$FX/RPI_EFI-v1.40.fd" "$T/x.fd"
before=$(sha256sum "$T/x.fd" | cut -d' ' -f1)

tmux new-session -d -s "$S" -x 160 -y 40 "HOME=$T $B shell $T/x.fd; echo SHELL-EXIT-\$?; sleep 30"
wait_for() {  # text
    for _ in $(seq 1 50); do
        tmux capture-pane -p -t "$S" | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    fail "timed out waiting for '$1'"
}
wait_for "mb-efivars>"
# Tab completes the verb ("rp" -> "rpi"), the sub-verb and the setting name ("RamL" -> "RamLimitTo3GB").
tmux send-keys -t "$S" "rp" Tab " se" Tab "RamL" Tab " 1" Enter
wait_for "mb-efivars*>"
tmux send-keys -t "$S" "changes" Enter
wait_for "RamLimitTo3GB: dword: 0x00000000 -> dword: 0x00000001"
tmux send-keys -t "$S" "show RamLimitTo" Tab Enter
wait_for '"attr_text": "NV|BS|RT"'
tmux send-keys -t "$S" "quit" Enter
wait_for "unsaved changes; quit anyway? [y/N]"
tmux send-keys -t "$S" "n" Enter
[ "$(sha256sum "$T/x.fd" | cut -d' ' -f1)" = "$before" ] || fail "file written before save"
tmux send-keys -t "$S" "save" Enter
wait_for "saved $T/x.fd"
tmux send-keys -t "$S" "quit" Enter
wait_for "SHELL-EXIT-0"
"$B" rpi get "$T/x.fd" --name RamLimitTo3GB | grep -q '^RamLimitTo3GB *1$' || fail "value not saved"
sed 's/\\040/ /g' "$T/.mb_efivars_history" | grep -qE 'rpi +set +RamLimitTo3GB +1' || fail "history not written"
echo PASS
