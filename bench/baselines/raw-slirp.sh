#!/bin/bash
# Baseline "raw slirp4netns, configured": the floor's namespaces with
# slirp4netns --configure (tap0 10.0.2.100/24, MTU N, lo up, default route
# via 10.0.2.2) and its API socket; no bridge.  The reference for
# throughput: what slirp4netns alone gives, configured as hckns is (its
# sandbox and seccomp filter included, which hckns turns on).
#
#   raw-slirp.sh --api-socket PATH [--status-fd N] [--mtu N] [--host-loopback]
#                [CMD [ARG...]]
set -u
status_fd= mtu=1500 loopback=--disable-host-loopback api=
while [ $# -gt 0 ]; do
	case $1 in
	--status-fd) status_fd=$2; shift 2 ;;
	--mtu) mtu=$2; shift 2 ;;
	--host-loopback) loopback=; shift ;;
	--api-socket) api=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ -n "$api" ] || { echo "raw-slirp.sh: --api-socket PATH is required" >&2; exit 2; }
[ $# -gt 0 ] || set -- true

exec 8>&1
coproc NS {
	exec unshare --user --map-root-user --net --mount -- bash -c '
		echo
		read -r -n1 _ || exit 125
		[ -z "$0" ] || echo "{\"event\":\"ready\"}" >&"$0"
		exec "$@" </dev/null >&8 8>&-' "$status_fd" "$@"
}
read -r -u "${NS[0]}" _ || exit 125
ns_in=${NS[1]}
exec 7>"/proc/self/fd/$ns_in" {ns_in}>&-
slirp4netns --configure --ready-fd=3 --mtu "$mtu" $loopback \
	--enable-seccomp --enable-sandbox \
	--api-socket "$api" "$NS_PID" tap0 3>&7 >/dev/null 2>&1 &
slirp=$!
exec 7>&- 8>&-
wait "$NS_PID"
rc=$?
kill "$slirp" 2>/dev/null
wait "$slirp"
rm -f "$api"
exit "$rc"
