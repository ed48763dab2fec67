#!/usr/bin/env bash
# Does a step keep its bounds with a small heap? Starts it with -Xmx256m, holds clients of each scenario of
# tests/Bounds.java against it (announce a body and stall, send all but a byte and stall, post the worst form
# and never read, stay idle on kept-alive connections), and reports the probes' latencies, the server's peak
# memory (VmHWM, Linux) and whether it ever threw OutOfMemoryError.
#   tests/bounds.sh [STEP] [N] [SECONDS]       (default step06-post-form, 1000 clients, 10 s a scenario)
set -u
cd "$(dirname "$0")/.." || exit 1
step=${1:-step06-post-form}
clients=${2:-1000}
seconds=${3:-10}
log=$(mktemp)
./jbang --java-options=-Xmx256m "$step/Server.java" 0 > "$log" 2>&1 &
launcher=$!
trap 'kill $launcher 2>/dev/null; wait 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 120); do grep -q ' port [0-9]' "$log" && break; sleep 0.5; done
port=$(grep -o ' port [0-9]*' "$log" | head -1 | cut -d' ' -f3)
[ -n "$port" ] || { echo "Error: $step did not start: $(head -3 "$log")" >&2; exit 1; }
pid=$launcher  # ./jbang ends by exec'ing java
echo "$step on port $port (pid $pid, -Xmx256m), $clients clients a scenario, $seconds s each"
status=0
for scenario in stall almost unread kept; do
  ./jbang tests/Bounds.java "http://127.0.0.1:$port/" "$scenario" "$clients" -s "$seconds" || status=1
  [ -r "/proc/$pid/status" ] &&
    awk '/VmHWM|VmRSS/ { printf "  %s %d MiB", $1, $2 / 1024 } END { print "" }' "/proc/$pid/status"
  sleep 2  # the server lets go of what it held
done
if grep -q OutOfMemoryError "$log"; then
  echo "OutOfMemoryError in the server's log"
  status=1
else
  echo "no OutOfMemoryError"
fi
exit $status
