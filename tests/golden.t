#!/bin/sh
# Golden traces: two fixed runs must produce exactly these bytes, on this
# machine, in CI, and on the next release. A change to the engine, an
# algorithm or the trace writer that changes a single byte shows up here.
# When the change is intended, say so in the commit and update the hashes:
#   ./clustersim run scenarios/NAME.lua --seed 7 --trace - --trace-level messages 2>/dev/null | sha256sum
. "$(dirname "$0")/lib.sh"
golden() {   # golden SCENARIO HASH
    got=$("$CLUSTERSIM" run "scenarios/$1.lua" --seed 7 --trace - --trace-level messages 2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$got" = "$2" ]
    ok $? "$1 seed 7: golden trace ($got)"
}
golden fd_jitter  cd892debc32122d48d0155605de323b0962dfac2ddd632260788cc98ecd3366e
golden raft_flaky d78a5edce59868256ada7eeeec89f84314ea10110147ee17fea91188d1b1a84d
done_testing
