#!/usr/bin/env bash
# Runs every test healthtop has. This is the README's test command and what CI runs.
#
# The tests compare healthtop with real processes and truth tools, so they need a C compiler,
# gdb and eu-stack, a Go toolchain, a JDK, tmux, htop, prlimit/setpriv, ps and Prometheus
# (promtool and a real server that scrapes `healthtop serve`). Whatever is
# missing is installed here from Debian's packages (as root); without root it fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

# tool -> Debian package that provides it
declare -A PACKAGE=(
  [gcc]=gcc [gdb]=gdb [eu-stack]=elfutils [go]=golang-go [javac]=default-jdk-headless
  [jstack]=default-jdk-headless [tmux]=tmux [htop]=htop [prlimit]=util-linux
  [setpriv]=util-linux [unshare]=util-linux [ps]=procps [python3]=python3 [readelf]=binutils
  [ip]=iproute2 [script]=bsdutils [prometheus]=prometheus [promtool]=prometheus
)
missing=()
for tool in "${!PACKAGE[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE[$tool]}")
done
# Tests that run as another user need Debian's own interpreter, not a per-user one.
[ -x /usr/bin/python3 ] || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: missing tools; install these Debian packages as root: $packages" >&2
    exit 1
  fi
  echo "scripts/test.sh: installing $packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $packages >/dev/null
fi

cargo fmt --check
cargo clippy --all-targets -- -D warnings
# Benchmarks spawn 10,000-thread children: compile them here, run them with `cargo bench`.
cargo bench --no-run --quiet
# The property tests first, uncaptured, so CI's log shows how many mutated inputs each ran
# (`fuzz: …` lines); then everything else.
cargo test --quiet --test hostile_inputs_never_panic --test pprof_reply_never_panics \
  --test parse_never_panics -- --nocapture
cargo test --quiet -- --skip mutated_ --skip the_reply_decoder_never_panics
