#!/bin/bash
# Baseline "floor": the namespaces hckns creates, and nothing else.
#   floor.sh [CMD [ARG...]]        (CMD defaults to true)
# bench.sh times the unshare(1) command line below directly, without this
# script's own bash, so that the floor carries no interpreter start-up.
[ $# -gt 0 ] || set -- true
exec unshare --user --map-root-user --net --mount -- "$@"
