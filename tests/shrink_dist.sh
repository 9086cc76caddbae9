#!/bin/sh
# How far the shrinker gets: shrink the first N failing seeds of BUG on
# scenarios/explore_raft.lua (found by a sweep over 1..LAST) and print one
# line per seed, then the distribution of kept faults. Two shrinks at a time.
# usage: tests/shrink_dist.sh BUG N [LAST] [CLUSTERSIM]
set -e
bug=$1; n=$2; last=${3:-2000}; cs=${4:-./clustersim}
S=scenarios/explore_raft.lua
dir=$(mktemp -d "${TMPDIR:-/tmp}/shrink-dist.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$cs" explore $S --seeds 1..$last --jobs 2 --no-check --bug "$bug" --json - 2>/dev/null |
    perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); print "$_->{seed}\n" for @{$j->{failures}}' |
    head -n "$n" > "$dir/seeds" || true
xargs -P 2 -I{} sh -c "'$cs' shrink $S --seed {} --bug '$bug' --shrink-out '$dir' --json '$dir/{}.json' >/dev/null 2>&1; :" < "$dir/seeds"
while read -r s; do
    perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my $r = $j->{shrunk}[0];
        printf "seed %s: %s, %s of %d operations, %d runs%s\n", $r->{seed},
            $r->{redrawn} ? "$r->{kept} re-drawn faults (ddmin kept $r->{drawn_kept} of $r->{faults})" : "$r->{kept} of $r->{faults} faults",
            $r->{ops_kept} // "-", $r->{ops} < 0 ? 0 : $r->{ops}, $r->{runs}, $r->{scenario} ? "" : " (no standalone scenario)"' < "$dir/$s.json"
done < "$dir/seeds" > "$dir/lines"
cat "$dir/lines"
perl -e 'my (%k, $n, $small); while (<>) { /: (\d+) (?:of|re-drawn)/ or next; $k{$1}++; $n++; $small++ if $1 <= 5 }
    printf "%s: %d of %d seeds keep <= 5 faults; kept: %s\n", $ARGV[0] // "", $small, $n,
        join(", ", map { "$_ ($k{$_})" } sort { $a <=> $b } keys %k)' "$dir/lines" | sed "s/^[^:]*:/$bug:/"
