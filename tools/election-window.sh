# Sourced by demo.sh and make-docs.sh. election_window TRACE prints the
# plot options that frame the first election after the first crash (nodes
# only, from 40 ms before the new leader to 60 ms after), or nothing.
election_window() {
    win=$(awk -F'[:,]' '/"type":"crash"/ && !c { c = $2 }
        c && /"type":"role"/ && /"role":"leader"/ { print int($2 / 1000); exit }' "$1")
    [ -n "$win" ] || return 0
    n=$(sed -n 's/.*"nodes":\([0-9]*\).*/\1/p' "$1" | head -1)
    echo "--nodes $(seq -s, 1 "$n") --from $((win - 40)) --to $((win + 60))"
}
