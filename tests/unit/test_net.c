/* Unit tests for sim/net.c: link parameters, partitions and one-way blocks.
 * The engine asks net_link for a message's latency and loss, and net_blocked
 * at send and again at delivery; these tests pin down those two answers. */
#include "sim/net.h"
#include "tests/unit/tap.h"

#define N 6

static int blocked_pairs(const struct net *n, enum drop_reason want, int from, int to)
{
    int count = 0;
    for (int a = from; a <= to; a++)
        for (int b = from; b <= to; b++)
            if (a != b && net_blocked(n, a, b) == want)
                count++;
    return count;
}

static void test_links(void)
{
    struct net n;
    net_init(&n);
    net_resize(&n, N);
    struct link_params tmp;
    const struct link_params *lp = net_link(&n, 1, 2, &tmp);
    ok(lp->latency.kind == DIST_CONST && lp->latency.a == 1.0 && lp->loss == 0 && lp->duplicate == 0 &&
       lp->fifo == 0, "defaults: const 1 ms, no loss, no duplicates, not fifo");

    n.defaults.latency = (struct dist){ DIST_UNIFORM, 5, 15 };
    n.defaults.loss = 0.01;
    n.defaults.duplicate = 0.02;
    struct link_override o = { LINK_LATENCY | LINK_LOSS, { { DIST_CONST, 80, 0 }, 0.5, 0.9, 1 } };
    net_set_link(&n, 1, 2, &o);
    lp = net_link(&n, 1, 2, &tmp);
    ok(lp->latency.kind == DIST_CONST && lp->latency.a == 80 && lp->loss == 0.5,
       "override: masked latency and loss apply");
    ok(lp->duplicate == 0.02 && lp->fifo == 0, "override: unmasked duplicate and fifo stay the defaults");
    lp = net_link(&n, 2, 1, &tmp);
    ok(lp->latency.kind == DIST_UNIFORM && lp->loss == 0.01, "the reverse direction keeps the defaults");
    lp = net_link(&n, 1, 3, &tmp);
    ok(lp->latency.kind == DIST_UNIFORM && lp->latency.b == 15, "other links keep the defaults");

    /* Unmasked fields follow later changes of the defaults. */
    n.defaults.duplicate = 0.3;
    lp = net_link(&n, 1, 2, &tmp);
    ok(lp->duplicate == 0.3 && lp->latency.a == 80, "unmasked fields track the defaults, masked ones do not");

    /* A second override of the same link adds to the first. */
    struct link_override f = { LINK_FIFO, { { DIST_CONST, 999, 0 }, 0.99, 0.99, 1 } };
    net_set_link(&n, 1, 2, &f);
    lp = net_link(&n, 1, 2, &tmp);
    ok(lp->fifo == 1 && lp->latency.a == 80 && lp->loss == 0.5 && lp->duplicate == 0.3,
       "a second override merges: fifo added, latency and loss kept");
    struct link_override l2 = { LINK_LATENCY, { { DIST_CONST, 20, 0 }, 0, 0, 0 } };
    net_set_link(&n, 1, 2, &l2);
    lp = net_link(&n, 1, 2, &tmp);
    ok(lp->latency.a == 20 && lp->loss == 0.5 && lp->fifo == 1, "re-overriding a field replaces just it");

    /* Client endpoints have links too. */
    struct link_override c = { LINK_LOSS, { { DIST_CONST, 0, 0 }, 1.0, 0, 0 } };
    net_set_link(&n, -1, 3, &c);
    lp = net_link(&n, -1, 3, &tmp);
    ok(lp->loss == 1.0 && lp->latency.kind == DIST_UNIFORM, "client -> node override");
    lp = net_link(&n, 3, -1, &tmp);
    ok(lp->loss == 0.01, "node -> client keeps the default");

    /* Many overrides: each answers for its own link. */
    int good = 1;
    for (int a = 1; a <= 40; a++)
        for (int b = 1; b <= 40; b++) {
            struct link_override x = { LINK_LATENCY, { { DIST_CONST, a * 100 + b, 0 }, 0, 0, 0 } };
            if (a != 1 || b != 2)
                net_set_link(&n, a, b, &x);
        }
    for (int a = 1; a <= 40; a++)
        for (int b = 1; b <= 40; b++) {
            lp = net_link(&n, a, b, &tmp);
            if (a == 1 && b == 2 ? lp->latency.a != 20 : lp->latency.a != a * 100 + b)
                good = 0;
        }
    ok(good, "1600 per-link overrides each keep their own value");
    net_close(&n);
}

static void test_partition(void)
{
    struct net n;
    net_init(&n);
    net_resize(&n, N);
    is_int(blocked_pairs(&n, DROP_NONE, 1, N), N * (N - 1), "no partition: every link open");

    const int g1[] = { 1, 2 }, g2[] = { 3, 4, 5 };
    const int *groups[] = { g1, g2 };
    const int counts[] = { 2, 3 };
    net_partition(&n, 2, groups, counts);
    is_int(net_blocked(&n, 1, 3), DROP_PARTITION, "1 -> 3 crosses the partition");
    is_int(net_blocked(&n, 3, 1), DROP_PARTITION, "3 -> 1 crosses the partition (both directions)");
    is_int(net_blocked(&n, 2, 5), DROP_PARTITION, "2 -> 5 crosses the partition");
    is_int(net_blocked(&n, 1, 2), DROP_NONE, "1 -> 2 within a group");
    is_int(net_blocked(&n, 4, 3), DROP_NONE, "4 -> 3 within a group");
    int six = 1;
    for (int i = 1; i <= 5; i++)
        six &= net_blocked(&n, 6, i) == DROP_NONE && net_blocked(&n, i, 6) == DROP_NONE;
    ok(six, "node 6, in no group, reaches and is reached by everyone");
    is_int(blocked_pairs(&n, DROP_PARTITION, 1, N), 2 * 2 * 3, "exactly the 12 cross-group directed links are cut");
    int clients = 1;
    for (int c = -1; c >= -3; c--)
        for (int i = 1; i <= N; i++)
            clients &= net_blocked(&n, c, i) == DROP_NONE && net_blocked(&n, i, c) == DROP_NONE;
    ok(clients, "client endpoints are never partitioned");

    net_heal(&n);
    is_int(blocked_pairs(&n, DROP_NONE, 1, N), N * (N - 1), "heal reconnects every link");

    /* A new partition replaces the previous one: nodes it does not list are
     * connected to everyone, whatever group they were in before. */
    const int h1[] = { 1 }, h2[] = { 2 };
    const int *first[] = { h1, h2 };
    const int c1[] = { 1, 1 };
    net_partition(&n, 2, first, c1);
    is_int(net_blocked(&n, 1, 2), DROP_PARTITION, "partition {1} | {2}");
    const int k1[] = { 3 }, k2[] = { 4, 5 };
    const int *second[] = { k1, k2 };
    const int c2[] = { 1, 2 };
    net_partition(&n, 2, second, c2);
    is_int(net_blocked(&n, 3, 4), DROP_PARTITION, "then partition {3} | {4, 5}: 3 -> 4 cut");
    is_int(net_blocked(&n, 1, 2), DROP_NONE, "  1 -> 2 open again: 1 and 2 are not listed any more");
    is_int(net_blocked(&n, 1, 4), DROP_NONE, "  1 -> 4 open: unlisted nodes stay connected");
    net_heal(&n);

    /* Out-of-range ids in a group are ignored rather than written past the table. */
    const int bad[] = { 0, -1, N + 5, 2 };
    const int *bg[] = { bad, g2 };
    const int bc[] = { 4, 3 };
    net_partition(&n, 2, bg, bc);
    is_int(net_blocked(&n, 2, 3), DROP_PARTITION, "valid ids of a group with invalid ones still partition");
    net_close(&n);
}

static void test_block(void)
{
    struct net n;
    net_init(&n);
    net_resize(&n, N);
    net_block(&n, 1, 2);
    is_int(net_blocked(&n, 1, 2), DROP_BLOCKED, "block 1 -> 2");
    is_int(net_blocked(&n, 2, 1), DROP_NONE, "2 -> 1 still open (one way)");
    is_int(blocked_pairs(&n, DROP_BLOCKED, 1, N), 1, "one block cuts one directed link");
    net_block(&n, -2, 3);
    is_int(net_blocked(&n, -2, 3), DROP_BLOCKED, "a client -> node link can be blocked");
    is_int(net_blocked(&n, 3, -2), DROP_NONE, "  node -> client still open");
    is_int(net_blocked(&n, -1, 3), DROP_NONE, "  other clients unaffected");

    const int g1[] = { 1 }, g2[] = { 2 };
    const int *groups[] = { g1, g2 };
    const int counts[] = { 1, 1 };
    net_partition(&n, 2, groups, counts);
    is_int(net_blocked(&n, 1, 2), DROP_PARTITION, "partition wins over block as the reason");
    net_heal(&n);
    is_int(net_blocked(&n, 1, 2), DROP_NONE, "heal clears blocks");
    is_int(net_blocked(&n, -2, 3), DROP_NONE, "heal clears client blocks");
    is_int(blocked_pairs(&n, DROP_NONE, 1, N), N * (N - 1), "after heal every link is open");

    /* Growing the cluster keeps existing state and adds connected nodes. */
    net_partition(&n, 2, groups, counts);
    net_resize(&n, N + 4);
    is_int(net_blocked(&n, 1, 2), DROP_PARTITION, "resize keeps the partition");
    is_int(net_blocked(&n, N + 3, 1), DROP_NONE, "a node added later is in no group");
    net_close(&n);

    is_str(drop_reason_name(DROP_PARTITION), "partition", "drop reason names: partition");
    is_str(drop_reason_name(DROP_CRASHED), "crashed", "drop reason names: crashed");
    is_str(drop_reason_name(DROP_BLOCKED), "blocked", "drop reason names: blocked");
    is_str(drop_reason_name(DROP_LOSS), "loss", "drop reason names: loss");
    is_str(drop_reason_name(DROP_REMOVED), "removed", "drop reason names: removed");
}

int main(void)
{
    test_links();
    test_partition();
    test_block();
    return done_testing();
}
