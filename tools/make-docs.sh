#!/bin/sh
# Regenerate what the documentation quotes from the code:
#
#   tools/make-docs.sh          (`make docs`) rewrite every marked output
#                               block in README.md, docs/*.md and the man page
#                               (tools/doctest.pl --update), redraw the
#                               pictures in docs/img/ and keep the data each
#                               one is drawn from in docs/img/data/NAME/
#   tools/make-docs.sh --check  (`make docs-check`) change nothing: check the
#                               docs (tools/doctest.pl --check) and that the
#                               pictures' data regenerated from the current
#                               code equals the committed docs/img/data
#
# PNG bytes depend on the gnuplot and cairo versions, so the committed data
# files, not the images, are what --check compares. The scenarios run with
# fixed seeds, so both change only when the code does. The binary is
# $CLUSTERSIM when set, else ./clustersim (built with `make clustersim`).
set -e
cd "$(dirname "$0")/.."
mode=${1:-update}
case $mode in update|--update) mode=update ;; --check) mode=check ;;
    *) echo "usage: tools/make-docs.sh [--check]" >&2; exit 64 ;; esac
if [ -z "$CLUSTERSIM" ]; then
    make --no-print-directory -s clustersim
    CLUSTERSIM=$(pwd)/clustersim
fi
export CLUSTERSIM
C=$CLUSTERSIM

status=0
if [ $mode = update ]; then
    perl tools/doctest.pl --update || status=1
else
    perl tools/doctest.pl --check || status=1
fi

work=$(mktemp -d /tmp/clustersim-docs.XXXXXX)
trap 'rm -rf "$work"' EXIT
T=$work/traces
mkdir -p "$T"
if [ $mode = update ]; then IMG=docs/img; DATA=docs/img/data; else IMG=$work/img; DATA=$work/data; fi
mkdir -p "$IMG" "$DATA"

run() { name=$1; shift; $C run "$@" --seed 1 --trace "$T/$name.jsonl" --trace-level messages >/dev/null 2>&1 || true; }
# draw NAME PLOT-ARGS...: docs/img/NAME.png, and its data in DATA/NAME/
draw() {
    name=$1; shift
    rm -rf "${DATA:?}/$name"
    $C plot "$@" --data "$DATA/$name" -o "$IMG/$name.png" >/dev/null 2>&1 ||
        { echo "make-docs: plot $name failed: $C plot $*" >&2; status=1; }
}

run fd_partition scenarios/fd_partition.lua
draw plot-timeline-fdetect "$T/fd_partition.jsonl" --kind timeline

run raft_election scenarios/raft_election.lua
run raft_partition scenarios/raft_partition.lua
run raft_flaky scenarios/raft_flaky.lua
draw plot-timeline "$T/raft_election.jsonl" --kind timeline
. ./tools/election-window.sh
# shellcheck disable=SC2046
draw plot-messages "$T/raft_election.jsonl" --kind messages $(election_window "$T/raft_election.jsonl")
draw plot-commit "$T/raft_partition.jsonl" --kind commit
draw plot-latency "$T/raft_flaky.jsonl" --kind latency
draw plot-cdf "$T/raft_flaky.jsonl" "$T/raft_partition.jsonl" --kind cdf
draw plot-load "$T/raft_flaky.jsonl" --kind load
for s in $(seq 1 100); do
    $C run scenarios/raft_election.lua --seed "$s" --trace "$T/el-$s.jsonl" >/dev/null 2>&1 || true
done
draw plot-elections "$T"/el-*.jsonl --kind elections
for r in 12-24 150-155 150-200 150-300; do
    $C run scenarios/raft_figure16.lua -P min=${r%-*} -P max=${r#*-} --trace "$T/figure16-$r.jsonl" >/dev/null 2>&1 || true
done
draw plot-figure16 "$T/figure16-150-155.jsonl" "$T/figure16-150-200.jsonl" "$T/figure16-150-300.jsonl" \
    "$T/figure16-12-24.jsonl" --kind elections --title "Raft Figure 16: election time by timeout range"

# Load balancing: trace level state (queue notes), short runs so the data stays small.
for p in round_robin least_connections peak_ewma; do
    $C run scenarios/lb_compare.lua -P policy=$p -P seconds=10 --seed 1 --trace "$T/lb-$p.jsonl" >/dev/null 2>&1 || true
done
draw plot-lb-cdf "$T/lb-round_robin.jsonl" "$T/lb-least_connections.jsonl" "$T/lb-peak_ewma.jsonl" --kind cdf
$C run scenarios/lb_stale.lua -P seconds=3 --seed 1 --trace "$T/lb-stale.jsonl" >/dev/null 2>&1 || true
draw plot-lb-queues "$T/lb-stale.jsonl" --kind queues --from 2000 --to 2400 --nodes 1-20

# The data files name the traces they were drawn from: keep the names, not
# the scratch directory, so the data does not change from run to run.
find "$DATA" -type f -name '*.tsv' -exec sed -i "s|$T/||g" {} +

if [ $mode = check ]; then
    if diff -ru docs/img/data "$DATA" >"$work/diff"; then
        echo "make-docs: the pictures' data in docs/img/data is current"
    else
        cat "$work/diff"
        echo "make-docs: the pictures' data differs from docs/img/data: run 'make docs' and commit docs/img" >&2
        status=1
    fi
else
    ls -1 docs/img/*.png
fi
exit $status
