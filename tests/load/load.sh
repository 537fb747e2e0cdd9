#!/bin/bash
# Load (BENCHMARKS.md and SECURITY.md: no leak over time), as the current user: `make load` runs it through
# tests/fault/run.sh (as root: as root, then as hckns-test).
# 500 sequential `hckns -- true`, 30 parallel, 30 joiners of one --name at
# once, all with no failure; a long-lived instance serving 1000
# `hckns fwd add` + `hckns fwd rm` with no growth of the keeper's or the
# front end's descriptors and bounded growth of their VmRSS; nothing left
# afterwards.  LOAD_SEQ, LOAD_PAR, LOAD_JOIN, LOAD_FWD change the counts;
# LOAD_TIME_LIMIT bounds each part (seconds, default 300).
# Last line: "load: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${HCKNS:?HCKNS must point to the built hckns}"
# shellcheck source=../integration/lib.sh disable=SC1091
. "$here/../integration/lib.sh"
# shellcheck source=../integration/lib-procs.sh disable=SC1091
. "$here/../integration/lib-procs.sh"
trap run_at_exit EXIT

SEQ=${LOAD_SEQ:-500} PAR=${LOAD_PAR:-30} JOIN=${LOAD_JOIN:-30} FWD=${LOAD_FWD:-1000}
limit=${LOAD_TIME_LIMIT:-300}
# Growth of VmRSS allowed over the 1000 requests, in kB: after a warm-up of
# 50 requests (heap and stdio buffers at their working size), glibc may
# still take one more page or two for its free lists; 64 kB over 1000
# requests is 64 bytes a request, less than any leaked request, answer or
# forward record would cost (each holds a forward spec string and a JSON
# object), so a leak per request fails.
RSS_TOL=${LOAD_RSS_TOL_KB:-64}
pass=0 failn=0
started=$SECONDS
echo "load: as uid $(id -u)"
BASE=$TEST_TMP/tmp
mkdir -p "$BASE"
H() { env -u XDG_RUNTIME_DIR TMPDIR="$BASE" timeout -k 5 60 "$HCKNS" "$@"; }

result() { # NAME RC DETAIL
	if [ "$2" = 0 ]; then echo "ok   $1: $3"; pass=$((pass + 1)); else echo "FAIL $1: $3"; failn=$((failn + 1)); fi
}

# Nothing of ours left: no instance directory, no hckns or hckns-helper
# process of this user started from $HCKNS's directory.
leftovers() {
	local left p
	left=$(find "$BASE" -mindepth 2 ! -name '.*.lock' 2>/dev/null | head -n 5)
	for p in $(pgrep -u "$(id -u)" -f "$(dirname "$HCKNS")/hckns" 2>/dev/null); do
		[ "$p" = "$$" ] || left="$left pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
	done
	echo "$left"
}
settle() { wait_for 10 eval '[ -z "$(leftovers)" ]'; }

# 1. sequential
t0=$SECONDS bad=0 first=
for ((i = 1; i <= SEQ; i++)); do
	if ! out=$(H -- true 2>&1) || [ -n "$out" ]; then
		bad=$((bad + 1)); [ -n "$first" ] || first="run $i: $out"
	fi
	[ $((SECONDS - t0)) -lt "$limit" ] || { bad=$((bad + 1)); first="${first:-time limit at run $i}"; break; }
done
settle; left=$(leftovers)
[ -z "$left" ] || bad=$((bad + 1))
result sequential "$bad" "$SEQ x 'hckns -- true' in $((SECONDS - t0)) s, $bad failed${first:+ (first: $first)}${left:+; left: $left}"

# 2. parallel
t0=$SECONDS
pids=()
for ((i = 1; i <= PAR; i++)); do
	( H -- sh -c 'sleep 0.2; true' >"$TEST_TMP/par.$i" 2>&1; echo $? >>"$TEST_TMP/par.$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
bad=0 first=
for ((i = 1; i <= PAR; i++)); do
	[ "$(cat "$TEST_TMP/par.$i")" = 0 ] || { bad=$((bad + 1)); first=${first:-$(tr '\n' ' ' <"$TEST_TMP/par.$i")}; }
done
settle; left=$(leftovers)
[ -z "$left" ] || bad=$((bad + 1))
result parallel "$bad" "$PAR at once in $((SECONDS - t0)) s, $bad failed${first:+ (first: $first)}${left:+; left: $left}"

# 3. joiners of one --name, started at the same moment; each records
# the instance's runtime directory (one instance) from its own command.
t0=$SECONDS
name=load$$
pids=()
for ((i = 1; i <= JOIN; i++)); do
	( H --name "$name" -- sh -c 'echo "net:$(readlink /proc/self/ns/net)"; sleep 1' \
		>"$TEST_TMP/join.$i" 2>&1; echo "rc $?" >>"$TEST_TMP/join.$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
bad=0 first=
for ((i = 1; i <= JOIN; i++)); do
	grep -qx 'rc 0' "$TEST_TMP/join.$i" || { bad=$((bad + 1)); first=${first:-$(tr '\n' ' ' <"$TEST_TMP/join.$i")}; }
done
nets=$(grep -h 'net:' "$TEST_TMP"/join.* | sed 's/.*://' | sort -u | wc -l)
[ "$nets" = 1 ] || { bad=$((bad + 1)); first="${first:-} $nets network namespaces, not 1"; }
settle; left=$(leftovers)
[ -z "$left" ] || bad=$((bad + 1))
result joiners "$bad" "$JOIN 'hckns --name $name' at once in $((SECONDS - t0)) s, $bad failed, $nets network namespace(s)${first:+ (first: $first)}${left:+; left: $left}"

# 4. a long-lived instance serving FWD forward add + rm
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
forwards() {
	local n=$1 i port out bad=0
	port=$(free_port) || return 1
	for ((i = 1; i <= n; i++)); do
		out=$(H fwd add --instance "$name" "127.0.0.1:$port:80" 2>&1) || { echo "add $i: $out"; bad=1; break; }
		out=$(H fwd rm --instance "$name" "127.0.0.1:$port" 2>&1) || { echo "rm $i: $out"; bad=1; break; }
		[ $((SECONDS - t0)) -lt "$limit" ] || { echo "time limit at request $i"; bad=1; break; }
	done
	return $bad
}
t0=$SECONDS
name=loadfwd$$
cd "$TEST_TMP" || exit 1
spawn long env -u XDG_RUNTIME_DIR TMPDIR="$BASE" "$HCKNS" -v --name "$name" -- sh -c 'echo ready >'"$TEST_TMP"'/long.ready; sleep 600'
FE=$SPAWNED
detail='' bad=0
if wait_for 15 test -s "$TEST_TMP/long.ready"; then
	KEEPER=$(trace_pid "$TEST_TMP/long.err" 'keeper started, pid')
	err=$(forwards 50) || { bad=1; detail="warm-up: $err"; }
	fd0=$(fd_count "$FE") kfd0=$(fd_count "$KEEPER") rss0=$(rss "$FE") krss0=$(rss "$KEEPER")
	err=$(forwards "$FWD") || { bad=1; detail="$detail $err"; }
	fd1=$(fd_count "$FE") kfd1=$(fd_count "$KEEPER") rss1=$(rss "$FE") krss1=$(rss "$KEEPER")
	detail="$detail $FWD add+rm in $((SECONDS - t0)) s; front end fds $fd0 -> $fd1, VmRSS $rss0 -> $rss1 kB; keeper fds $kfd0 -> $kfd1, VmRSS $krss0 -> $krss1 kB (tolerance $RSS_TOL kB)"
	[ "$fd0" = "$fd1" ] && [ "$kfd0" = "$kfd1" ] || { bad=1; detail="$detail; DESCRIPTORS GREW"; }
	[ $((rss1 - rss0)) -le "$RSS_TOL" ] && [ $((krss1 - krss0)) -le "$RSS_TOL" ] || { bad=1; detail="$detail; MEMORY GREW"; }
	n=$(H fwd list --instance "$name" 2>&1 | grep -c '127.0.0.1')
	[ "$n" = 0 ] || { bad=1; detail="$detail; $n forwards left"; }
	out=$(H stop "$name" 2>&1) || { bad=1; detail="$detail; hckns stop: $out"; }
	finish "$FE" 10
else
	bad=1 detail="the instance did not start: $(cat "$TEST_TMP/long.err")"
fi
settle; left=$(leftovers)
[ -z "$left" ] || { bad=1; detail="$detail; left: $left"; }
result forwards "$bad" "$detail"

echo "load: as uid $(id -u) in $((SECONDS - started)) s"
echo "load: $pass passed, $failn failed"
[ "$failn" = 0 ]
