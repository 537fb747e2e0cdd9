#!/bin/bash
# The integration suite, as `make check` runs it.
#
# As a normal user: runs the suite as that user.
# As root: runs it as root, then as the unprivileged user hckns-test (created
# here if missing), because hckns is for unprivileged users and must be
# proven so.  For that, /dev/net/tun is made mode 0666 (the usual
# distribution default) when it is not already, and the binaries and tests
# are staged in a temporary directory that user can read.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${HCKNS:?HCKNS must point to the built hckns}"
helper="$(dirname "$HCKNS")/hckns-helper"
probe=${HCKNS_PROBE:-}	# tests/tools/helper-probe, for t-helper.sh
test_user=${HCKNS_TEST_USER:-hckns-test}

if [ "$(id -u)" != 0 ]; then
	exec "$here/suite.sh" "$@"
fi

stage=$(mktemp -d /tmp/hckns-stage.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/tests"
cp "$HCKNS" "$helper" ${probe:+"$probe"} "$stage/bin/"
# t-helper.sh's seccomp test finds its preloaded shim beside the probe.
if [ -n "$probe" ] && [ -e "$(dirname "$probe")/seccomp-shim.so" ]; then
	cp "$(dirname "$probe")/seccomp-shim.so" "$stage/bin/"
fi
# t-errors.sh's refused request, t-inputs.sh's unconfined helper and its
# LD_PRELOAD find their shims beside hckns.
for shim in netlink-refuse-shim.so seccomp-shim.so load-marker-shim.so; do
	if [ -e "$(dirname "$HCKNS")/$shim" ] && [ ! -e "$stage/bin/$shim" ]; then
		cp "$(dirname "$HCKNS")/$shim" "$stage/bin/"
	fi
done
# t-loopback-guard.sh finds its frame sender beside hckns.
if [ -e "$(dirname "$HCKNS")/raw-syn" ]; then
	cp "$(dirname "$HCKNS")/raw-syn" "$stage/bin/"
fi
staged_probe=${probe:+$stage/bin/$(basename "$probe")}
cp -r "$here" "$stage/tests/integration"
# t-completion.sh finds the completion at ../../contrib from its directory.
mkdir -p "$stage/contrib"
cp -r "$here/../../contrib/bash-completion" "$stage/contrib/"
# t-docs.sh reads the man page at ../../man from its directory.
cp -r "$here/../../man" "$stage/man"
# t-ruby.sh runs tests/ruby, which uses the gem's library in ruby/.
cp -r "$here/../ruby" "$stage/tests/ruby"
cp -r "$here/../../ruby" "$stage/ruby"
chmod -R a+rX "$stage"

if ! id "$test_user" >/dev/null 2>&1; then
	echo "run-all: creating the unprivileged user $test_user for the tests"
	useradd --system --no-create-home --shell /bin/bash "$test_user" || exit 1
fi
# t-hostile-user.sh: a second unprivileged user who plays the attacker.
evil_user=${HCKNS_EVIL_USER:-hckns-evil}
if ! id "$evil_user" >/dev/null 2>&1; then
	echo "run-all: creating the unprivileged user $evil_user, the attacker of t-hostile-user.sh"
	useradd --system --no-create-home --shell /bin/bash "$evil_user" || exit 1
fi
# --map-subids (t-subids.sh) needs subordinate ids for the user: the first
# 65536 ids past every range already given to anyone, once.
has_range() { # FILE
	awk -F: -v n="$test_user" -v u="$(id -u "$test_user")" \
		'NF == 3 && ($1 == n || $1 == u) { found = 1 } END { exit !found }' "$1" 2>/dev/null
}
if ! has_range /etc/subuid || ! has_range /etc/subgid; then
	start=$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: '
		BEGIN { next_free = 100000 }
		NF == 3 && $2 + $3 > next_free { next_free = $2 + $3 }
		END { print next_free }')
	range="$start-$((start + 65535))"
	echo "run-all: giving $test_user the subordinate uids and gids $range (usermod), for the --map-subids tests"
	has_range /etc/subuid || usermod --add-subuids "$range" "$test_user" || exit 1
	has_range /etc/subgid || usermod --add-subgids "$range" "$test_user" || exit 1
else
	echo "run-all: $test_user has subordinate uids and gids already: $(grep -E "^($test_user|$(id -u "$test_user")):" /etc/subuid | head -n 1)"
fi
tun_mode=$(stat -c %a /dev/net/tun 2>/dev/null || echo missing)
if [ "$tun_mode" != 666 ]; then
	echo "run-all: /dev/net/tun is mode $tun_mode; setting it to 0666, the usual distribution default, so that slirp4netns works for an unprivileged user"
	[ -e /dev/net/tun ] || { modprobe tun 2>/dev/null; mkdir -p /dev/net; mknod -m 0666 /dev/net/tun c 10 200; }
	chmod 0666 /dev/net/tun
fi

totals() { sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$1"; }

echo "== integration tests as root"
HCKNS="$stage/bin/hckns" HCKNS_PROBE="$staged_probe" "$stage/tests/integration/suite.sh" "$@" | tee "$stage/root.log"
echo "== integration tests as $test_user (uid $(id -u "$test_user"))"
home="$stage/home"
mkdir -p "$home" && chown "$test_user" "$home"
env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$home" \
	TMPDIR=/tmp TERM="${TERM:-dumb}" HCKNS="$stage/bin/hckns" \
	HCKNS_PROBE="$staged_probe" \
	HCKNS_TEST_TIMEOUT="${HCKNS_TEST_TIMEOUT:-60}" \
	setpriv --reuid="$test_user" --regid="$test_user" --clear-groups \
	"$stage/tests/integration/suite.sh" "$@" | tee "$stage/user.log"

read -r p1 f1 s1 < <(totals "$stage/root.log")
read -r p2 f2 s2 < <(totals "$stage/user.log")
p=$(( ${p1:-0} + ${p2:-0} )); f=$(( ${f1:-0} + ${f2:-0} )); s=$(( ${s1:-0} + ${s2:-0} ))
[ -n "${f1:-}" ] && [ -n "${f2:-}" ] || { echo "run-all: a suite did not finish"; f=$((f + 1)); }
echo "integration: $p passed, $f failed, $s skipped"
[ "$f" = 0 ]
