#!/bin/sh
# seed.sh: fill corpus/<target>/ with the real kernel files of tests/fixtures, so the fuzzer
# starts from well-formed input and mutates from there. Run from fuzz/.
set -eu
fx=../tests/fixtures/proc
mkdir -p corpus/parse_stat corpus/parse_status corpus/parse_limits corpus/parse_maps \
    corpus/parse_tcp_table corpus/parse_cgroup corpus/decoders
n=0
for f in $(find "$fx" -type f -path '*/proc/*' \( -name stat -o -name status -o -name limits \
    -o -name maps -o -name tcp -o -name tcp6 -o -name cgroup -o -name smaps_rollup \
    -o -name wchan -o -name meminfo \)); do
    n=$((n + 1))
    case ${f##*/} in
    stat) cp "$f" corpus/parse_stat/$n ;;
    status | smaps_rollup | meminfo) cp "$f" corpus/parse_status/$n ;;
    limits) cp "$f" corpus/parse_limits/$n ;;
    maps) cp "$f" corpus/parse_maps/$n ;;
    tcp | tcp6) cp "$f" corpus/parse_tcp_table/$n ;;
    cgroup) cp "$f" corpus/parse_cgroup/$n ;;
    wchan) cp "$f" corpus/decoders/$n ;;
    esac
done
for f in $(find "$fx" -path '*/sys/fs/cgroup/*' -type f \( -name 'memory.*' -o -name 'pids.*' \)); do
    n=$((n + 1))
    cp "$f" corpus/parse_cgroup/$n
done
printf 'SIGRTMIN+3' >corpus/decoders/sig

# The hostile-input targets: real dumps, a real bundle, a real Go binary's .gopclntab.
dumps=../tests/fixtures/dumps
mkdir -p corpus/jvm_threaddump corpus/goroutines corpus/attach_reply corpus/bundle_read \
    corpus/gopclntab
cp "$dumps"/jstack_*.txt corpus/jvm_threaddump/
cp "$dumps"/goroutine_*.txt corpus/goroutines/
for f in "$dumps"/jstack_*.txt; do
    { printf '0\n'; cat "$f"; } >"corpus/attach_reply/${f##*/}"
done
printf '101\n' >corpus/attach_reply/status-101
printf '1\njava.lang.IllegalArgumentException: unknown command\n' >corpus/attach_reply/failed
# A bundle of this shell, written by healthtop itself.
cargo run --quiet --manifest-path ../Cargo.toml -- bundle -p $$ --duration 0s --force \
    -o corpus/bundle_read/real.tar.gz >/dev/null
# The table of the Go toolchain's own binary (a Go 1.18+ table when Go is 1.18 or later).
if go=$(command -v go); then
    objcopy -O binary --only-section=.gopclntab "$(readlink -f "$go")" corpus/gopclntab/go
fi
