#!/bin/sh
# engine_io.sh - the engine's sinks and lifecycle against real endpoints:
# an HTTP server on 127.0.0.1 receives exactly the alerts a replay wrote to
# a file; a stopped server costs counted failures, not the run; a program sink
# into `cat > file`; syslog datagrams read back from a unix socket the test
# binds (syslog_output.socket: glibc's syslog() can not be pointed elsewhere
# without root-owned /dev/log, so the sink speaks RFC 3164 itself); config
# errors name the key path and file:line; SIGINT drains; SIGHUP reloads.
set -u
: "${PEREGRINE:?}" "${FIXTURES:?}"
t=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$t"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
here=$(cd "$(dirname "$0")/../.." && pwd)
R="$here/tests/data/engine/often.yaml"
"$PEREGRINE" capture gen -o "$t/c.scap" --events 20000 --seed 5 >/dev/null

# ---- http: a tiny server appending each POST body as one line ----
cat >"$t/srv.py" <<'PY'
import http.server, sys
out = open(sys.argv[2], "ab", buffering=0)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        out.write(self.rfile.read(n) + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$t/srv.py" "$t/port" "$t/http.out" & pids="$pids $!"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$t/port" ] && break; sleep 0.2; done
port=$(cat "$t/port")
"$PEREGRINE" --workers 2 -r "$R" -e "$t/c.scap" -o stdout_output.enabled=false \
	-o json_output=true -o http_output.enabled=true -o http_output.url=http://127.0.0.1:$port/ \
	-o file_output.enabled=true -o file_output.keep_alive=true -o file_output.filename="$t/file.out" \
	-o outputs_queue.capacity=65536 2>"$t/err"
if [ -s "$t/file.out" ] && sort "$t/file.out" | cmp -s - "$(sort "$t/http.out" >"$t/h.s"; echo "$t/h.s")"; then
	pass "http_receives_every_alert ($(wc -l <"$t/file.out") alerts)"
else
	fail http_receives_every_alert "file $(wc -l <"$t/file.out" 2>/dev/null) vs http $(wc -l <"$t/http.out") lines"
fi

# server gone: failures counted, the run completes
kill $(echo $pids | awk '{print $NF}') 2>/dev/null; sleep 0.3
if "$PEREGRINE" --workers 2 -r "$R" -e "$t/c.scap" -o stdout_output.enabled=false \
	-o http_output.enabled=true -o http_output.url=http://127.0.0.1:$port/ \
	-o output_timeout=200 --stats-interval 100 2>"$t/err2" &&
	grep -q "Events detected: [1-9]" "$t/err2"; then
	pass http_server_down_run_completes
else
	fail http_server_down_run_completes "$(tail -2 "$t/err2")"
fi

# ---- program sink ----
"$PEREGRINE" --workers 2 -r "$R" -e "$t/c.scap" -o stdout_output.enabled=false \
	-o program_output.enabled=true -o program_output.keep_alive=true \
	-o "program_output.program=cat > $t/prog.out" -o file_output.enabled=true \
	-o file_output.filename="$t/file2.out" -o outputs_queue.capacity=65536 2>/dev/null
sort "$t/prog.out" >"$t/p.s" 2>/dev/null; sort "$t/file2.out" >"$t/f.s"
[ -s "$t/p.s" ] && cmp -s "$t/p.s" "$t/f.s" && pass "program_sink_cat ($(wc -l <"$t/p.s") lines)" ||
	fail program_sink_cat "program got $(wc -l <"$t/p.s") lines, file $(wc -l <"$t/f.s")"

# ---- syslog: datagrams on our own socket ----
cat >"$t/sl.py" <<'PY'
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(3)
out = open(sys.argv[2], "w")
open(sys.argv[1] + ".ready", "w").close()
try:
    while True:
        out.write(s.recv(65536).decode() + "\n"); out.flush()
except socket.timeout:
    pass
PY
python3 "$t/sl.py" "$t/log.sock" "$t/syslog.out" & slpid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e "$t/log.sock.ready" ] && break; sleep 0.2; done
"$PEREGRINE" -r "$R" -e "$FIXTURES/captures/curl_google.scap" -o stdout_output.enabled=false \
	-o syslog_output.enabled=true -o syslog_output.socket="$t/log.sock" 2>"$t/err3"
wait $slpid
n=$(grep -c '^<1[2-9]>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* peregrine\[[0-9]*\]: ' "$t/syslog.out")
exp=$(sed -n 's/^Events detected: \([0-9]*\).*/\1/p' "$t/err3")
[ "$n" = "$exp" ] && [ "$n" -gt 0 ] && pass "syslog_datagrams ($n)" || fail syslog_datagrams "got $n, expected $exp"

# ---- config errors name path and position ----
printf 'json_output: true\nhttp_output:\n  enabled: false\n  urll: x\n' >"$t/bad.yaml"
"$PEREGRINE" -c "$t/bad.yaml" -r "$R" -e "$t/c.scap" 2>"$t/cerr"; rc=$?
grep -q "bad.yaml:4: unknown key 'http_output.urll'" "$t/cerr" && [ $rc = 2 ] &&
	pass config_unknown_key || fail config_unknown_key "rc $rc: $(cat "$t/cerr")"
printf 'priority: loud\n' >"$t/bad2.yaml"
"$PEREGRINE" -c "$t/bad2.yaml" -r "$R" -e "$t/c.scap" 2>"$t/cerr"
grep -q "bad2.yaml:1: priority: 'loud'" "$t/cerr" && pass config_bad_value || fail config_bad_value "$(cat "$t/cerr")"
"$PEREGRINE" -o engine.partitio=tgid -r "$R" -e "$t/c.scap" 2>"$t/cerr"
grep -q "unknown key 'engine.partitio'" "$t/cerr" && pass config_bad_override || fail config_bad_override "$(cat "$t/cerr")"

# ---- SIGINT drains: every alert accepted is written ----
"$PEREGRINE" capture gen -o "$t/big.scap" --events 3000000 --seed 6 >/dev/null
"$PEREGRINE" --workers 2 -r "$R" -e "$t/big.scap" -o stdout_output.enabled=false \
	-o file_output.enabled=true -o file_output.keep_alive=true -o file_output.filename="$t/int.out" \
	-o outputs_queue.capacity=65536 --stats-interval 1000 2>"$t/ierr" & p=$!
sleep 1; kill -INT $p; wait $p; rc=$?
w=$(sed -n 's/.*"alerts_written":\([0-9]*\).*/\1/p' "$t/ierr" | tail -1)
[ $rc = 0 ] && [ -n "$w" ] && [ "$(wc -l <"$t/int.out")" = "$w" ] && grep -q SIGINT "$t/ierr" &&
	pass "sigint_drains ($w alerts)" || fail sigint_drains "rc $rc, written '$w', file $(wc -l <"$t/int.out")"

# ---- SIGHUP: good rules reload, bad rules keep the old ----
cp "$R" "$t/r.yaml"
"$PEREGRINE" --workers 2 -r "$t/r.yaml" -e "$t/big.scap" -o stdout_output.enabled=false 2>"$t/herr" & p=$!
sleep 0.5; kill -HUP $p; sleep 0.3
printf -- '- rule: broken\n  condition: evt.type = = x\n  output: x\n  priority: INFO\n  desc: x\n' >>"$t/r.yaml"
kill -HUP $p; sleep 0.3; kill -INT $p; wait $p
grep -q "SIGHUP: 4 rules loaded" "$t/herr" && grep -q "keeping the old rules" "$t/herr" &&
	pass sighup_reload || fail sighup_reload "$(grep -v '^ ' "$t/herr" | head -5)"
