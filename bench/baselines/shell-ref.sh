#!/bin/bash
# Baseline "shell reference": the default topology of doc/design.md the way a
# careful user would script it with standard tools: bash, unshare(1), one
# `ip -batch`, a bind mount for resolv.conf, and slirp4netns (ready fd,
# killed and reaped at the end).  No polling, no sleeps.
#
#   shell-ref.sh [--status-fd N] [--mtu N] [--host-loopback] [--persistent-tap]
#                [CMD [ARG...]]
#
# CMD (default: true) runs as root of the namespaces.  --status-fd N gets
# {"event":"ready"} once the network is configured, just before CMD starts.
# --persistent-tap: an experiment, not the reference: tap_host is created
# inside as a persistent tap (ip tuntap) before slirp4netns attaches to it,
# so that slirp4netns's exit does not unregister it.
set -eu
status_fd= mtu=1500 loopback=--disable-host-loopback ptap=:
while [ $# -gt 0 ]; do
	case $1 in
	--status-fd) status_fd=$2; shift 2 ;;
	--mtu) mtu=$2; shift 2 ;;
	--host-loopback) loopback=; shift ;;
	--persistent-tap) ptap="ip tuntap add dev tap_host mode tap"; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- true

rt=$(mktemp -d "${TMPDIR:-/tmp}/shell-ref.XXXXXX")
trap 'rm -rf "$rt"' EXIT
printf 'nameserver 10.0.2.3\n' >"$rt/resolv.conf"

# Inside: say the namespaces exist, wait for slirp4netns's ready byte (it
# writes it straight into our standard input), build the network, run CMD.
# unshare --mount makes every mount private already (--propagation private).
exec 8>&1				# CMD's standard output, kept from ours
coproc NS {
	export SR_RT=$rt SR_MTU=$mtu SR_STATUS=$status_fd SR_PTAP=$ptap
	exec unshare --user --map-root-user --net --mount -- bash -c '
		set -e
		eval "$SR_PTAP"
		echo
		read -r -n1 _		# slirp4netns is ready: tap_host exists
		ip -batch - <<-EOB
			link set lo up
			link add br_world type bridge
			link set br_world mtu $SR_MTU
			addr add 10.0.2.100/24 dev br_world
			link set br_world up
			link add br_ctrl type bridge
			addr add 192.168.100.100/24 dev br_ctrl
			link set br_ctrl up
			link add br_test type bridge
			link set br_test up
			link add br_debug type bridge
			link set br_debug up
			link set tap_host mtu $SR_MTU master br_world up
			route add default via 10.0.2.2 dev br_world
		EOB
		for f in /proc/sys/net/bridge/bridge-nf-call-arptables \
			 /proc/sys/net/bridge/bridge-nf-call-iptables \
			 /proc/sys/net/bridge/bridge-nf-call-ip6tables; do
			[ ! -e "$f" ] || echo 0 >"$f"
		done
		mount --bind "$SR_RT/resolv.conf" /etc/resolv.conf
		[ -z "$SR_STATUS" ] || echo "{\"event\":\"ready\"}" >&"$SR_STATUS"
		unset SR_RT SR_MTU SR_STATUS SR_PTAP
		exec "$@" </dev/null >&8 8>&-' shell-ref "$@"
}
read -r -u "${NS[0]}" _			# the namespaces exist
# A new open of the coprocess's input pipe, which slirp4netns can inherit.
ns_in=${NS[1]}
exec 7>"/proc/self/fd/$ns_in" {ns_in}>&-
slirp4netns --ready-fd=3 --mtu "$mtu" $loopback "$NS_PID" tap_host \
	3>&7 >/dev/null 2>&1 &
slirp=$!
exec 7>&- 8>&-
rc=0
wait "$NS_PID" || rc=$?
kill "$slirp" 2>/dev/null || true
wait "$slirp" || true
exit "$rc"
