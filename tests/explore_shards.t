#!/bin/sh
# Sweeps spread over machines: two shards run through GNU parallel (here on
# this machine, as docs/explore.md's recipe runs them over ssh hosts), then
# `clustersim merge` makes one summary of them that equals the sweep run
# unsharded: counts, failures sorted by seed, coverage, metric percentiles.
. "$(dirname "$0")/lib.sh"
if ! command -v parallel >/dev/null 2>&1; then
    echo "1..0 # SKIP GNU parallel is not installed (tools/deps.sh installs it)"
    exit 0
fi
S=scenarios/explore_raft.lua
ARGS="--seeds 1..60 --bug raft.stale_leader_read"
"$CLUSTERSIM" explore $S $ARGS --json "$TMP/all.json" > /dev/null 2>&1
[ $? -eq 1 ]
ok $? "the unsharded sweep finds failures"
parallel --will-cite -j 2 "$CLUSTERSIM" explore $S $ARGS --shard {}/2 --json "$TMP/shard-{}.json" '>' /dev/null ::: 1 2
[ -s "$TMP/shard-1.json" ] && [ -s "$TMP/shard-2.json" ]
ok $? "GNU parallel ran both shards"
expect_exit 1 "merge the shards (exit 1: some seeds failed)" -- "$CLUSTERSIM" merge "$TMP/shard-1.json" "$TMP/shard-2.json" -o "$TMP/merged.json"
expect_err "^merge $S: 60 seeds, [0-9]+ passed, [0-9]+ failed" "merge prints the summary line"
perl -MJSON::PP -e 'my $c = JSON::PP->new->canonical; local $/;
    open my $a, "<", $ARGV[0] or exit 2; open my $b, "<", $ARGV[1] or exit 2;
    exit !($c->encode(decode_json(<$a>)) eq $c->encode(decode_json(<$b>)))' "$TMP/all.json" "$TMP/merged.json"
ok $? "merge of the shards equals the unsharded sweep"
expect_exit 66 "merge a missing file" -- "$CLUSTERSIM" merge "$TMP/nowhere.json"
echo '{"x":1}' > "$TMP/bad.json"
expect_exit 65 "merge a file that is not explore output" -- "$CLUSTERSIM" merge "$TMP/bad.json"
expect_err "is not the --json output of one clustersim explore sweep" "says what it expected"
"$CLUSTERSIM" explore scenarios/explore_paxos.lua --seeds 1..3 --json "$TMP/p.json" > /dev/null 2>&1
expect_exit 65 "merge results of two scenarios" -- "$CLUSTERSIM" merge "$TMP/shard-1.json" "$TMP/p.json"
done_testing
