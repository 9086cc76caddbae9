#!/bin/sh
# make mutate: the mutation test (MUTANTS=NAME for one; MUTATE_SEEDS=N). Each tests/mutants/*.patch (first line:
# "# what the mutation does") is applied to a scratch copy of the tree,
# built, and attacked: the Raft tests, explore with the paired scenarios'
# nemesis and --check (the history check). A patch of another family names
# its own attacks in "# attack: EXPLORE-ARGS" lines (run with --check and
# --max-events 5000000) and its tests in "# test: tests/X.t" lines, which
# replace the Raft ones. A mutant is killed when anything fails; the score
# and the survivors are printed.
#
# Each patch also says what kills it, in a "# killed-by: WHAT" line, in the
# words this script prints: "explore SCENARIO: INVARIANT" (or ": its
# assertion", ": exit N"), a test file, or "survives" (then docs/explore.md
# says why). A run that finds another killer says so and fails: the claim,
# and the table built from it, would be wrong. (With MUTATE_SEEDS other than
# the default the claims are not compared: other seeds may kill otherwise.)
#
#   tools/mutate.sh --table   prints docs/explore.md's mutant table, and the
#                             score, from the patches' lines (tests/mutants.t
#                             compares the two)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--table" ]; then
    echo "| mutant | what it does | killed by |"
    echo "|---|---|---|"
    killed=0; total=0
    for p in "$top"/tests/mutants/*.patch; do
        by=$(sed -n 's/^# killed-by: //p' "$p")
        total=$((total + 1))
        [ -n "$by" ] && [ "$by" != survives ] && killed=$((killed + 1))
        echo "| \`$(basename "$p" .patch)\` | $(sed -n '1s/^# //p' "$p") | ${by:-(no killed-by line)} |"
    done
    echo
    echo "Mutation score: **$killed of $total killed**."
    exit 0
fi
scratch=$(mktemp -d /tmp/clustersim-mutate.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
seeds=${MUTATE_SEEDS:-300}
killed=0; total=0; survivors=""; wrong=""; detail=""
for p in "$top"/tests/mutants/${MUTANTS:-*}.patch; do
    name=$(basename "$p" .patch)
    desc=$(sed -n '1s/^# //p' "$p")
    total=$((total + 1))
    rm -rf "$scratch/src"; mkdir "$scratch/src"
    (cd "$top" && git ls-files -z | xargs -0 cp --parents -t "$scratch/src")
    if ! (cd "$scratch/src" && patch -p1 -s < "$p" >/dev/null 2>&1); then
        echo "mutant $name: the patch does not apply (regenerate it against the current source)"
        survivors="$survivors $name(stale)"
        continue
    fi
    if ! make -C "$scratch/src" -s -j2 clustersim >/dev/null 2>&1; then
        echo "mutant $name: does not build"
        survivors="$survivors $name(nobuild)"
        continue
    fi
    how=""
    cd "$scratch/src"
    attacks=$(sed -n 's/^# attack: \(.*\)$/\1 --check --max-events 5000000/p' "$p")
    tests=$(sed -n 's/^# test: //p' "$p")
    if [ -z "$attacks" ]; then
        attacks="explore scenarios/explore_raft.lua --seeds 1..$seeds --jobs 2 --check --max-events 2000000
explore scenarios/raft_flaky.lua --seeds 1..40 --jobs 2 --check --max-events 5000000
explore scenarios/explore_raft.lua --seeds 1..$seeds --jobs 2 --check -P read_index=true --max-events 2000000
explore scenarios/explore_raft.lua --seeds 1..$seeds --jobs 2 --check -P reads=heavy --max-events 2000000"
    fi
    while IFS= read -r cmd; do
        # shellcheck disable=SC2086
        ./clustersim $cmd > out 2>&1
        if [ $? -ne 0 ]; then
            line=$(grep -m1 '^seed' out)
            scen=$(echo "$cmd" | awk '{ print $2 }'); scen=${scen#scenarios/}
            case "$line" in
            *"invariant violated"*) what=$(echo "$line" | sed 's/.*invariant violated at t=[0-9.]* ms: \([a-z_]*\):.*/\1/') ;;
            *"assertion failed"*) what="its assertion" ;;
            *) what="exit $(echo "$line" | sed -n 's/^seed [0-9]*: exit \([0-9]*\).*/\1/p')" ;;
            esac
            how="explore $scen: $what"
            detail="clustersim $cmd: $(echo "$line" | cut -c1-120)"
            break
        fi
    done <<EOF_ATTACKS
$attacks
EOF_ATTACKS
    # kv.c is the history checker's model too, so its semantics are also
    # asserted directly
    if [ -z "$how" ]; then
        ./clustersim run tests/lua/kv_cas.lua > out 2>&1 || { how="tests/lua/kv_cas.lua"; detail=$(grep -m1 assertion out | cut -c1-100); }
    fi
    for t in ${tests:-tests/raft.t}; do
        [ -n "$how" ] && break
        CLUSTERSIM=$PWD/clustersim prove "$t" > out 2>&1 || { how="$t"; detail=$(grep -m1 '^not ok' out); }
    done
    cd "$top"
    claim=$(sed -n 's/^# killed-by: //p' "$p")
    if [ -n "$how" ]; then
        killed=$((killed + 1))
        echo "mutant $name: killed by $how"
        echo "    $detail"
    else
        echo "mutant $name: SURVIVED ($desc)"
        survivors="$survivors $name"
    fi
    if [ -z "${MUTATE_SEEDS:-}" ] && [ "${how:-survives}" != "$claim" ]; then
        echo "    but the patch says killed-by: ${claim:-(nothing)}: correct its line, and the table (tools/mutate.sh --table)"
        wrong="$wrong $name"
    fi
    detail=""
done
echo "mutation score: $killed of $total killed${survivors:+; survivors:$survivors}"
[ -z "$wrong" ] || echo "killed-by lines that are wrong:$wrong"
[ "$killed" -eq "$total" ] && [ -z "$wrong" ]
