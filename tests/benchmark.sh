#!/usr/bin/env bash
# The figures quoted in the lessons, measured again: steps 04 and 05 beside the JDK's jwebserver,
# Python's http.server and (when installed) nginx, on loopback, in one run, with tests/Load.java.
#   tests/benchmark.sh [SECONDS]     (default 5 s per measurement; Linux or macOS; needs python3 for its row)
# Every server here listens on 127.0.0.1 and is stopped at the end; every load run is bounded by -d.
set -u
cd "$(dirname "$0")/.." || exit 1
seconds=${1:-5}
work=$(mktemp -d)
chmod 755 "$work"  # nginx's workers run as another user, and must read the files
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The same bytes for everyone: step04's page (what it serves at /), a 1 KiB file, 10 MiB, and 1 GiB (sparse).
mkdir -p "$work/root"
head -c 1024 /dev/zero | tr '\0' 'x' > "$work/root/small.html"
head -c $((10 << 20)) /dev/urandom > "$work/root/big.bin"
python3 -c "open('$work/root/huge.bin', 'wb').truncate(1 << 30)" 2>/dev/null || dd if=/dev/zero of="$work/root/huge.bin" bs=1 count=0 seek=1G 2>/dev/null

# start NAME COMMAND...: runs a server in the background, its output in $work/NAME.log
start() {
  local name=$1; shift
  "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
  last_pid=$!  # ./jbang ends by exec'ing java: this is the server's own pid
}
port_of() {  # the port from a step's banner, waiting for it
  local i port
  for i in $(seq 1 120); do
    port=$(grep -o ' port [0-9]*' "$work/$1.log" 2>/dev/null | head -1 | cut -d' ' -f3)
    [ -n "$port" ] && echo "$port" && return
    sleep 0.5
  done
  echo "no banner from $1" >&2; exit 1
}
java_home=$(./jbang jdk home 2>/dev/null | tail -1)

start step04 ./jbang step04-forever-threaded/Server.java 0
start step05 ./jbang step05-static-files/Server.java 0 -d "$work/root"
start jwebserver "$java_home/bin/jwebserver" -b 127.0.0.1 -p 18452 -d "$work/root"
command -v python3 >/dev/null && start python python3 -m http.server 18453 --bind 127.0.0.1 --directory "$work/root"
if command -v nginx >/dev/null; then
  mkdir -p "$work/nginx"
  cat > "$work/nginx/nginx.conf" <<EOF
worker_processes auto; daemon off; pid $work/nginx/pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:18454; root $work/root; }
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx; }
EOF
  start nginx nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
fi
p04=$(port_of step04); p05=$(port_of step05)
curl -s "http://127.0.0.1:$p04/" > "$work/root/page.html"  # step04's page, for the others to serve too
sleep 1

# rps URL CONNECTIONS: requests/s over $seconds s, after a warm-up (the JIT compiles the hot path first)
rps() {
  ./jbang tests/Load.java "$1" -c "$2" -n 2000 > /dev/null 2>&1
  local result rate errors
  result=$(./jbang tests/Load.java "$1" -c "$2" -d "$seconds" 2>/dev/null | grep '^result:')
  rate=${result#* rps=}; rate=${rate%% *}
  errors=${result#* errors=}; errors=${errors%% *}
  echo "$rate requests/s ($errors errors)"
}
row() {  # row NAME URL CONNECTIONS
  printf '  %-22s %s\n' "$1" "$(rps "$2" "$3")"
}
servers() {  # servers PATH CONNECTIONS [STEP PORT]: one row per server
  row "$3" "http://127.0.0.1:$4$1" "$2"
  row jwebserver "http://127.0.0.1:18452$1" "$2"
  command -v python3 >/dev/null && row "python http.server" "http://127.0.0.1:18453$1" "$2"
  command -v nginx >/dev/null && row nginx "http://127.0.0.1:18454$1" "$2"
}

echo "requests/s, Connection: close, $seconds s each, on $(nproc) cores"
echo "step04's page ($(wc -c < "$work/root/page.html") bytes), 50 connections:"
row step04 "http://127.0.0.1:$p04/" 50
servers /page.html 50 step05 "$p05" | tail -n +2
echo "1 KiB file, 50 connections:"
servers /small.html 50 step05 "$p05"
echo "10 MiB file, 4 connections:"
servers /big.bin 4 step05 "$p05"

# Peak memory (VmHWM) of a fresh step05 before and after sending the 1 GiB file once: streaming keeps it flat.
start rss ./jbang step05-static-files/Server.java 0 -d "$work/root"
pid=$last_pid
port=$(port_of rss)
if [ -r "/proc/$pid/status" ]; then
  before=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  curl -s -o /dev/null "http://127.0.0.1:$port/huge.bin"
  after=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  echo "step05 peak RSS: $((before / 1024)) MiB before a 1 GiB download, $((after / 1024)) MiB after (+$(( (after - before) / 1024 )) MiB)"
fi
