/* Unit tests for the lock, counter and queue machines (algorithms/
 * machine_lock.c, machine_counter.c, machine_queue.c): their operations,
 * the lock's expiry proposals, session dedup around an increment, and
 * snapshots that round-trip byte for byte; and the checker's own lease
 * model (machine_check.c's lease_owner). */
#include <stdlib.h>
#include <string.h>

#include "algorithms/machine.h"
#include "tests/unit/tap.h"

static struct request cmd(int client, uint64_t seq, const char *op, const char *key, const char *value, int64_t num)
{
    struct request r;
    memset(&r, 0, sizeof r);
    r.client = client;
    r.seq = seq;
    snprintf(r.op, sizeof r.op, "%s", op);
    snprintf(r.key, sizeof r.key, "%s", key);
    snprintf(r.value, sizeof r.value, "%s", value);
    r.num = num;
    return r;
}

static void roundtrip(struct machine *m, const char *what)
{
    struct machine copy;
    struct machine_buf a = {0}, b = {0};
    machine_save(m, &a, 1);
    machine_init(&copy, m->ops);
    ok(machine_load(&copy, a.p, a.len) == 0, "%s: the snapshot loads", what);
    machine_save(&copy, &b, 1);
    ok(a.len == b.len && memcmp(a.p, b.p, a.len) == 0, "%s: saving the copy gives the same bytes", what);
    ok(machine_load(&copy, a.p, a.len - 1) == -1, "%s: a truncated snapshot is refused", what);
    machine_buf_free(&a);
    machine_buf_free(&b);
    machine_free(&copy);
}

static void test_counter(void)
{
    struct machine m;
    struct result res;
    machine_init(&m, &machine_counter);
    struct request q = cmd(1, 1, "incr", "n", "", 5);
    machine_apply(&m, &q, 1, &res);
    is_int(res.num, 5, "incr by 5 gives 5");
    machine_apply(&m, &q, 2, &res);
    is_int(res.num, 5, "its retry (same seq) is answered with the first result");
    q = cmd(2, 1, "incr", "n", "", 0);
    machine_apply(&m, &q, 3, &res);
    is_int(res.num, 6, "incr without num adds 1");
    struct request r = cmd(0, 0, "read", "n", "", 0);
    machine_query(&m, &r, &res);
    is_int(res.num, 6, "read gives the value");
    is_str(res.value, "6", "also as text");
    r = cmd(0, 0, "read", "other", "", 0);
    machine_query(&m, &r, &res);
    is_int(res.num, 0, "a key never incremented reads 0");
    is_int(machine_kind(&m, "read"), MACHINE_OP_READ, "read is read-only");
    is_int(machine_kind(&m, "incr"), MACHINE_OP_UPDATE, "incr is an update");
    roundtrip(&m, "counter");
    m.no_dedup = 1;
    q = cmd(1, 1, "incr", "n", "", 5);
    machine_apply(&m, &q, 4, &res);
    is_int(res.num, 11, "without sessions the retry counts again (raft.no_dedup)");
    machine_free(&m);
}

static void test_queue(void)
{
    struct machine m;
    struct result res;
    machine_init(&m, &machine_queue);
    for (int i = 1; i <= 20; i++) {
        char v[16];
        snprintf(v, sizeof v, "j%d", i);
        struct request q = cmd(1, (uint64_t)i, "enq", "jobs", v, 0);
        machine_apply(&m, &q, (uint64_t)i, &res);
    }
    struct request d = cmd(2, 1, "deq", "jobs", "", 0);
    machine_peek(&m, &d, &res);
    is_str(res.value, "j1", "peek shows the head");
    machine_apply(&m, &d, 21, &res);
    is_str(res.value, "j1", "deq takes the oldest");
    d.seq = 2;
    machine_apply(&m, &d, 22, &res);
    is_str(res.value, "j2", "then the next: FIFO");
    roundtrip(&m, "queue");
    for (uint64_t s = 3; s <= 20; s++) {
        d.seq = s;
        machine_apply(&m, &d, 20 + s, &res);
    }
    is_str(res.value, "j20", "the last one out is the last one in");
    d.seq = 21;
    machine_apply(&m, &d, 41, &res);
    ok(res.status == RESULT_OK && !res.found, "an empty queue answers ok with nothing");
    struct request e = cmd(0, 0, "deq", "none", "", 0);
    machine_apply(&m, &e, 42, &res);
    ok(res.status == RESULT_OK && !res.found, "so does a queue never used");
    machine_free(&m);

    struct machine_watch w;
    struct violation v;
    memset(&w, 0, sizeof w);
    struct request a = cmd(1, 1, "deq", "jobs", "", 0), b = cmd(2, 1, "deq", "jobs", "", 0);
    memset(&res, 0, sizeof res);
    res.status = RESULT_OK;
    res.found = 1;
    snprintf(res.value, sizeof res.value, "j1");
    is_int(machine_watch_reply(NULL, &w, &machine_queue, 1, &a, &res, &v), 0, "the first hand-out of j1 is fine");
    is_int(machine_watch_reply(NULL, &w, &machine_queue, 1, &a, &res, &v), 0, "a retry's answer may repeat it");
    is_int(machine_watch_reply(NULL, &w, &machine_queue, 2, &b, &res, &v), 1, "another consumer getting j1 is not");
    is_str(v.invariant, "queue_double_dequeue", "named queue_double_dequeue");
    machine_watch_free(&w);
}

static void test_lock(void)
{
    struct machine m;
    struct result res;
    machine_init(&m, &machine_lock);
    struct request a = cmd(1, 1, "acquire", "L", "c1.1", 1000);
    machine_apply(&m, &a, 7, &res);
    ok(res.status == RESULT_OK && res.num == 7, "a grant's token is its log index");
    struct request b = cmd(2, 1, "acquire", "L", "c2.1", 1000);
    machine_apply(&m, &b, 8, &res);
    ok(res.status == RESULT_FAIL && strcmp(res.error, "held") == 0 && res.num == 7, "held, by token 7");
    struct request again = cmd(1, 2, "acquire", "L", "c1.1", 1000);
    machine_apply(&m, &again, 9, &res);
    ok(res.status == RESULT_OK && res.num == 7, "the holder asking again gets its token");
    struct request rel = cmd(2, 2, "release", "L", "c2.1", 0);
    machine_apply(&m, &rel, 10, &res);
    is_str(res.error, "not holder", "only the holder releases");
    struct request h = cmd(0, 0, "holder", "L", "", 0);
    machine_query(&m, &h, &res);
    ok(res.found && strcmp(res.value, "c1.1") == 0, "holder names the owner");
    roundtrip(&m, "lock");

    /* Expiry on the leader's clock, ordered by the log. */
    struct request out[4];
    is_int(machine_propose(&m, SIM_MS(100), out, 4), 0, "a lease first seen at 100 ms");
    is_int(machine_propose(&m, SIM_MS(1099), out, 4), 0, "is not expired before its TTL");
    is_int(machine_propose(&m, SIM_MS(1100), out, 4), 1, "then the leader proposes its expiry");
    ok(strcmp(out[0].op, "expire") == 0 && out[0].num == 7 && out[0].client == 0, "expire{L, token 7}, from no client");
    is_int(machine_propose(&m, SIM_MS(1200), out, 4), 0, "not again while it may still commit");
    struct request renew = cmd(1, 3, "renew", "L", "c1.1", 1000);
    machine_apply(&m, &renew, 11, &res);
    machine_apply(&m, &out[0], 12, &res);
    machine_query(&m, &h, &res);
    ok(res.found, "an expire overtaken by a renew changes nothing");
    is_int(machine_propose(&m, SIM_MS(1300), out, 4), 0, "the renewed lease is watched afresh");
    is_int(machine_propose(&m, SIM_MS(2300), out, 4), 1, "and expires a TTL later");
    machine_apply(&m, &out[0], 13, &res);
    machine_query(&m, &h, &res);
    ok(!res.found, "the expire frees the lock");
    b.seq = 3;
    machine_apply(&m, &b, 14, &res);
    ok(res.status == RESULT_OK && res.num == 14, "the next grant has a higher token");
    struct request w = cmd(2, 4, "write", "L", "new", 14);
    machine_apply(&m, &w, 15, &res);
    is_int(res.status, RESULT_OK, "the holder writes with its token");
    w = cmd(1, 9, "write", "L", "old", 7);
    machine_apply(&m, &w, 16, &res);
    is_str(res.error, "stale token 7 < 14", "a write with an older token is refused");
    struct request rd = cmd(0, 0, "read", "L", "", 0);
    machine_query(&m, &rd, &res);
    ok(res.found && strcmp(res.value, "new") == 0 && res.num == 14, "the register keeps the newer write");
    roundtrip(&m, "lock with a register");
    machine_free(&m);
}

/* machine_watch_apply's own model of the leases, fed answers by hand: the
 * answers a correct lock machine gives pass, the ones a wrong one gives
 * (a release granted to another owner, a second grant) do not. */
static void test_lease_owner(void)
{
    struct machine_watch w;
    struct violation v;
    struct result ok_res, fail_res;
    memset(&w, 0, sizeof w);
    memset(&ok_res, 0, sizeof ok_res);
    ok_res.status = RESULT_OK;
    fail_res = ok_res;
    fail_res.status = RESULT_FAIL;
    struct request a1 = cmd(1, 1, "acquire", "L", "c1.1", 1000), a2 = cmd(2, 1, "acquire", "L", "c2.1", 1000);
    struct request r1 = cmd(1, 2, "release", "L", "c1.1", 0), r2 = cmd(2, 2, "release", "L", "c2.1", 0);
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 5, &a1, &ok_res, 1, &v), 0, "a grant of a free lease");
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 6, &a2, &fail_res, 1, &v), 0, "a refusal to another");
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 7, &r2, &ok_res, 1, &v), 1,
           "a release granted to another owner is a violation");
    is_str(v.invariant, "lease_owner", "named lease_owner");
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 8, &r2, &ok_res, 0, &v), 0,
           "an answer sessions repeated is not judged");
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 9, &a2, &ok_res, 1, &v), 1, "so is a second grant");
    struct request ex = cmd(0, 0, "expire", "L", "0", 5);
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 10, &ex, &ok_res, 1, &v), 0, "the leader's expiry");
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 11, &r1, &ok_res, 1, &v), 1,
           "after which the old holder's late release, granted, is one");
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 12, &a2, &ok_res, 1, &v), 0, "and the lease granted anew");
    is_int(machine_watch_apply(NULL, &w, &machine_lock, 13, &r2, &ok_res, 1, &v), 0, "and released by its holder");
    is_int(machine_watch_apply(NULL, &w, &machine_queue, 14, &r2, &ok_res, 1, &v), 0, "other machines: not judged");
    machine_watch_free(&w);
}

int main(void)
{
    test_counter();
    test_queue();
    test_lock();
    test_lease_owner();
    return done_testing();
}
