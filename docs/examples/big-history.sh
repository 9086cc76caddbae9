#!/bin/sh
# A hand-made trace of one key whose check needs a large memo table:
# 1500 writes of client 1, each followed by a read of client 2 that
# returns it (docs/plots.md, check: --memory). Writes out/big.jsonl.
mkdir -p out
awk 'BEGIN {
    print "{\"type\":\"header\",\"schema\":1,\"scenario\":\"big-history (hand-made)\",\"seed\":\"1\",\"nodes\":3}"
    t = 0
    for (i = 1; i <= 1500; i++) {
        printf "{\"t\":%d,\"type\":\"invoke\",\"client\":1,\"seq\":%d,\"op\":\"put\",\"key\":\"x\",\"value\":\"%d\"}\n", t++, 2*i, i
        printf "{\"t\":%d,\"type\":\"complete\",\"client\":1,\"seq\":%d,\"op\":\"put\",\"status\":\"ok\"}\n", t++, 2*i
        printf "{\"t\":%d,\"type\":\"invoke\",\"client\":2,\"seq\":%d,\"op\":\"get\",\"key\":\"x\"}\n", t++, i
        printf "{\"t\":%d,\"type\":\"complete\",\"client\":2,\"seq\":%d,\"op\":\"get\",\"status\":\"ok\",\"value\":\"%d\"}\n", t++, i, i
    }
    printf "{\"type\":\"end\",\"status\":\"ok\",\"t\":%d}\n", t
}' > out/big.jsonl
