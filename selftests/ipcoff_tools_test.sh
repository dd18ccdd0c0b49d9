#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The operator tools in the guest: ipcoffctl against the loaded module
# (status, counters, regions held by another process, rights, exit codes)
# and ipcoff-exporter scraped over HTTP by curl (values that move with
# copies, 404, 405, SIGTERM). The last scrape and a CLI transcript are
# printed between marker lines; the host (scripts/check-scrape) takes the
# scrape out of the log and validates it with promtool.
#
# KTAP on stdout; exit 0 when every case passed, 1 otherwise, 4 (skip)
# without the module or the tools.
set -u

here=$(dirname "$0")
ctl=${IPCOFF_CTL:-/bin/ipcoffctl}
exporter=${IPCOFF_EXPORTER:-/bin/ipcoff-exporter}
curl=${IPCOFF_CURL:-/bin/curl}
helper=$here/ipcoff_tools_helper
addr=127.0.0.1:9814
url=http://$addr/metrics
work=$(mktemp -d /tmp/ipcoff-tools.XXXXXX)

echo "TAP version 13"
for f in /dev/ipcoff "$ctl" "$exporter" "$curl" "$helper"; do
	if [ ! -e "$f" ]; then
		echo "1..0 # SKIP $f missing"
		exit 4
	fi
done

n=0
failed=0
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
}

# Runs a command, keeps its output in $work/out and its status in $rc.
run() {
	"$@" > "$work/out" 2> "$work/err"
	rc=$?
}

has() {
	grep -q -- "$1" "$work/out"
}

hasnt() {
	! grep -q -- "$1" "$work/out"
}

# The value of a sample line (first match of an extended regexp) in $1.
value() {
	grep -E "^$2 " "$1" | head -n 1 | awk '{ print $2 }'
}

# $1 >= $2 + $3, in floating point (counters can exceed 2^31).
grew() {
	awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { exit !(a != "" && a >= b + d) }'
}

run "$ctl" status
check "ctl: status" test "$rc" = 0
check "ctl: status names the module" has "ipcoff"
run "$ctl" --json stats
check "ctl: --json stats" has '"engines":{"cpu":{"requests":'
run "$ctl" cache
check "ctl: cache" has "inject"
run "$ctl" --sysfs /nonexistent status
check "ctl: exit 3 without the module" test "$rc" = 3
run "$ctl" nosuchcommand
check "ctl: exit 2 for usage" test "$rc" = 2

# Another process holds a region and a buffer, and made 8 copies.
"$helper" hold 65536 8 > "$work/hold" &
holder=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q ready "$work/hold" && break
	sleep 1
done
check "helper holds its regions" grep -q ready "$work/hold"

run "$ctl" regions
check "ctl: regions lists the holder's two" \
	test "$(grep -c "^0x[0-9a-f]* *$holder " "$work/out")" = 2
run "$ctl" --json regions
check "ctl: --json regions" test "$(grep -o "\"owner_pid\":$holder," "$work/out" | wc -l)" = 2
run "$ctl" pinned --all
check "ctl: pinned --all" has "^ *$holder "
run "$ctl" latency cpu
check "ctl: latency cpu" has "^cpu: "

# Rights: uid 1000 sees no root regions, and no module-wide view.
chmod 666 /dev/ipcoff
run "$helper" as 1000 "$ctl" regions
check "ctl: another uid sees none of root's regions" has "no regions of your uid"
run "$helper" as 1000 "$ctl" regions --all
check "ctl: regions --all needs CAP_SYS_ADMIN (exit 4)" test "$rc" = 4
run "$helper" as 1000 "$ctl" dma rescan
check "ctl: dma rescan needs CAP_SYS_ADMIN (exit 4)" test "$rc" = 4
chmod 600 /dev/ipcoff
run "$helper" as 1000 "$ctl" stats
check "ctl: no access to the device (exit 4)" test "$rc" = 4
run "$ctl" dma rescan
check "ctl: dma rescan" test "$rc" = 0

# The scheduler is whatever this module has, or a clear "not present".
run "$ctl" sched
if [ -d /sys/class/misc/ipcoff/sched ]; then
	check "ctl: sched lists name=value" has "="
else
	check "ctl: sched absent (exit 5)" test "$rc" = 5
	check "ctl: sched absent, said so" grep -q "scheduler not present" "$work/err"
fi

# The HTTP part needs IPv4 on loopback, which the debug kernel lacks.
if [ ! -d /proc/sys/net/ipv4 ]; then
	n=$((n + 1))
	echo "ok $n exporter # SKIP no IPv4 in this kernel"
else
	"$exporter" -q -l "$addr" &
	exp=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do
		"$curl" -sf -o /dev/null "$url" && break
		sleep 1
	done
	"$curl" -sf -o "$work/s1" "$url"
	check "exporter: first scrape" test $? = 0
	check "exporter: module loaded" grep -q '^ipcoff_module_loaded 1$' "$work/s1"
	check "exporter: the holder's regions count" \
		grew "$(value "$work/s1" ipcoff_regions)" 2 0

	"$helper" copies 20 65536
	"$curl" -sf -o "$work/s2" "$url"
	check "exporter: second scrape" test $? = 0
	k='ipcoff_engine_requests_total\{engine="cpu"\}'
	check "exporter: cpu requests grew by 20" \
		grew "$(value "$work/s2" "$k")" "$(value "$work/s1" "$k")" 20
	k='ipcoff_engine_bytes_total\{engine="cpu"\}'
	check "exporter: cpu bytes grew by 20 x 64 KiB" \
		grew "$(value "$work/s2" "$k")" "$(value "$work/s1" "$k")" 1310720
	k='ipcoff_engine_latency_seconds_count\{engine="cpu"\}'
	check "exporter: cpu latency count grew by 20" \
		grew "$(value "$work/s2" "$k")" "$(value "$work/s1" "$k")" 20
	k='ipcoff_engine_latency_seconds_bucket\{engine="cpu",le="\+Inf"\}'
	check "exporter: +Inf bucket is the count" test \
		"$(value "$work/s2" "$k")" = \
		"$(value "$work/s2" 'ipcoff_engine_latency_seconds_count\{engine="cpu"\}')"
	check "exporter: cache counters" grep -q '^ipcoff_cache_bytes_total{action="inject"} ' "$work/s2"

	code=$("$curl" -s -o /dev/null -w '%{http_code}' "http://$addr/")
	check "exporter: 404 elsewhere" test "$code" = 404
	code=$("$curl" -s -o /dev/null -w '%{http_code}' -X POST "$url")
	check "exporter: 405 for POST" test "$code" = 405
	"$curl" -sfI "$url" > "$work/head"
	check "exporter: HEAD" grep -q "version=0.0.4" "$work/head"

	kill -TERM "$exp"
	wait "$exp"
	check "exporter: SIGTERM ends it with status 0" test $? = 0

fi

# For the host: the scrape (promtool) and a transcript (README).
if [ -f "$work/s2" ]; then
	echo "==== ipcoff scrape begin ===="
	cat "$work/s2"
	echo "==== ipcoff scrape end ===="
fi
echo "==== ipcoff transcript begin ===="
for cmd in "status" "engines" "regions" "pinned" "stats" "latency cpu" \
	   "sched"; do
	echo "\$ ipcoffctl $cmd"
	# shellcheck disable=SC2086 # cmd is a word list
	"$ctl" $cmd 2>&1
done
[ ! -f "$work/s2" ] ||
	echo "\$ curl -s $url | grep -E '^ipcoff_(regions|engine_requests_total|engine_latency_seconds_(count|bucket.*le=\"0.000512\"))'"
[ ! -f "$work/s2" ] ||
	grep -E '^ipcoff_(regions|engine_requests_total|engine_latency_seconds_(count|bucket.*le="0.000512"))' "$work/s2"
echo "==== ipcoff transcript end ===="

kill -TERM "$holder"
wait "$holder"
echo "1..$n"
[ "$failed" = 0 ]
