#!/bin/sh
# The bug catalogue is a test. For every seeded bug of every algorithm
# (`clustersim bugs --json`: name, scenario, seeds), explore must find a
# violation on the bug's paired scenario within its stated seed budget, and
# the same sweep without the bug must find none. The table comes from the
# binary, so a bug added later is covered as soon as it names its scenario
# and budget. Lua-written algorithms carry their bug in the code; they are
# paired by hand below (broken file : correct file : seeds).
. "$(dirname "$0")/lib.sh"
E="$CLUSTERSIM explore"
# A seed that runs away (a bug can make a message storm) stops, not the test.
CAP="--max-events 2000000 --jobs 2"

"$CLUSTERSIM" bugs --json > "$TMP/bugs.json"
ok $? "clustersim bugs --json"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
    print join(" ", $_->{name}, $_->{scenario} // "-", $_->{seeds}), "\n" for @$j' < "$TMP/bugs.json" > "$TMP/table"
[ -s "$TMP/table" ]
ok $? "the catalogue lists bugs ($(wc -l < "$TMP/table"))"

: > "$TMP/clean"
while read -r name scenario seeds; do
    if [ "$scenario" = "-" ] || [ "$seeds" -lt 1 ] || [ "$seeds" -gt 500 ]; then
        ok 1 "$name names its scenario and a budget of 1..500 seeds (got '$scenario', $seeds)"
        continue
    fi
    $E "$scenario" --seeds "1..$seeds" --bug "$name" $CAP > "$TMP/out" 2>&1
    code=$?
    found=$(sed -n 's/.*seeds, [0-9]* passed, \([0-9]*\) failed.*/\1/p' "$TMP/out")
    [ "$code" -eq 1 ] && [ "${found:-0}" -gt 0 ] && ! grep -q "exit 70" "$TMP/out"
    ok $? "$name: found by explore $scenario within $seeds seeds ($found seeds fail)"
    echo "$scenario $seeds" >> "$TMP/clean"
done < "$TMP/table"

# Lua-written algorithms: the broken one fails, the correct one passes.
for pair in scenarios/lua/broken_paxos.lua:scenarios/lua/paxos_single.lua:200; do
    broken=${pair%%:*}; rest=${pair#*:}; good=${rest%%:*}; seeds=${rest#*:}
    $E "$broken" --seeds "1..$seeds" $CAP > "$TMP/out" 2>&1
    [ $? -eq 1 ]
    ok $? "$broken: its bug is found within $seeds seeds"
    echo "$good $seeds" >> "$TMP/clean"
done

# Without the bug, the same sweeps (the largest budget per scenario) pass.
sort -k1,1 -k2,2nr "$TMP/clean" | sort -u -k1,1 | while read -r scenario seeds; do
    $E "$scenario" --seeds "1..$seeds" $CAP > "$TMP/out" 2>&1
    code=$?
    [ $code -eq 0 ]
    ok $? "$scenario: $seeds seeds without a bug find nothing (exit $code)"
    [ $code -eq 0 ] || grep '^seed' "$TMP/out" | head -3 | sed 's/^/#   /'
done > "$TMP/tap"
# the loop ran in a subshell: replay its results into this shell's count
while read -r line; do
    case $line in
        "ok "*) ok 0 "${line#ok [0-9]* - }" ;;
        "not ok "*) ok 1 "${line#not ok [0-9]* - }" ;;
        *) echo "$line" ;;
    esac
done < "$TMP/tap"
done_testing
