#!/bin/sh
# Regenerate the pictures in docs/img/ from the shipped scenarios (fixed
# seeds, so the images only change when the code does). `make docs` runs it.
set -e
cd "$(dirname "$0")/.."
make --no-print-directory -s clustersim
mkdir -p docs/img out/docs
C=./clustersim
run() { name=$1; shift; $C run "$@" --seed 1 --trace "out/docs/$name.jsonl" --trace-level messages >/dev/null 2>&1 || true; }

run fd_partition scenarios/fd_partition.lua
$C plot out/docs/fd_partition.jsonl --kind timeline -o docs/img/plot-timeline-fdetect.png

if [ -f scenarios/raft_election.lua ]; then
    run raft_election scenarios/raft_election.lua
    run raft_partition scenarios/raft_partition.lua
    run raft_flaky scenarios/raft_flaky.lua
    $C plot out/docs/raft_election.jsonl --kind timeline -o docs/img/plot-timeline.png
    . ./tools/election-window.sh
    $C plot out/docs/raft_election.jsonl --kind messages $(election_window out/docs/raft_election.jsonl) \
        -o docs/img/plot-messages.png
    $C plot out/docs/raft_partition.jsonl --kind commit -o docs/img/plot-commit.png
    $C plot out/docs/raft_flaky.jsonl --kind latency -o docs/img/plot-latency.png
    $C plot out/docs/raft_flaky.jsonl out/docs/raft_partition.jsonl --kind cdf -o docs/img/plot-cdf.png
    $C plot out/docs/raft_flaky.jsonl --kind load -o docs/img/plot-load.png
    for s in $(seq 1 100); do
        $C run scenarios/raft_election.lua --seed $s --trace "out/docs/el-$s.jsonl" >/dev/null 2>&1 || true
    done
    $C plot out/docs/el-*.jsonl --kind elections -o docs/img/plot-elections.png
fi
if [ -f scenarios/raft_figure16.lua ]; then
    for r in 12-24 150-155 150-200 150-300; do
        $C run scenarios/raft_figure16.lua -P min=${r%-*} -P max=${r#*-} --trace "out/docs/figure16-$r.jsonl" >/dev/null 2>&1 || true
    done
    $C plot out/docs/figure16-150-155.jsonl out/docs/figure16-150-200.jsonl out/docs/figure16-150-300.jsonl \
        out/docs/figure16-12-24.jsonl --kind elections --title "Raft Figure 16: election time by timeout range" \
        -o docs/img/plot-figure16.png
fi
ls -1 docs/img/
