#!/usr/bin/env bash
# Replays the e2e suite N times in a row (default 50) while stress-ng keeps every core busy;
# stops at the first failure and shows its report. No retries: one failure is a flake to fix.
#   scripts/stress-e2e.sh [N]        STRESS_CPUS=K to load K cores instead of all of them
set -euo pipefail

runs="${1:-50}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/stress-e2e.sh [N]   (N: how many runs, default 50)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."

if ! command -v stress-ng >/dev/null; then
  echo "Installing stress-ng (Debian package)..."
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq stress-ng >/dev/null
fi

make --no-print-directory build

cpus="${STRESS_CPUS:-$(nproc)}"
# A day is "until stopped": the trap ends it as soon as the runs are over.
stress-ng --cpu "$cpus" --timeout 1d --quiet &
stress_pid=$!
stop_stress() {
  kill "$stress_pid" 2>/dev/null || true
  wait "$stress_pid" 2>/dev/null || true
}
trap stop_stress EXIT

seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# Comparing only: a stress run never records fixtures.
unset UPDATE
log_dir="artifacts/stress-e2e"
mkdir -p "$log_dir"
log="$log_dir/last-run.log"
echo "Replaying the e2e suite $runs times with $cpus cores busy (stress-ng --cpu $cpus)..."
suite_start=$EPOCHREALTIME
for ((i = 1; i <= runs; i++)); do
  start=$EPOCHREALTIME
  if ! NO_COLOR=1 node_modules/.bin/vitest run --project e2e >"$log" 2>&1; then
    echo "run $i/$runs FAILED after $((i - 1)) passing runs; its output ($log):"
    cat "$log"
    exit 1
  fi
  tests=$(grep -Eo 'Tests +[0-9]+ passed' "$log" | grep -Eo '[0-9]+' || echo "?")
  echo "run $i/$runs passed: $tests tests in $(seconds_since "$start") s"
done
echo "$runs runs in a row passed under load, in $(seconds_since "$suite_start") s"
