#!/bin/bash
# `make bench`: hckns against the floor and what users would otherwise run.
# See BENCHMARKS.md for what is measured, how, and the results.
#
#   bench/bench.sh BUILDDIR
#
# It installs nothing: it says what is missing (`make bench-deps` installs
# it) and measures what it can.  BENCH_QUICK=1: a smoke test with few rounds,
# reported in BUILDDIR/bench/report.md only; otherwise the report also
# replaces the generated part of BENCHMARKS.md.
#
# hckns is for unprivileged users, and rootlesskit refuses root: run as
# root, the measurements run as BENCH_USER (default hckns-bench, which
# `make bench-deps` creates with subordinate ids); BENCH_USER= (empty) keeps
# root.  The binaries are copied first, so a rebuild during the run changes
# nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd) || exit 1
quick=${BENCH_QUICK:-0}
out=$build/bench
mkdir -p "$out"

# ---- what is there ------------------------------------------------------------
missing=() optional_missing=()
need() {	# need CMD PACKAGE: required
	command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package $2)")
}
want() {	# want CMD PACKAGE WHAT-WITHOUT-IT
	if command -v "$1" >/dev/null 2>&1; then
		return 0
	fi
	optional_missing+=("$1 (Debian package $2): $3")
	return 1
}
[ -x "$build/hckns" ] && [ -x "$build/hckns-helper" ] ||
	missing+=("$build/hckns and hckns-helper: run 'make' first")
need slirp4netns slirp4netns
need unshare util-linux
need nsenter util-linux
need setpriv util-linux
need ip iproute2
need ss iproute2
need ps procps
need perl perl-base
need awk mawk
have_iperf3=0 have_rk=0 have_hyper=0
want iperf3 iperf3 "no throughput figure" && have_iperf3=1
if want rootlesskit rootlesskit "no rootlesskit baseline"; then
	have_rk=1
	want rootlessctl rootlesskit "no rootlesskit forward baseline" || have_rk=0
	want newuidmap uidmap "rootlesskit cannot map ids" || have_rk=0
fi
want hyperfine hyperfine "no hyperfine cross-check" && have_hyper=1
have_perf=0
if want perf linux-perf "no CPU-time figure"; then
	if perf stat -e task-clock true >/dev/null 2>&1; then
		have_perf=1
	else
		optional_missing+=("perf stat does not work here (kernel.perf_event_paranoid?): no CPU-time figure")
	fi
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: missing, cannot measure:" >&2
	printf '  %s\n' "${missing[@]}" >&2
	echo "bench: 'make deps bench-deps' installs them" >&2
	exit 1
fi
if [ ${#optional_missing[@]} -gt 0 ]; then
	echo "bench: missing, measuring without:" >&2
	printf '  %s\n' "${optional_missing[@]}" >&2
	echo "bench: 'make bench-deps' installs them" >&2
fi

# ---- who measures -----------------------------------------------------------
user=$(id -un)
if [ "$(id -u)" = 0 ]; then
	user=${BENCH_USER-hckns-bench}
	if [ -n "$user" ] && ! id "$user" >/dev/null 2>&1; then
		echo "bench: user $user does not exist ('make bench-deps' creates it," \
		     "or BENCH_USER=NAME, or BENCH_USER= to measure as root)" >&2
		exit 1
	fi
	[ -n "$user" ] || user=root
fi
if [ "$have_rk" = 1 ] && ! grep -q "^$user:" /etc/subuid 2>/dev/null; then
	echo "bench: $user has no range in /etc/subuid: no rootlesskit baseline" \
	     "('make bench-deps' creates hckns-bench with one)" >&2
	have_rk=0
fi

# ---- stage and run ----------------------------------------------------------
work=$(mktemp -d /tmp/hckns-bench.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/bench"
cp "$build/hckns" "$build/hckns-helper" "$work/bin/"
cp -r "$here/." "$work/bench/"
chmod -R a+rX "$work"
[ "$user" = "$(id -un)" ] || chown -R "$user" "$work"
{
	printf 'NPROC=%q\n' "$(nproc)"
	printf 'CPU_MODEL=%q\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	printf 'KERNEL=%q\n' "$(uname -r)"
	printf 'OS=%q\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
	printf 'MEM=%q\n' "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	printf 'BENCH_USER_NAME=%q\n' "$user"
	printf 'BENCH_USER_UID=%q\n' "$(id -u "$user")"
	printf 'DATE=%q\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'QUICK=%q\n' "$quick"
	printf 'V_HCKNS=%q\n' "$("$build/hckns" --version 2>&1)"
	printf 'V_COMMIT=%q\n' "$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)"
	printf 'V_SLIRP=%q\n' "$(slirp4netns --version | awk '/^slirp4netns version/ { v = $3 } /^libslirp/ { l = $2 } END { printf "%s (libslirp %s)", v, l }')"
	printf 'V_ROOTLESSKIT=%q\n' "$([ "$have_rk" = 1 ] && rootlesskit --version | awk '{ print $3 }' || echo "not measured")"
	printf 'V_IPERF3=%q\n' "$([ "$have_iperf3" = 1 ] && iperf3 --version | awk 'NR == 1 { print $2 }' || echo "not installed")"
	printf 'V_HYPERFINE=%q\n' "$([ "$have_hyper" = 1 ] && hyperfine --version | awk '{ print $2 }' || echo "not installed")"
	printf 'V_BASH=%q\n' "${BASH_VERSION%%(*}"
	printf 'V_UTIL_LINUX=%q\n' "$(unshare --version | awk '{ print $NF }')"
	printf 'V_IPROUTE2=%q\n' "$(ip -V | sed 's/.*iproute2-//')"
	printf 'V_CC=%q\n' "$(${CC:-cc} --version 2>/dev/null | head -1)"
} >"$work/meta.env"
[ "$user" = "$(id -un)" ] || chown "$user" "$work/meta.env"

echo "bench: measuring as $user ($([ "$quick" = 1 ] && echo quick || echo full) run) in $work" >&2
env_run=(env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$work"
	 LANG=C.UTF-8 HCKNS="$work/bin/hckns" WORK="$work" BENCH_QUICK="$quick"
	 HAVE_IPERF3="$have_iperf3" HAVE_ROOTLESSKIT="$have_rk"
	 HAVE_HYPERFINE="$have_hyper" HAVE_PERF="$have_perf")
if [ "$user" = "$(id -un)" ]; then
	"${env_run[@]}" "$work/bench/run.sh"
else
	setpriv --reuid="$user" --regid="$user" --clear-groups \
		"${env_run[@]}" "$work/bench/run.sh"
fi
rc=$?
cp "$work/data.tsv" "$work/meta.env" "$work/stderr.log" "$out/" 2>/dev/null
[ -f "$work/hyperfine.csv" ] && cp "$work/hyperfine.csv" "$out/"
[ "$rc" = 0 ] || { echo "bench: the measurements failed ($rc); see $out/stderr.log" >&2; exit "$rc"; }

# ---- report -------------------------------------------------------------------
"$here/report.sh" "$out" >"$out/report.md" || exit 1
echo "bench: report in $out/report.md" >&2
if [ "$quick" != 1 ]; then
	"$here/splice.sh" "$top/BENCHMARKS.md" "$out/report.md" || exit 1
	echo "bench: BENCHMARKS.md updated (between its generated-section markers)" >&2
fi
