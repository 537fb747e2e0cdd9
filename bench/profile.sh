#!/bin/bash
# The profiles behind BENCHMARKS.md's analysis (`make bench-profile`).
#
#   bench/profile.sh BUILDDIR [phases|offcpu|many|smaps|all]
#
# phases  N runs of `hckns -v -- true`: the median time of every traced
#         step (where setup and teardown time goes)
# offcpu  perf sched_switch stacks, machine-wide (needs root): for how long
#         hckns's processes and the kernel's workers wait, and on what
# many    the same while PROFILE_MANY (100) instances start at once
# smaps   per-mapping memory (PSS, private) of a live instance's processes
#
# Like bench.sh it stages the binaries and, run as root, measures as
# BENCH_USER (default hckns-bench); perf runs as root.  Output on stdout.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd) || exit 1
what=${2:-all}
N=${PROFILE_RUNS:-25}

work=$(mktemp -d /tmp/hckns-profile.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
cp "$build/hckns" "$build/hckns-helper" "$work/"
cp -r "$here" "$work/bench"
chmod -R a+rX "$work"
user=$(id -un)
if [ "$(id -u)" = 0 ] && [ -n "${BENCH_USER-hckns-bench}" ] &&
   id "${BENCH_USER-hckns-bench}" >/dev/null 2>&1; then
	user=${BENCH_USER-hckns-bench}
	chown -R "$user" "$work"
fi
as_user() {
	if [ "$user" = "$(id -un)" ]; then
		env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin TMPDIR="$work" "$@"
	else
		setpriv --reuid="$user" --regid="$user" --clear-groups \
			env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin TMPDIR="$work" "$@"
	fi
}

# median of the values per key: "key value" lines in, a table out.
medians() {
	awk '{ k = $1; $1 = ""; v[k] = v[k] " " $0 + 0; if (!(k in o)) { o[k] = ++n; name[n] = k } }
	END {
		for (i = 1; i <= n; i++) {
			c = split(v[name[i]], a, " ")
			for (x = 1; x <= c; x++) for (y = x + 1; y <= c; y++)
				if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
			m = c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
			printf "  %-48s %8.2f ms  (min %.2f, max %.2f, n %d)\n", name[i], m, a[1], a[c], c
		}
	}'
}

phases() {
	echo "== phases: $N runs of hckns -v -- true as $user (median time since start of each step)"
	for i in $(seq "$N"); do
		sleep 0.3
		as_user bash -c 's=${EPOCHREALTIME/./}; "$0" -v -- true 2>"$1"; e=${EPOCHREALTIME/./}
			echo "TOTAL(wall,from-fork) $(( e - s ))" >>"$1"' "$work/hckns" "$work/trace.$i"
		awk '/\[ *[0-9.]+ ms\]/ {
			t = $3; sub(/\]/, "", t); m = $0; sub(/.*ms\] /, "", m)
			sub(/: \/.*/, "", m); sub(/(,| pid| [0-9]).*/, "", m); sub(/: ok$/, "", m); gsub(/ /, "_", m)
			if (!(m in seen)) { seen[m] = 1; print m, t } }
			/^TOTAL/ { print $1, $2 / 1000 }' "$work/trace.$i"
	done | medians
}

# offcpu_of TITLE SCRIPT: perf's sched_switch stacks while SCRIPT runs
# (bash -c SCRIPT HCKNS WORK, as the user; it writes its pid to WORK/root.pid).
offcpu_of() {
	if [ "$(id -u)" != 0 ] || ! command -v perf >/dev/null; then
		echo "== $1: needs root and perf; skipped"
		return
	fi
	echo "== $1"
	echo "   (total off-CPU time per task and kernel wait site; D = uninterruptible)"
	perf record -q -o "$work/perf.data" -a -e sched:sched_switch -e sched:sched_process_fork -g -- \
		setpriv --reuid="$user" --regid="$user" --clear-groups env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin TMPDIR="$work" \
		bash -c "$2" "$work/hckns" "$work" \
		>/dev/null 2>&1 || { echo "   perf record failed"; return; }
	chmod a+r "$work/perf.data"
	perf script -i "$work/perf.data" 2>/dev/null | awk -v root="$(cat "$work/root.pid")" '
		BEGIN { mine[root] = 1 }
		/sched:sched_process_fork:/ {
			flush()
			match($0, / pid=[0-9]+/); p = substr($0, RSTART + 5, RLENGTH - 5)
			match($0, /child_pid=[0-9]+/); c = substr($0, RSTART + 10, RLENGTH - 10)
			if (p in mine) mine[c] = 1
			next
		}
		function flush() { if (have) { out[pid] = t; sig_of[pid] = comm ";" sig; st_of[pid] = st }; have = 0 }
		/sched:sched_switch:/ {
			flush()
			match($0, /[0-9]+\.[0-9]+:/); t = substr($0, RSTART, RLENGTH - 1) + 0
			match($0, /prev_pid=[0-9]+/); pid = substr($0, RSTART + 9, RLENGTH - 9)
			match($0, /prev_comm=[^ ]+/); comm = substr($0, RSTART + 10, RLENGTH - 10)
			match($0, /prev_state=[^ ]+/); st = substr($0, RSTART + 11, RLENGTH - 11)
			match($0, /next_pid=[0-9]+/); np = substr($0, RSTART + 9, RLENGTH - 9)
			if (!(pid in mine) && comm !~ /^kworker/) { have = 0; next }
			if (np in out) {
				k = st_of[np] " " sig_of[np]; d = t - out[np]
				tot[k] += d; cnt[k]++; if (d > mx[k]) mx[k] = d; delete out[np]
			}
			have = 1; sig = ""; nfr = 0; next
		}
		have && NF >= 2 && $1 ~ /^[0-9a-f]+$/ {
			f = $2; sub(/\+0x.*/, "", f)
			if (f ~ /^(__schedule|schedule|schedule_timeout|schedule_preempt_disabled|__wait_for_common|wait_for_completion.*|schedule_hrtimeout.*|io_schedule.*|__mutex_lock.*|mutex_lock.*|__x64_sys.*|do_syscall_64|entry_SYSCALL.*|x64_sys_call|rwsem_down.*|down_read.*|down_write.*)$/) next
			if (nfr < 3) { sig = sig (sig == "" ? "" : " < ") f; nfr++ }
		}
		END { for (k in tot) printf "%9.1f ms %5d waits, longest %6.1f ms  %s\n", tot[k] * 1000, cnt[k], mx[k] * 1000, k }' |
		sort -rn | grep -v -e " I kworker" -e " S bash;" | head -25
}

offcpu() {
	offcpu_of "offcpu: perf record -a -e sched:sched_switch -g over 12 runs of hckns -- true (0.3 s apart)" \
		'echo $$ >"$1/root.pid"; for i in $(seq 12); do sleep 0.3; "$0" -- true; done'
}

# many: the same, over N (PROFILE_MANY, 100) instances started at once,
# each `sleep 2`: where a busy host's time goes (figure 3b).
many() {
	local n=${PROFILE_MANY:-100}
	offcpu_of "many: perf record -a -e sched:sched_switch -g while $n hckns -- sleep 2 start at once" \
		'echo $$ >"$1/root.pid"; for i in $(seq '"$n"'); do "$0" -- sleep 2 & done; wait'
}

smaps() {
	echo "== smaps: a live instance's processes, memory per mapping (KiB), as $user"
	as_user bash -c '
		. "$0/bench/lib.sh"; WORK=$0; LOG=$0/smaps.log
		start_ready 9 "$0/hckns" --status-fd 9 -- sleep 30
		sleep 0.5
		descendants "$R_PID" | while read -r pid comm; do
			[ "$comm" != sleep ] || continue
			echo "  $comm (pid $pid): $(awk "/^(Rss|Pss|Private_Clean|Private_Dirty):/ { printf \"%s %s  \", \$1, \$2 }" /proc/$pid/smaps_rollup)"
			awk "/^[0-9a-f]+-[0-9a-f]+ / { n = \$6; if (n == \"\") n = \"[anon]\" }
			     /^Pss:/ { p[n] += \$2 } /^Private_(Clean|Dirty):/ { u[n] += \$2 }
			     END { for (n in p) if (p[n] >= 16) printf \"    %6d PSS %6d private  %s\n\", p[n], u[n], n }" \
				"/proc/$pid/smaps" | sort -rn | head -8
		done
		kill $(descendants "$R_PID" | awk "\$2 == \"sleep\" { print \$1 }")
		finish_ready 9' "$work"
}

case $what in
phases) phases ;;
offcpu) offcpu ;;
many) many ;;
smaps) smaps ;;
all) phases; offcpu; smaps ;;
*) echo "usage: profile.sh BUILDDIR [phases|offcpu|many|smaps|all]" >&2; exit 2 ;;
esac
