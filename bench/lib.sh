# shellcheck shell=bash
# Helpers of bench/run.sh: timing, settling, process trees, memory.
#
# Times come from bash's $EPOCHREALTIME (microseconds, no fork): a measured
# command costs the same fork+exec from this shell whatever it is, so the
# baselines and hckns carry the same harness overhead.

# Microseconds now.
now_us() { printf '%s' "${EPOCHREALTIME/./}"; }

# timed CMD...: run CMD (stdin /dev/null, stdout dropped, stderr to $LOG);
# sets T_US (wall time) and T_RC (exit status).
timed() {
	local t0=${EPOCHREALTIME/./} t1
	"$@" </dev/null >/dev/null 2>>"$LOG"
	T_RC=$?
	t1=${EPOCHREALTIME/./}
	T_US=$((t1 - t0))
}

# record FIGURE VARIANT ROUND VALUE RC: one line of data.tsv.
record() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$DATA"
}

# probe_us: time to create (and leave) a new user+net namespace.  Its
# creation takes the RTNL lock, which the kernel's asynchronous teardown of
# earlier network namespaces holds, so a slow probe means "still tearing
# down".
probe_us() {
	timed unshare --user --net true
	printf '%s' "$T_US"
}

# settle [MAX_MS]: wait until the machine is quiet again after a run: at
# least SETTLE_GAP seconds, then until two probes 50 ms apart are fast (below $PROBE_OK_US,
# calibrated at start, well above CPU noise: the lock waits it detects last
# tens of milliseconds), at most MAX_MS (default 2000).  Sets SETTLE_US to
# the time it took.  A second argument replaces SETTLE_GAP.  Keeps one run's teardown out of the next one's time.
settle() {
	local max_us=$(( ${1:-2000} * 1000 )) t0=${EPOCHREALTIME/./} p ok=0
	sleep "${2:-$SETTLE_GAP}"
	while :; do
		p=$(probe_us)
		if [ "$p" -lt "$PROBE_OK_US" ]; then
			ok=$((ok + 1))
			[ "$ok" -lt 2 ] || break
		else
			ok=0
		fi
		sleep 0.05
		[ $(( ${EPOCHREALTIME/./} - t0 )) -lt "$max_us" ] || break
	done
	SETTLE_US=$(( ${EPOCHREALTIME/./} - t0 ))
}

# calibrate_probe: PROBE_OK_US from the idle probe time (median of 9).
calibrate_probe() {
	local v=() i
	for i in 1 2 3 4 5 6 7 8 9; do
		sleep 0.05
		v+=("$(probe_us)")
	done
	PROBE_IDLE_US=$(printf '%s\n' "${v[@]}" | sort -n | sed -n 5p)
	PROBE_OK_US=$(( PROBE_IDLE_US * 2 + 5000 ))
}

# descendants PID: PID and every process below it, one "pid comm" a line.
descendants() {
	ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
		{ parent[$1] = $2; comm[$1] = $3 }
		END {
			for (p in parent) {
				q = p
				for (i = 0; i < 64 && q != "" && q != 0; i++) {
					if (q == root) { print p, comm[p]; break }
					q = parent[q]
				}
			}
		}' | sort -n
}

# pss_kb PID: proportional set size of PID in KiB (smaps_rollup), or empty.
pss_kb() {
	awk '/^Pss:/ { print $2; exit }' "/proc/$1/smaps_rollup" 2>/dev/null
}

# start_ready STATUS_FD CMD...: start CMD in the background with a fresh
# FIFO on STATUS_FD (opened read-write: never blocks, never EOF), wait for
# its first status line (at most 30 s).  Sets R_PID, R_LINE, R_US (spawn to
# line read; empty on timeout).  The FIFO stays open on that descriptor
# until finish_ready, so that hckns never sees its reader go away.
start_ready() {
	local fd=$1 t0
	shift
	rm -f "$WORK/status.fifo"
	mkfifo "$WORK/status.fifo"
	eval "exec $fd<>\"\$WORK/status.fifo\""
	t0=${EPOCHREALTIME/./}
	"$@" </dev/null >/dev/null 2>>"$LOG" &
	R_PID=$!
	R_LINE=
	R_US=
	if IFS= read -r -t 30 R_LINE <&"$fd"; then
		R_US=$(( ${EPOCHREALTIME/./} - t0 ))
	fi
	R_T0=$t0
}

# finish_ready STATUS_FD: wait for the command of start_ready; sets T_RC and
# T_US (spawn to exit), closes the FIFO.
finish_ready() {
	wait "$R_PID"
	T_RC=$?
	T_US=$(( ${EPOCHREALTIME/./} - R_T0 ))
	eval "exec $1<&-"
	rm -f "$WORK/status.fifo"
}

# json_int LINE KEY: the integer value of "KEY":N in a one-line JSON object.
json_int() {
	[[ $1 =~ \"$2\":([0-9]+) ]] && printf '%s' "${BASH_REMATCH[1]}"
}

# free_port: a TCP port nobody listens on in 20000..39999.
free_port() {
	local p
	for _ in $(seq 200); do
		p=$(( 20000 + (RANDOM * 7 + $$) % 20000 ))
		if ! ss -Htln "sport = :$p" | grep -q .; then
			printf '%s' "$p"
			return 0
		fi
	done
	return 1
}

# wait_listen NSPID PORT: until something listens on PORT inside the network
# namespace of NSPID (at most 5 s).  Only the harness polls; hckns never.
wait_listen() {
	local i
	for i in $(seq 100); do
		nsenter -t "$1" -U -n --preserve-credentials ss -Htln "sport = :$2" 2>/dev/null |
			grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# say MESSAGE: progress on stderr.
say() { printf 'bench: %s\n' "$*" >&2; }

# debt_after WINDOW_MS MAX_MS: how long after now the kernel still holds up
# the creation of network namespaces (its asynchronous teardown of the
# namespaces that just died holds the RTNL lock): probes back to back for at
# least WINDOW_MS, longer while they are slow (at most MAX_MS); sets DEBT_US
# to the end of the last slow probe, 0 if none was slow.  A single probe is
# not enough: the teardown may start a few milliseconds after the exit.
debt_after() {
	local t0=${EPOCHREALTIME/./} win=$(( $1 * 1000 )) max=$(( $2 * 1000 )) p now
	DEBT_US=0
	while :; do
		p=$(probe_us)
		now=$(( ${EPOCHREALTIME/./} - t0 ))
		[ "$p" -lt "$PROBE_OK_US" ] || DEBT_US=$now
		[ "$now" -lt "$max" ] || break
		[ "$now" -lt "$win" ] || [ "$DEBT_US" -gt $(( now - 200000 )) ] || break
		sleep 0.01
	done
}
