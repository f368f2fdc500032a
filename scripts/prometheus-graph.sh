#!/usr/bin/env bash
# Makes screenshots/prometheus-eta.png: a real Prometheus scrapes `healthtop serve` watching
# healthtop's demo target (which leaks fds, threads and memory toward low limits) every
# second; after the run, the graph of `healthtop_eta_seconds` is drawn from Prometheus's own
# query_range API data by scripts/prometheus_graph_png.py (Pillow + DejaVu Sans). No headless
# browser is installed here, so the graph is rendered from the data, not captured from the UI.
#
#   scripts/prometheus-graph.sh [SECONDS]     (default 150: how long Prometheus scrapes)
#
# Installs prometheus, python3-pil and fonts-dejavu-core with apt-get if they are missing.
set -euo pipefail

duration=${1:-150}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
python=/usr/bin/python3
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
"$python" -c 'import PIL' 2>/dev/null || missing+=(python3-pil)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
fi

(cd "$repo" && cargo build --release --quiet)
target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
healthtop="$target_dir/release/healthtop"

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve_port=$(free_port)
prom_port=$(free_port)

# The demo target: ready once it prints its line.
mkfifo "$work/demo.out"
"$healthtop" demo-target >"$work/demo.out" &
demo=$!
pids+=("$demo")
read -r line <"$work/demo.out"
[ "$line" = healthtop-demo-ready ] || { echo "demo target said: $line" >&2; exit 1; }

"$healthtop" serve --listen "127.0.0.1:$serve_port" -p "$demo" --interval 1s >"$work/serve.out" &
pids+=("$!")

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$repo/assets/prometheus-rules.yml"]
scrape_configs:
  - job_name: healthtop
    static_configs:
      - targets: ["127.0.0.1:$serve_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$prom_port" 2>"$work/prometheus.log" &
pids+=("$!")

start=$(date +%s)
echo "Prometheus scrapes healthtop serve for ${duration}s" >&2
sleep "$duration"
end=$(date +%s)

curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query_range" \
    --data-urlencode "query=healthtop_eta_seconds{pid=\"$demo\"}" \
    --data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=1" \
    >"$work/eta.json"
"$python" "$repo/scripts/prometheus_graph_png.py" "$work/eta.json" \
    "$repo/screenshots/prometheus-eta.png" \
    --title "healthtop_eta_seconds{pid=\"$demo\"} (healthtop demo-target, scraped every 1s)"
echo "wrote screenshots/prometheus-eta.png" >&2
