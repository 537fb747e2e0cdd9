#!/bin/bash
# Baseline "floor+bridge": the kernel's own cost of a network namespace
# with one bridge up in it (every instance makes bridges), and nothing
# else: unshare -Urn, then `ip link add` of a bridge
# and `ip link set up`, then the command.
#   floor-bridge.sh [CMD [ARG...]]        (CMD defaults to true)
[ $# -gt 0 ] || set -- true
exec unshare --user --map-root-user --net -- sh -c \
	'ip link add br0 type bridge && ip link set br0 up && exec "$@"' sh "$@"
