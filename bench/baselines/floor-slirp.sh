#!/bin/bash
# Baseline "floor+slirp": the same namespaces as the floor, slirp4netns
# started on them, ready (-r), then stopped (killed and reaped) once CMD has
# exited.  Nothing is configured: no address, no route, no bridge, no
# resolv.conf.  The least any tool can do to give a namespace slirp4netns.
#
#   floor-slirp.sh [--status-fd N] [--persistent-tap] [CMD [ARG...]]
#                                                    (CMD defaults to true)
#
# --status-fd N: write {"event":"ready"} to descriptor N when slirp4netns is
# ready, just before CMD starts (as hckns --status-fd does).
# --persistent-tap: an experiment, not the baseline: create tap0 inside as a
# persistent tap (ip tuntap) before slirp4netns attaches to it, so that
# slirp4netns's exit does not unregister it (the namespace's teardown does).
set -u
status_fd= ptap=:
while [ $# -gt 0 ]; do
	case $1 in
	--status-fd) status_fd=$2; shift 2 ;;
	--persistent-tap) ptap="ip tuntap add dev tap0 mode tap || exit 125"; shift ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- true

# The namespaces' first process: it says it exists (one line), waits for
# slirp4netns's ready byte, which slirp4netns writes straight into its
# standard input, then becomes CMD.
exec 8>&1				# CMD's standard output, kept from ours
coproc NS {
	export FS_PTAP=$ptap
	exec unshare --user --map-root-user --net --mount -- bash -c '
		eval "$FS_PTAP"
		echo
		read -r -n1 _ || exit 125	# slirp4netns died before ready
		[ -z "$0" ] || echo "{\"event\":\"ready\"}" >&"$0"
		exec "$@" </dev/null >&8 8>&-' "$status_fd" "$@"
}
read -r -u "${NS[0]}" _ || exit 125	# the namespaces exist
# Coprocess descriptors are not inherited by other children, and bash
# keeps close-on-exec on their copies: a new open of the pipe is neither.
ns_in=${NS[1]}
exec 7>"/proc/self/fd/$ns_in" {ns_in}>&-
slirp4netns --ready-fd=3 "$NS_PID" tap0 3>&7 >/dev/null 2>&1 &
slirp=$!
exec 7>&- 8>&-			# only slirp4netns holds it now
wait "$NS_PID"
rc=$?
kill "$slirp" 2>/dev/null
wait "$slirp"
exit "$rc"
