#!/usr/bin/env bash
# Measures healthtop's own CPU and memory while it watches a target at a 1 s interval, side
# by side with `htop -p PID -d 10` and `top -H -p PID -d 1` on the same target in the same run.
#
#   scripts/measure-overhead.sh [SECONDS] [THREADS] [FDS]   (defaults: 30 s, 200 threads)
#
# With FDS the target is tests/targets/poll_big.c (THREADS idle threads, FDS open descriptors,
# 5 mappings per thread), e.g. `scripts/measure-overhead.sh 600 10000 15000`; without it,
# tests/targets/tui_target.c.
#
# Both monitors run in their own tmux session (160x48) on a private tmux socket. CPU is
# utime+stime from /proc/<pid>/stat over the window (after a 5 s warm-up), memory is VmRSS
# from /proc/<pid>/status read once a second. Needs: cargo, gcc, tmux, htop.
set -euo pipefail

seconds=${1:-30}
threads=${2:-200}
fds=${3:-}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
sock="healthtop-overhead-$$"
target_pid=""

cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    if [ -n "$target_pid" ]; then kill -KILL "$target_pid" 2>/dev/null || true; wait "$target_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

for tool in cargo gcc tmux htop top; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

(cd "$repo" && cargo build --release --quiet)
target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
healthtop="$target_dir/release/healthtop"

mkfifo "$work/ready"
if [ -n "$fds" ]; then
    gcc -O2 -pthread -o "$work/target" "$repo/tests/targets/poll_big.c"
    "$work/target" "$threads" "$fds" $((threads * 5)) >"$work/ready" &
else
    gcc -O1 -pthread -o "$work/target" "$repo/tests/targets/tui_target.c"
    "$work/target" "$threads" >"$work/ready" &
fi
target_pid=$!
read -r ready <"$work/ready"
case "$ready" in ready*) ;; *) echo "target not ready: $ready" >&2; exit 1 ;; esac

# A clean HOME so htop runs with its defaults, not someone's htoprc.
mkdir -p "$work/home"
tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 48 -s healthtop \
    "env TERM=xterm-256color $healthtop -p $target_pid --interval 1s"
tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 48 -s htop \
    "env HOME=$work/home TERM=xterm-256color htop -p $target_pid -d 10"
tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 48 -s top \
    "env HOME=$work/home TERM=xterm-256color top -H -p $target_pid -d 1"

pane_pid() { tmux -L "$sock" display-message -p -t "$1" '#{pane_pid}'; }
hpid=$(pane_pid healthtop)
tpid=$(pane_pid htop)
opid=$(pane_pid top)

# Wait until both draw (their names on screen), polling.
for session in healthtop htop top; do
    for _ in $(seq 1 200); do
        if tmux -L "$sock" capture-pane -p -t "$session" | grep -q "$target_pid"; then break; fi
        sleep 0.05
    done
done
sleep 5 # warm-up: first census, first maps read, htop's first full scan

ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

h0=$(ticks "$hpid"); t0=$(ticks "$tpid"); o0=$(ticks "$opid")
hmax=0; tmax=0; omax=0; hsum=0; tsum=0; osum=0; n=0
for _ in $(seq 1 "$seconds"); do
    sleep 1
    h=$(rss_kib "$hpid"); t=$(rss_kib "$tpid"); o=$(rss_kib "$opid")
    hsum=$((hsum + h)); tsum=$((tsum + t)); osum=$((osum + o)); n=$((n + 1))
    [ "$h" -gt "$hmax" ] && hmax=$h
    [ "$t" -gt "$tmax" ] && tmax=$t
    [ "$o" -gt "$omax" ] && omax=$o
done
h1=$(ticks "$hpid"); t1=$(ticks "$tpid"); o1=$(ticks "$opid")
fds_now=$(ls "/proc/$target_pid/fd" | wc -l)
threads_now=$(awk '/^Threads:/ { print $2 }' "/proc/$target_pid/status")

cpu() { awk -v d="$1" -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.2f", d / hz / s * 100 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo "target: $threads_now threads, $fds_now fds (pid $target_pid), window ${seconds}s, CLK_TCK $hz, $(uname -r)"
echo
echo "| monitor | interval | CPU % of one core | CPU time | RSS avg | RSS max |"
echo "|---|---|---|---|---|---|"
printf '| healthtop -p PID | 1 s | %s | %d ticks | %s MiB | %s MiB |\n' \
    "$(cpu $((h1 - h0)))" $((h1 - h0)) "$(mib $((hsum / n)))" "$(mib "$hmax")"
printf '| htop -p PID | 1 s (-d 10) | %s | %d ticks | %s MiB | %s MiB |\n' \
    "$(cpu $((t1 - t0)))" $((t1 - t0)) "$(mib $((tsum / n)))" "$(mib "$tmax")"
printf '| top -H -p PID | 1 s (-d 1) | %s | %d ticks | %s MiB | %s MiB |\n' \
    "$(cpu $((o1 - o0)))" $((o1 - o0)) "$(mib $((osum / n)))" "$(mib "$omax")"
