#!/bin/sh
# make mutate: the mutation test (MUTANTS=NAME for one; MUTATE_SEEDS=N). Each tests/mutants/*.patch (first line:
# "# what the mutation does") is applied to a scratch copy of the tree,
# built, and attacked: the Raft tests, explore with the paired scenarios'
# nemesis and --check (the history check). A patch of another family names
# its own attacks in "# attack: EXPLORE-ARGS" lines (run with --check and
# --max-events 5000000) and its tests in "# test: tests/X.t" lines, which
# replace the Raft ones. A mutant is killed when anything fails; the score
# and the survivors are printed. Survivors must be explained in
# docs/explore.md.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d /tmp/clustersim-mutate.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
seeds=${MUTATE_SEEDS:-300}
killed=0; total=0; survivors=""
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
        if [ $? -ne 0 ]; then how="clustersim $cmd: $(grep -m1 '^seed' out | cut -c1-120)"; break; fi
    done <<EOF_ATTACKS
$attacks
EOF_ATTACKS
    # kv.c is the history checker's model too, so its semantics are also
    # asserted directly
    if [ -z "$how" ]; then
        ./clustersim run tests/lua/kv_cas.lua > out 2>&1 || how="tests/lua/kv_cas.lua: $(grep -m1 assertion out | cut -c1-100)"
    fi
    for t in ${tests:-tests/raft.t}; do
        [ -n "$how" ] && break
        CLUSTERSIM=$PWD/clustersim prove "$t" > out 2>&1 || how="$t"
    done
    cd "$top"
    if [ -n "$how" ]; then
        killed=$((killed + 1))
        echo "mutant $name: killed by $how"
    else
        echo "mutant $name: SURVIVED ($desc)"
        survivors="$survivors $name"
    fi
done
echo "mutation score: $killed of $total killed${survivors:+; survivors:$survivors}"
[ "$killed" -eq "$total" ]
