#!/usr/bin/env bash
# Takes the screenshots in screenshots/: runs `healthtop demo` (the misbehaving demo target)
# in tmux at 160x48, visits each view by its key, captures it with `tmux capture-pane -e -p`
# and renders PNGs with scripts/ansi_to_png.py (Pillow + DejaVu Sans Mono).
#
#   scripts/screenshots.sh [WARMUP_SECONDS]     (default 20: leaks and trends show)
#
# Installs python3-pil and fonts-dejavu-core with apt-get if they are missing.
set -euo pipefail

warmup=${1:-20}
repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/screenshots"
work=$(mktemp -d)
sock="healthtop-shots-$$"
python=/usr/bin/python3

cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

if ! "$python" -c 'import PIL' 2>/dev/null || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]; then
    echo "installing python3-pil and fonts-dejavu-core" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-pil fonts-dejavu-core >&2
fi
command -v tmux >/dev/null || { echo "missing tool: tmux" >&2; exit 1; }

(cd "$repo" && cargo build --release --quiet)
target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
healthtop="$target_dir/release/healthtop"

tmux_() { tmux -L "$sock" -f /dev/null "$@"; }
tmux_ new-session -d -x 160 -y 48 -s shots "env TERM=xterm-256color COLORTERM= $healthtop demo"
tmux_ set-option -t shots status off >/dev/null

# Polls the screen until it shows $1.
wait_for() {
    for _ in $(seq 1 400); do
        if tmux_ capture-pane -p -t shots | grep -qF -- "$1"; then return 0; fi
        sleep 0.05
    done
    echo "timed out waiting for: $1" >&2
    tmux_ capture-pane -p -t shots >&2
    exit 1
}

wait_for "[1 Overview]"
echo "warming up for ${warmup}s so the leaks and the trends show" >&2
sleep "$warmup"

# Polls the screen until it no longer shows $1.
wait_gone() {
    for _ in $(seq 1 400); do
        if ! tmux_ capture-pane -p -t shots | grep -qF -- "$1"; then return 0; fi
        sleep 0.05
    done
    echo "timed out waiting for this to go: $1" >&2
    exit 1
}

shot() { # name, keys..., text to wait for
    local name=$1 wait=$2
    shift 2
    [ $# -gt 0 ] && tmux_ send-keys -t shots "$@"
    wait_for "$wait"
    sleep 0.3 # let the frame that shows $wait finish drawing
    tmux_ capture-pane -e -p -t shots >"$work/$name.txt"
    "$python" "$repo/scripts/ansi_to_png.py" "$work/$name.txt" "$out/$name.png"
    echo "screenshots/$name.png" >&2
}

mkdir -p "$out"
shot 1-overview "headroom" 1
shot 2-threads "SYSCALL" 2
shot 2b-thread-detail "CPU% per census" Enter
shot 3-fds "descriptors" Escape 3
shot 4-memory "mappings" 4
shot 5-signals "security" 5
shot 6-findings "most severe first" 6
shot 7-help "? or Esc closes" 1 '?'
# Escape alone, then 7: sent together, a terminal reads them as Alt-7.
tmux_ send-keys -t shots Escape
wait_gone "? or Esc closes"
shot 8-stacks "captures at" 7
tmux_ send-keys -t shots q
