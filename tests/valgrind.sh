#!/bin/bash
# `make valgrind`: memcheck on everything valgrind can run.
#
#  1. the unit tests (front-end pure code and the protocol), in one process;
#  2. the fuzz-corpus replay;
#  3. the real helper, started by the real front end, building the real
#     network (several runs) and fed every protocol violation by
#     helper-probe: a wrapper named hckns-helper next to a staged hckns runs
#     the helper under valgrind.
#
# The front end and its keeper cannot run under valgrind 3.19 (Debian 12):
# valgrind answers clone3, pidfd_open and pidfd_send_signal with ENOSYS, and
# hckns is built on pidfds.  They run under ASan + UBSan + LeakSanitizer
# instead (`make asan`, the whole suite).
set -u
build=${1:?usage: valgrind.sh BUILDDIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --suppressions=$here/valgrind.supp"
failed=0 passed=0

step() { # NAME COMMAND...
	local name=$1
	shift
	if "$@"; then
		echo "ok   valgrind: $name"
		passed=$((passed + 1))
	else
		echo "FAIL valgrind: $name"
		failed=$((failed + 1))
	fi
}

step "unit tests" env CK_FORK=no $vg "$build/unit-tests"
for corpus in "$here/fuzz/corpus"/*; do	# one replay binary per harness
	step "fuzz corpus replay: ${corpus##*/}" \
		$vg "$build/fuzz-replay-${corpus##*/}" "$corpus"
done

stage=$(mktemp -d /tmp/hckns-valgrind.XXXXXX)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
mkdir "$stage/logs" && chmod 0777 "$stage/logs"
cp "$build/hckns" "$stage/hckns"
cp "$build/hckns-helper" "$stage/hckns-helper.real"
# The helper serves without its own filter under valgrind (it cannot load
# one there), and the front end refuses a helper whose /proc status does
# not show a filter (frontend/main.c, after hello).  So valgrind itself
# starts under an allow-everything filter, made here: the front end's
# check sees mode 2 and no_new_privs, which is all it can see.
cat >"$stage/allow-all.c" <<'C'
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return perror("allow-all"), 126;
	execv(argv[1], argv + 1);
	return perror("allow-all"), 127;
}
C
cc -o "$stage/allow-all" "$stage/allow-all.c" || exit 1
# Each helper is PID 1 of its own PID namespace, so %p would be 1 for
# all: a log a run, named by a random id instead.
cat >"$stage/hckns-helper" <<WRAP
#!/bin/sh
read -r id </proc/sys/kernel/random/uuid
export HCKNS_VG_ID="\$id"
exec "$stage/allow-all" "$(command -v valgrind)" ${vg#valgrind } --log-file="$stage/logs/helper.%q{HCKNS_VG_ID}.log" "$stage/hckns-helper.real" "\$@"
WRAP
chmod 0755 "$stage/hckns-helper"

helper_runs() {
	"$stage/hckns" -- true &&
	"$stage/hckns" --mtu 65520 -- sh -c 'ip -br addr >/dev/null' &&
	"$stage/hckns" -- sh -c 'cat /etc/resolv.conf >/dev/null'
}
step "helper under the front end" helper_runs

probe_runs() {
	local s
	for s in valid invalid refused eof garbage short empty trailing truncated \
		length-field oversized huge version version-later unknown-op \
		op-zero answer-op before-hello hello-twice fd fd-hello fd-alone; do
		"$build/helper-probe" "$stage/hckns-helper" "$s" >/dev/null 2>&1 ||
			{ echo "helper-probe $s failed"; return 1; }
	done
}
step "helper fed every probe scenario" probe_runs

logs_clean() {
	local n=0 f
	for f in "$stage"/logs/*.log; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		if [ -s "$f" ]; then
			echo "valgrind report in $f:"
			cat "$f"
			return 1
		fi
	done
	echo "     $n helper processes ran under valgrind, no report"
	[ "$n" -gt 20 ]
}
step "no valgrind report from any helper" logs_clean

echo "valgrind: $passed passed, $failed failed"
[ "$failed" = 0 ]
