#!/bin/bash
# The measurements of `make bench`, run by bench/bench.sh as the benchmark
# user, in WORK (a private directory), writing WORK/data.tsv and
# WORK/meta.env.  Every figure pairs hckns with its baselines in the same
# run, alternating their order round by round (A B C, C B A, A B C, ...).
#
# Environment: HCKNS (staged front end, its helper beside it), WORK,
# BENCH_QUICK (1: few rounds, short iperf3 runs), HAVE_IPERF3,
# HAVE_ROOTLESSKIT, HAVE_HYPERFINE (1 or 0).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${HCKNS:?}" "${WORK:?}"
BL=$here/baselines
DATA=$WORK/data.tsv
LOG=$WORK/stderr.log
META=$WORK/meta.env
: >"$DATA"
: >"$LOG"
cd "$WORK" || exit 1
export TMPDIR=$WORK		# hckns's runtime dirs: $WORK/hckns-UID/

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	R_START=3 R_B2B=1 B2B_N=5 R_READY=3 R_PAR=1 R_PSS=1 R_TPUT=1 T_TPUT=1
	R_MANY=1 MANY_NS="20 50"
	R_FWD=3 R_HYPER=3 R_CPU=3 SETTLE_GAP=0.1
else
	R_START=30 R_B2B=5 B2B_N=10 R_READY=20 R_PAR=4 R_PSS=5 R_TPUT=8 T_TPUT=3
	R_MANY=4 MANY_NS="20 50 100"
	R_FWD=20 R_HYPER=20 R_CPU=10 SETTLE_GAP=0.15
fi
PAR_N=20
HAVE_RK=${HAVE_ROOTLESSKIT:-0}
FLOOR=(unshare --user --map-root-user --net --mount --)

meta() { printf '%s=%q\n' "$1" "$2" >>"$META"; }

# rotate ROUND NAME...: the names in order for odd rounds, reversed for even.
rotate() {
	local r=$1 i
	shift
	local a=("$@")
	if (( r % 2 )); then
		printf '%s\n' "${a[@]}"
	else
		for ((i = ${#a[@]} - 1; i >= 0; i--)); do printf '%s\n' "${a[i]}"; done
	fi
}

variants_start=(hckns floor floor+slirp shell-ref)
[ "$HAVE_RK" = 1 ] && variants_start+=(rootlesskit)

# The command line of a variant running CMD ("true" when none).
cmdline() {
	local v=$1
	shift
	[ $# -gt 0 ] || set -- true
	case $v in
	hckns) CMD=("$HCKNS" -- "$@") ;;
	floor) CMD=("${FLOOR[@]}" "$@") ;;
	floor+slirp) CMD=("$BL/floor-slirp.sh" "$@") ;;
	shell-ref) CMD=("$BL/shell-ref.sh" "$@") ;;
	# Experiments for BENCHMARKS.md's analysis, not baselines.
	floor+slirp-ptap) CMD=("$BL/floor-slirp.sh" --persistent-tap "$@") ;;
	shell-ref-ptap) CMD=("$BL/shell-ref.sh" --persistent-tap "$@") ;;
	rootlesskit) CMD=("$BL/rootlesskit.sh" "$@") ;;
	floor-urnm) CMD=(unshare --user --map-root-user --net --mount -- "$@") ;;
	floor+bridge) CMD=("$BL/floor-bridge.sh" "$@") ;;
	bash) CMD=(bash -c true) ;;
	*) echo "unknown variant $v" >&2; exit 2 ;;
	esac
}

say "calibrating the namespace probe"
calibrate_probe
meta PROBE_IDLE_US "$PROBE_IDLE_US"
meta B2B_N "$B2B_N"
meta T_TPUT "$T_TPUT"
meta ROUNDS "start $R_START, b2b $R_B2B, cpu $R_CPU, ready $R_READY, parallel $R_PAR, many $R_MANY, pss $R_PSS, tput $R_TPUT, fwd $R_FWD"
meta LOAD_BEFORE "$(cut -d' ' -f1-3 /proc/loadavg)"
T_BEGIN=$(now_us)
T_PHASE=$T_BEGIN PHASE=
# phase NAME: the time the previous phase took, into meta.env.
phase() {
	local t=$(now_us)
	[ -z "$PHASE" ] || meta "SECONDS_$PHASE" $(( (t - T_PHASE) / 1000000 ))
	PHASE=$1 T_PHASE=$t
}

# ---- 1. hckns -- true: setup and teardown -----------------------------------
phase start
say "figure 1: one run, setup and teardown ($R_START rounds)"
for ((r = 1; r <= R_START; r++)); do
	while read -r v; do
		cmdline "$v"
		settle
		timed "${CMD[@]}"
		record start "$v" "$r" "$T_US" "$T_RC"
	done < <(rotate "$r" "${variants_start[@]}" bash floor+slirp-ptap shell-ref-ptap)
done

# ---- 1b. back to back: the next run pays for the last one's teardown --------
phase b2b
say "figure 1b: $B2B_N runs back to back ($R_B2B rounds)"
for ((r = 1; r <= R_B2B; r++)); do
	while read -r v; do
		cmdline "$v"
		settle 5000
		t0=$(now_us) fails=0
		for ((i = 0; i < B2B_N; i++)); do
			timed "${CMD[@]}"
			[ "$T_RC" = 0 ] || fails=$((fails + 1))
		done
		record b2b "$v" "$r" $(( ($(now_us) - t0) / B2B_N )) "$fails"
	done < <(rotate "$r" hckns floor floor+slirp shell-ref shell-ref-ptap)
done

# ---- 1c. CPU time: what a run costs the machine, whatever else runs --------
if [ "${HAVE_PERF:-0}" = 1 ]; then
	phase cpu
	say "figure 1c: CPU time (perf stat task-clock, $R_CPU rounds)"
	for ((r = 1; r <= R_CPU; r++)); do
		while read -r v; do
			cmdline "$v"
			settle
			ms=$(perf stat -x, -e task-clock -- "${CMD[@]}" 2>&1 >/dev/null </dev/null |
			     awk -F, '$3 ~ /^task-clock/ { print $1 }')
			record cpu "$v" "$r" "$(awk -v m="${ms:-0}" 'BEGIN { printf "%d", m * 1000 }')" \
				"$([ -n "$ms" ]; echo $?)"
		done < <(rotate "$r" "${variants_start[@]}")
	done
fi

# ---- 2. time until the ready line -------------------------------------------
phase ready
say "figure 2: time until ready ($R_READY rounds)"
variants_ready=(hckns floor+slirp shell-ref)
[ "$HAVE_RK" = 1 ] && variants_ready+=(rootlesskit)
for ((r = 1; r <= R_READY; r++)); do
	while read -r v; do
		case $v in
		hckns) CMD=("$HCKNS" --status-fd 9 -- true) ;;
		rootlesskit) CMD=("$BL/rootlesskit.sh" --status-file "$WORK/status.fifo" true) ;;
		*) cmdline "$v"; CMD=("${CMD[0]}" --status-fd 9 true) ;;
		esac
		settle
		start_ready 9 "${CMD[@]}"
		finish_ready 9
		[ -n "$R_US" ] || T_RC=124
		record ready "$v" "$r" "${R_US:-0}" "$T_RC"
		record ready-total "$v" "$r" "$T_US" "$T_RC"
	done < <(rotate "$r" "${variants_ready[@]}")
done

# batch N: N copies of CMD started at once; sets BATCH_US (until the last
# is reaped) and BATCH_FAILS (how many exited non-zero).
batch() {
	local pids=() i p t0=$(now_us)
	BATCH_FAILS=0
	for ((i = 0; i < $1; i++)); do
		"${CMD[@]}" </dev/null >/dev/null 2>>"$LOG" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || BATCH_FAILS=$((BATCH_FAILS + 1))
	done
	BATCH_US=$(( $(now_us) - t0 ))
}

# ---- 3. 20 instances at once, each `sleep 2` ----------------------------------
phase parallel
say "figure 3: $PAR_N at once, sleep 2 ($R_PAR rounds)"
variants_par=(hckns floor floor+slirp shell-ref)
[ "$HAVE_RK" = 1 ] && variants_par+=(rootlesskit)
for ((r = 1; r <= R_PAR; r++)); do
	while read -r v; do
		cmdline "$v" sleep 2
		settle 15000
		batch "$PAR_N"
		record parallel "$v" "$r" "$BATCH_US" "$BATCH_FAILS"
		# How long the kernel goes on tearing the namespaces down.
		debt_after 1000 15000
		record parallel-cleanup "$v" "$r" "$DEBT_US" 0
	done < <(rotate "$r" "${variants_par[@]}")
done

# ---- 3b. a busy CI host: N at once, N = 20, 50, 100 ---------------------------
# hckns against the bare namespaces (unshare -Urnm sleep 2) and the kernel's
# own cost of a bridge per namespace (floor+bridge), the same N at once.
phase many
say "figure 3b: N at once for N in $MANY_NS, sleep 2 ($R_MANY rounds)"
for n in $MANY_NS; do
	for ((r = 1; r <= R_MANY; r++)); do
		while read -r v; do
			cmdline "$v" sleep 2
			settle 30000
			batch "$n"
			record "many-$n" "$v" "$r" "$BATCH_US" "$BATCH_FAILS"
		done < <(rotate "$r" hckns floor-urnm floor+bridge)
	done
done

# ---- 3c. hckns ls with 100 named instances of one user ---------------------
# 100 named instances (--detach) started one after another, `hckns ls`
# timed 10 times while they run, then all stopped at once.
phase ls100
say "figure 3c: hckns ls with 100 named instances"
fails=0
for ((i = 0; i < 100; i++)); do
	"$HCKNS" --name "b$i" --detach </dev/null >/dev/null 2>>"$LOG" || fails=$((fails + 1))
done
record ls100-start hckns 1 0 "$fails"
for ((r = 1; r <= 10; r++)); do
	timed "$HCKNS" ls
	record ls100 hckns "$r" "$T_US" "$T_RC"
done
pids=() fails=0
for ((i = 0; i < 100; i++)); do
	"$HCKNS" stop "b$i" </dev/null >/dev/null 2>>"$LOG" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
record ls100-stop hckns 1 0 "$fails"
record ls100-left hckns 1 0 "$("$HCKNS" ls --json 2>/dev/null | grep -o '"name"' | wc -l)"

# ---- 4. memory of a live instance ---------------------------------------------
phase pss
say "figure 4: PSS of a live instance ($R_PSS rounds)"
variants_pss=(hckns floor+slirp shell-ref)
[ "$HAVE_RK" = 1 ] && variants_pss+=(rootlesskit)
for ((r = 1; r <= R_PSS; r++)); do
	while read -r v; do
		case $v in
		hckns) CMD=("$HCKNS" --status-fd 9 -- sleep 60) ;;
		rootlesskit) CMD=("$BL/rootlesskit.sh" --status-file "$WORK/status.fifo" sleep 60) ;;
		*) cmdline "$v"; CMD=("${CMD[0]}" --status-fd 9 sleep 60) ;;
		esac
		settle
		start_ready 9 "${CMD[@]}"
		# The ready line comes just before the command: wait for its exec.
		for i in $(seq 100); do
			descendants "$R_PID" | grep -q " sleep$" && break
			sleep 0.02
		done
		sleep 0.2
		sum=0 rss_sum=0 uss_sum=0 cmdpid=
		while read -r pid comm; do
			if [ "$comm" = sleep ]; then
				cmdpid=$pid	# the command: the same in every variant
				continue
			fi
			kb=$(pss_kb "$pid")
			[ -n "$kb" ] || { kb=0; say "no smaps_rollup for $pid ($comm)"; }
			# The role of each process, named the same in every round.
			case $v:$comm in
			hckns:hckns) role="front end" ;;
			hckns:hckns-keeper) role=keeper ;;
			hckns:hckns-helper) role=helper ;;
			*:slirp4netns) role=slirp4netns ;;
			rootlesskit:rootlesskit) role="rootlesskit (parent)" ;;
			rootlesskit:exe) role="rootlesskit (child)" ;;
			*:*.sh) role="$comm (bash)" ;;
			*) role=$comm ;;
			esac
			record pss "$v:$role" "$r" "$kb" 0
			read -r rss uss < <(awk '/^Rss:/ { r = $2 } /^Private_(Clean|Dirty):/ { u += $2 }
				END { print r + 0, u + 0 }' "/proc/$pid/smaps_rollup" 2>/dev/null)
			record rss "$v:$role" "$r" "${rss:-0}" 0
			record uss "$v:$role" "$r" "${uss:-0}" 0
			rss_sum=$((rss_sum + ${rss:-0})) uss_sum=$((uss_sum + ${uss:-0}))
			sum=$((sum + kb))
		done < <(descendants "$R_PID")
		record pss "$v:sum" "$r" "$sum" 0
		record rss "$v:sum" "$r" "$rss_sum" 0
		record uss "$v:sum" "$r" "$uss_sum" 0
		[ -n "$cmdpid" ] && kill "$cmdpid" 2>/dev/null
		finish_ready 9
	done < <(rotate "$r" "${variants_pss[@]}")
done

# ---- 5. TCP throughput ------------------------------------------------------
if [ "${HAVE_IPERF3:-0}" = 1 ]; then
	phase tput
	say "figure 5: iperf3 throughput ($R_TPUT rounds of ${T_TPUT} s per test)"
	port_out=$(free_port)
	iperf3 -s -B 127.0.0.1 -p "$port_out" >/dev/null 2>>"$LOG" &
	srv_pid=$!
	meta PORT_OUT "$port_out"
	iperf() {	# iperf [nsenter PID] ARGS: Mbit/s received, or empty
		local pre=()
		if [ "$1" = nsenter ]; then
			pre=(nsenter -t "$2" -U -n --preserve-credentials --)
			shift 2
		fi
		"${pre[@]}" iperf3 -f m -t "$T_TPUT" "$@" 2>>"$LOG" |
			awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }'
	}
	for mtu in 1500 65520; do
		port_h=$(free_port)
		port_r=$(free_port)
		[ "$port_r" != "$port_h" ] || port_r=$(free_port)
		settle
		# hckns: the iperf3 server inside, published with -p.
		start_ready 9 "$HCKNS" --mtu "$mtu" --host-loopback \
			-p "127.0.0.1:$port_h:5201" --status-fd 9 -- iperf3 -s -p 5201
		h_pid=$R_PID h_t0=$R_T0
		h_ns=$(json_int "$R_LINE" helper_pid)
		exec 5<&9 9<&-		# keep hckns's status FIFO open on 5
		# raw slirp4netns --configure, the same MTU, forward by its API.
		start_ready 9 "$BL/raw-slirp.sh" --api-socket "$WORK/raw.sock" \
			--mtu "$mtu" --host-loopback --status-fd 9 -- iperf3 -s -p 5201
		raw_pid=$R_PID
		raw_ns=$(descendants "$raw_pid" | awk '$2 == "iperf3" { print $1 }')
		"$here/tools/slirp-api.pl" "$WORK/raw.sock" \
			"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$port_r,\"guest_addr\":\"10.0.2.100\",\"guest_port\":5201}}" \
			>>"$LOG" 2>&1
		if [ -z "$h_ns" ] || [ -z "$raw_ns" ] ||
		   ! wait_listen "$h_ns" 5201 || ! wait_listen "$raw_ns" 5201; then
			say "figure 5: an iperf3 server did not start at MTU $mtu; see $LOG"
		else
			for ((r = 1; r <= R_TPUT; r++)); do
				while read -r v; do
					if [ "$v" = hckns ]; then port=$port_h ns=$h_ns; else port=$port_r ns=$raw_ns; fi
					sleep 0.2
					m=$(iperf -c 127.0.0.1 -p "$port")
					record "tput-in-$mtu" "$v" "$r" "${m:-0}" $([ -n "$m" ]; echo $?)
					sleep 0.2
					m=$(iperf nsenter "$ns" -c 10.0.2.2 -p "$port_out")
					record "tput-out-$mtu" "$v" "$r" "${m:-0}" $([ -n "$m" ]; echo $?)
				done < <(rotate "$r" hckns raw-slirp)
			done
		fi
		# Stop both: their iperf3 servers end, and with them the instances.
		for p in $(descendants "$raw_pid" | awk '$2 == "iperf3" { print $1 }') \
			 $(descendants "$h_pid" | awk '$2 == "iperf3" { print $1 }'); do
			kill "$p" 2>/dev/null
		done
		finish_ready 9
		wait "$h_pid"
		exec 5<&-
	done
	kill "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
fi

# ---- 6. hckns fwd add + rm ------------------------------------------------------
phase fwd
say "figure 6: forward add + remove ($R_FWD rounds)"
settle
# One live instance, driven both by `hckns fwd` and through --control-fd.
rm -f "$WORK/ctl.in" "$WORK/ctl.out"
mkfifo "$WORK/ctl.in" "$WORK/ctl.out"
exec 6<>"$WORK/ctl.in" 7<>"$WORK/ctl.out"
start_ready 9 "$HCKNS" --status-fd 9 --control-fd 6,7 -- sleep 600
exec 5<&9 9<&-
h_pid=$R_PID
name=$(json_int "$R_LINE" pid)
h_dir=$WORK/hckns-$(id -u)/$name
if [ "$HAVE_RK" = 1 ]; then
	rm -rf "$WORK/rk"
	mkdir "$WORK/rk"
	rootlesskit --net=slirp4netns --copy-up=/etc --disable-host-loopback \
		--port-driver=slirp4netns --state-dir "$WORK/rk/state" \
		sleep 600 </dev/null >/dev/null 2>>"$LOG" &
	rk_pid=$!
	for i in $(seq 100); do [ -S "$WORK/rk/state/api.sock" ] && break; sleep 0.05; done
fi
fwd_port=$(free_port)
add_rm_cli() {
	"$HCKNS" fwd add "127.0.0.1:$fwd_port:80" --instance "$name" >"$WORK/fwd.out" 2>>"$LOG" || return 1
	local line
	read -r line <"$WORK/fwd.out"
	[[ $line =~ forward\ ([0-9]+): ]] || return 1
	"$HCKNS" fwd rm "${BASH_REMATCH[1]}" --instance "$name" >/dev/null 2>>"$LOG"
}
add_rm_ctl() {
	local a
	printf '{"execute":"add_hostfwd","arguments":{"host_port":%s,"guest_port":80}}\n' "$fwd_port" >&6
	IFS= read -r -t 5 a <&7 || return 1
	[[ $a =~ \"id\":([0-9]+) ]] || return 1
	printf '{"execute":"remove_hostfwd","arguments":{"id":%s}}\n' "${BASH_REMATCH[1]}" >&6
	IFS= read -r -t 5 a <&7 || return 1
	[[ $a == *'"return"'* ]]
}
add_rm_rk() {
	local id
	id=$(rootlessctl --socket "$WORK/rk/state/api.sock" add-ports "127.0.0.1:$fwd_port:80/tcp" 2>>"$LOG") || return 1
	rootlessctl --socket "$WORK/rk/state/api.sock" remove-ports "$id" >/dev/null 2>>"$LOG"
}
two_true() { /bin/true && /bin/true; }
variants_fwd=(hckns-fwd-cli hckns-control-fd exec-floor)
[ "$HAVE_RK" = 1 ] && variants_fwd+=(rootlessctl)
for ((r = 1; r <= R_FWD; r++)); do
	while read -r v; do
		case $v in
		hckns-fwd-cli) f=add_rm_cli ;;
		hckns-control-fd) f=add_rm_ctl ;;
		rootlessctl) f=add_rm_rk ;;
		exec-floor) f=two_true ;;
		esac
		sleep 0.02
		t0=$(now_us)
		$f
		rc=$?
		record fwd "$v" "$r" $(( $(now_us) - t0 )) "$rc"
	done < <(rotate "$r" "${variants_fwd[@]}")
done
exec 6>&- 7<&-
for p in $(descendants "$h_pid" | awk '$2 == "sleep" { print $1 }'); do kill "$p"; done
R_PID=$h_pid
exec 9<&5 5<&-
finish_ready 9
if [ "$HAVE_RK" = 1 ]; then
	for p in $(descendants "$rk_pid" | awk '$2 == "sleep" { print $1 }'); do kill "$p"; done
	wait "$rk_pid"
fi
[ -d "$h_dir" ] && say "figure 6: $h_dir was left behind"

# ---- cross-check: hyperfine, unpaired ---------------------------------------
if [ "${HAVE_HYPERFINE:-0}" = 1 ]; then
	phase hyperfine
	say "cross-check: hyperfine ($R_HYPER runs each, not paired)"
	settle
	hyper=(hyperfine -N --style none --warmup 2 --runs "$R_HYPER"
	       --prepare "sleep 0.3" --export-csv "$WORK/hyperfine.csv"
	       -n hckns "$HCKNS -- true"
	       -n floor "${FLOOR[*]} true"
	       -n floor+slirp "$BL/floor-slirp.sh"
	       -n shell-ref "$BL/shell-ref.sh")
	[ "$HAVE_RK" = 1 ] && hyper+=(-n rootlesskit "$BL/rootlesskit.sh")
	"${hyper[@]}" >/dev/null 2>>"$LOG" || say "hyperfine failed; see $LOG"
fi

phase end
meta LOAD_AFTER "$(cut -d' ' -f1-3 /proc/loadavg)"
meta BENCH_SECONDS $(( ($(now_us) - T_BEGIN) / 1000000 ))
leftover=$(ls "$WORK/hckns-$(id -u)" 2>/dev/null | wc -l)
meta LEFTOVER_RUNDIRS "$leftover"
say "done in $(( ($(now_us) - T_BEGIN) / 1000000 )) s"
