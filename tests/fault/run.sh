#!/bin/bash
# run.sh SUITE: run tests/SUITE/SUITE.sh (fault or load) the way
# tests/integration/run-all.sh runs the integration suite: as a normal
# user, as that user; as root, as root and then as the unprivileged user
# hckns-test (created if missing; /dev/net/tun made 0666 if it is not),
# from a staged copy that user can read.  Sums the two closing lines
# "SUITE: N passed, N failed" into one.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)	# tests/
suite=${1:?usage: run.sh fault|load}
: "${HCKNS:?HCKNS must point to the built hckns}"
helper="$(dirname "$HCKNS")/hckns-helper"
test_user=${HCKNS_TEST_USER:-hckns-test}

if [ "$(id -u)" != 0 ]; then
	exec "$here/$suite/$suite.sh"
fi

stage=$(mktemp -d /tmp/hckns-stage.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/tests"
cp "$HCKNS" "$helper" "$stage/bin/"
# fault.sh's netlink-fails finds its shim (HCKNS_TEST_HELPER_PRELOAD) beside hckns.
if [ -e "$(dirname "$HCKNS")/netlink-refuse-shim.so" ]; then
	cp "$(dirname "$HCKNS")/netlink-refuse-shim.so" "$stage/bin/"
fi
cp -r "$here/integration" "$here/$suite" "$stage/tests/"
chmod -R a+rX "$stage"

if ! id "$test_user" >/dev/null 2>&1; then
	echo "run: creating the unprivileged user $test_user for the tests"
	useradd --system --no-create-home --shell /bin/bash "$test_user" || exit 1
fi
tun_mode=$(stat -c %a /dev/net/tun 2>/dev/null || echo missing)
if [ "$tun_mode" != 666 ]; then
	echo "run: /dev/net/tun is mode $tun_mode; setting it to 0666 (the usual distribution default) for slirp4netns as $test_user"
	[ -e /dev/net/tun ] || { modprobe tun 2>/dev/null; mkdir -p /dev/net; mknod -m 0666 /dev/net/tun c 10 200; }
	chmod 0666 /dev/net/tun
fi

totals() { sed -n "s/^$suite: \([0-9]*\) passed, \([0-9]*\) failed\$/\1 \2/p" "$1"; }
pass_env=$(env | grep -E "^(FAULT|LOAD)_" | tr '\n' ' ')

echo "== $suite as root"
HCKNS="$stage/bin/hckns" "$stage/tests/$suite/$suite.sh" | tee "$stage/root.log"
echo "== $suite as $test_user (uid $(id -u "$test_user"))"
home="$stage/home"
mkdir -p "$home" && chown "$test_user" "$home"
# shellcheck disable=SC2086 # the FAULT_*/LOAD_* settings, word by word
env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$home" \
	TMPDIR=/tmp TERM="${TERM:-dumb}" HCKNS="$stage/bin/hckns" $pass_env \
	setpriv --reuid="$test_user" --regid="$test_user" --clear-groups \
	"$stage/tests/$suite/$suite.sh" | tee "$stage/user.log"

read -r p1 f1 < <(totals "$stage/root.log")
read -r p2 f2 < <(totals "$stage/user.log")
p=$(( ${p1:-0} + ${p2:-0} )); f=$(( ${f1:-0} + ${f2:-0} ))
[ -n "${f1:-}" ] && [ -n "${f2:-}" ] || { echo "run: a $suite suite did not finish"; f=$((f + 1)); }
echo "$suite: $p passed, $f failed"
[ "$f" = 0 ]
