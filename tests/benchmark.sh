#!/usr/bin/env bash
# The workshop's servers beside the JDK's jwebserver, Python's http.server and nginx (one worker), on loopback,
# in one run: requests/s with wrk, on short connections (Connection: close) and on kept-alive ones.
#   tests/benchmark.sh [SECONDS] [ROUNDS]      (default 5 s a measurement, 3 rounds; Linux or macOS)
# Needs wrk (apt-get install wrk; brew install wrk); python3 and nginx give their rows when installed.
# Rounds are interleaved (every server once, then again), so a burst of noise hurts all alike; the table gives
# each server's median and its ratio to jwebserver. Every server listens on 127.0.0.1 and is stopped at the end;
# every load run is bounded by -d. Run it on a quiet machine: a second load beside it halves every figure.
set -u
cd "$(dirname "$0")/.." || exit 1
seconds=${1:-5}
rounds=${2:-3}
command -v wrk >/dev/null || { echo "Error: wrk is not installed (apt-get install wrk; brew install wrk)" >&2; exit 1; }
work=$(mktemp -d)
chmod 755 "$work"  # nginx's workers may run as another user, and must read the files
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/root"
head -c 1024 /dev/zero | tr '\0' 'x' > "$work/root/small.html"  # the same 1 KiB file for every file server

start() {  # start NAME COMMAND...: a server in the background, its output in $work/NAME.log
  local name=$1; shift
  "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
}
port_of() {  # the port from a step's banner, waiting for it
  local i port
  for i in $(seq 1 120); do
    port=$(grep -o ' port [0-9]*' "$work/$1.log" 2>/dev/null | head -1 | cut -d' ' -f3)
    [ -n "$port" ] && echo "$port" && return
    sleep 0.5
  done
  echo "Error: no banner from $1: $(head -3 "$work/$1.log")" >&2; exit 1
}
java_home=$(./jbang jdk home 2>/dev/null | tail -1)

# NAME|URL, one per server, in the table's order
targets=()
start step04 ./jbang step04-forever-threaded/Server.java 0
start step05 ./jbang step05-static-files/Server.java 0 -d "$work/root"
start step08 ./jbang step08-gateway/Server.java 0 --app hello
start step08jdk ./jbang step08-gateway/Server.java 0 --app hello --engine jdk
start jwebserver "$java_home/bin/jwebserver" -b 127.0.0.1 -p 18452 -d "$work/root"
targets+=("step04 (its page)|http://127.0.0.1:$(port_of step04)/")
targets+=("step05|http://127.0.0.1:$(port_of step05)/small.html")
targets+=("step08 hello, ours|http://127.0.0.1:$(port_of step08)/")
targets+=("step08 hello, --engine jdk|http://127.0.0.1:$(port_of step08jdk)/")
targets+=("jwebserver|http://127.0.0.1:18452/small.html")
if command -v python3 >/dev/null; then
  start python python3 -m http.server 18453 --bind 127.0.0.1 --directory "$work/root"
  targets+=("python http.server|http://127.0.0.1:18453/small.html")
fi
if command -v nginx >/dev/null; then
  mkdir -p "$work/nginx"
  cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx/pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:18454; root $work/root; }
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx; }
CONF
  start nginx nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
  targets+=("nginx, 1 worker|http://127.0.0.1:18454/small.html")
fi
sleep 1
for target in "${targets[@]}"; do  # each answers, and its JIT has compiled the hot path before we measure
  url=${target#*|}
  curl -fs -o /dev/null "$url" || { echo "Error: no answer from ${target%%|*} at $url" >&2; exit 1; }
  wrk -t 2 -c 50 -d 2 "$url" > /dev/null 2>&1
  wrk -t 2 -c 50 -d 2 -H 'Connection: close' "$url" > /dev/null 2>&1
done

rps() {  # rps URL [wrk options]: requests/s of one wrk run
  wrk -t 2 -c 50 -d "$seconds" "$@" 2>/dev/null | awk '/^Requests\/sec:/ { printf "%d", $2 }'
}
median() {  # of the numbers on stdin, one a line
  sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) }'
}

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds ..." >&2
  for i in "${!targets[@]}"; do
    url=${targets[$i]#*|}
    echo "$(rps "$url" -H 'Connection: close')" >> "$work/close.$i"
    echo "$(rps "$url")" >> "$work/keepalive.$i"
  done
done

echo "requests/s, wrk -t 2 -c 50 -d $seconds, median of $rounds interleaved rounds, on $(nproc) cores"
printf '%-28s %18s %8s %18s %8s\n' server "Connection: close" "× jweb" "kept alive" "× jweb"
jweb=4  # the index of jwebserver in targets
jc=$(median < "$work/close.$jweb"); jk=$(median < "$work/keepalive.$jweb")
for i in "${!targets[@]}"; do
  c=$(median < "$work/close.$i"); k=$(median < "$work/keepalive.$i")
  printf '%-28s %18s %8s %18s %8s\n' "${targets[$i]%%|*}" "$c" \
    "$(awk -v a="$c" -v b="$jc" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" "$k" \
    "$(awk -v a="$k" -v b="$jk" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
done
