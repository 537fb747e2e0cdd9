#!/bin/bash
# Baseline "rootlesskit": what a rootless-containers user would run to get
# a namespace with slirp4netns, a private /etc and no host loopback.
#
#   rootlesskit.sh [--status-file PATH] [--mtu N] [CMD [ARG...]]  (CMD: true)
#
# rootlesskit passes no descriptor but 0-2 to CMD, so the ready line goes to
# a path (a FIFO, for bench/run.sh): a sh(1) started as CMD writes it, just
# before it becomes CMD: it marks the moment CMD starts.
# Its default MTU is 65520; hckns's is 1500, so 1500 unless --mtu says.
set -u
status_path= mtu=1500
while [ $# -gt 0 ]; do
	case $1 in
	--status-file) status_path=$2; shift 2 ;;
	--mtu) mtu=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- true
if [ -n "$status_path" ]; then
	set -- sh -c 'echo "{\"event\":\"ready\"}" >"$0"; exec "$@"' \
		"$status_path" "$@"
fi
exec rootlesskit --net=slirp4netns --copy-up=/etc --disable-host-loopback \
	--mtu="$mtu" -- "$@"
