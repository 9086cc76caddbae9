#!/bin/sh
# The main demo: install what is missing (as root; otherwise print the
# command), build, run a scenario, write its trace and a timeline plot, and
# say where they are.
set -e
cd "$(dirname "$0")/.."
./tools/deps.sh
make --no-print-directory -s clustersim
mkdir -p out
SCENARIO=${SCENARIO:-scenarios/raft_election.lua}
[ -f "$SCENARIO" ] || SCENARIO=scenarios/fd_partition.lua
name=$(basename "$SCENARIO" .lua)
echo "demo: running $SCENARIO (seed 1)"
./clustersim run "$SCENARIO" --seed 1 --trace "out/$name.jsonl" --trace-level messages
./clustersim plot "out/$name.jsonl" --kind timeline -o "out/$name-timeline.png"
# The messages plot frames the election after the crash, when there is one.
. ./tools/election-window.sh
./clustersim plot "out/$name.jsonl" --kind messages $(election_window "out/$name.jsonl") -o "out/$name-messages.png"
echo
echo "demo: trace    out/$name.jsonl ($(wc -l < "out/$name.jsonl") records; see docs/trace.md)"
echo "demo: timeline out/$name-timeline.png"
echo "demo: messages out/$name-messages.png"
echo "demo: try      ./clustersim run $SCENARIO --seed 2   or   ./clustersim explore $SCENARIO --seeds 1..200 --jobs 2"
