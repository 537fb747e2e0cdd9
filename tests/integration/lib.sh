# Helpers for the integration tests.  Sourced by suite.sh into the shell
# that runs one test function.  A test passes when its function returns 0,
# fails with `fail MESSAGE`, and is skipped (with the reason said) with
# `skip MESSAGE`.  Every wait here is bounded in count and time.

: "${HCKNS:?HCKNS must point to the hckns binary}"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hckns-test.XXXXXX")
chmod 0755 "$TEST_TMP"
trap 'rm -rf "$TEST_TMP"' EXIT

fail() { printf '%s\n' "$*" >&2; exit 1; }
skip() { printf '%s\n' "$*" >&2; exit 77; }

assert_eq() { # expected actual what
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_contains() { # haystack needle what
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: '$2' not in: $1" ;;
	esac
}

assert_not_contains() { # haystack needle what
	case "$1" in
	*"$2"*) fail "$3: '$2' unexpectedly in: $1" ;;
	esac
}

# wait_for SECONDS COMMAND...: run COMMAND every 50 ms until it succeeds.
wait_for() {
	local limit=$(( $1 * 20 )) i=0
	shift
	while [ $i -lt $limit ]; do
		"$@" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# The directory hckns puts its instances in (see frontend/runtime.c).
runtime_base() {
	if [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR" ] &&
	   [ "$(stat -c %u "$XDG_RUNTIME_DIR")" = "$(id -u)" ]; then
		echo "$XDG_RUNTIME_DIR/hckns"
	else
		echo "${TMPDIR:-/tmp}/hckns-$(id -u)"
	fi
}

# A value from hckns's verbose trace in file $1: trace_value FILE 'helper started, pid'
trace_value() {
	sed -n "s/^hckns: \[[ 0-9.]* ms\] $2 //p" "$1" | head -n 1
}

# The pids of the processes in the user namespace "user:[INODE]".
userns_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/user" 2>/dev/null)" = "user:[$1]" ] &&
			echo "${p#/proc/}"
	done
	return 0
}

userns_inode() { # PID
	readlink "/proc/$1/ns/user" | sed 's/^user:\[\(.*\)\]$/\1/'
}

# A TCP port nobody listens on at 127.0.0.1 right now.
free_port() {
	local port
	for port in $(shuf -i 20000-60000 -n 50); do
		if ! ss -Htln "sport = :$port" | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}
