/* Unit tests for algorithms/machine.c: session dedup around a state machine
 * and snapshots that carry the sessions, so a command retried after a
 * snapshot is still answered once (Raft thesis §6.3, ch. 5). */
#include <stdlib.h>
#include <string.h>

#include "algorithms/machine.h"
#include "tests/unit/tap.h"

static struct request cmd(int client, uint64_t seq, const char *op, const char *key, const char *value)
{
    struct request r;
    memset(&r, 0, sizeof r);
    r.client = client;
    r.seq = seq;
    snprintf(r.op, sizeof r.op, "%s", op);
    snprintf(r.key, sizeof r.key, "%s", key);
    snprintf(r.value, sizeof r.value, "%s", value);
    return r;
}

static const char *get(const struct machine *m, const char *key)
{
    static struct result res;
    struct request r = cmd(0, 0, "get", key, "");
    machine_query(m, &r, &res);
    return res.found ? res.value : "(absent)";
}

static void test_sessions(void)
{
    struct machine m;
    machine_init(&m, &machine_kv);
    struct result res;
    struct request put = cmd(1, 1, "put", "x", "a");
    is_int(machine_apply(&m, &put, 1, &res), 1, "a put changes the state");
    put = cmd(1, 1, "put", "x", "b");   /* the same (client, seq): a retry */
    is_int(machine_apply(&m, &put, 2, &res), 0, "its duplicate does not");
    is_str(get(&m, "x"), "a", "the first application stands");
    is_int((int)m.duplicates, 1, "counted as a duplicate");
    for (uint64_t seq = 2; seq <= MACHINE_SESSION_WINDOW + 2; seq++) {
        struct request p = cmd(1, seq, "put", "y", "v");
        machine_apply(&m, &p, seq + 1, &res);
    }
    put = cmd(1, 1, "put", "x", "c");
    machine_apply(&m, &put, 99, &res);
    is_int(res.status, RESULT_UNKNOWN, "a duplicate older than the window: unknown");
    is_str(res.error, "session expired", "named as an expired session");
    is_str(get(&m, "x"), "a", "and not applied");
    struct request bad = cmd(2, 1, "incr", "x", "");
    machine_apply(&m, &bad, 100, &res);
    is_int(res.status, RESULT_FAIL, "an op the machine does not have fails");
    is_int(machine_kind(&m, "incr"), MACHINE_OP_UNKNOWN, "and is classified unknown");
    is_int(machine_kind(&m, "get"), MACHINE_OP_READ, "get is read-only");
    is_int(machine_kind(&m, "cas"), MACHINE_OP_UPDATE, "cas is an update");
    machine_free(&m);
}

static void test_snapshot(void)
{
    struct machine m, copy, bare;
    machine_init(&m, &machine_kv);
    struct result res;
    for (int c = 1; c <= 3; c++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", c);
        struct request p = cmd(c, 7, "put", key, key);
        machine_apply(&m, &p, (uint64_t)c, &res);
    }
    struct machine_buf b = {0}, b2 = {0}, b3 = {0};
    machine_save(&m, &b, 1);
    machine_init(&copy, &machine_kv);
    is_int(machine_load(&copy, b.p, b.len), 0, "a snapshot loads");
    is_str(get(&copy, "k2"), "k2", "with the state");
    machine_save(&copy, &b2, 1);
    ok(b2.len == b.len && memcmp(b.p, b2.p, b.len) == 0, "saving the loaded copy gives the same bytes");
    struct request retry = cmd(2, 7, "put", "k2", "again");
    is_int(machine_apply(&copy, &retry, 10, &res), 0, "a retry after the snapshot is a duplicate");
    is_str(get(&copy, "k2"), "k2", "and changes nothing");

    machine_save(&m, &b3, 0);
    machine_init(&bare, &machine_kv);
    is_int(machine_load(&bare, b3.p, b3.len), 0, "a snapshot without sessions loads");
    is_int(machine_apply(&bare, &retry, 10, &res), 1, "then the retry applies twice: why sessions belong in it");

    is_int(machine_load(&copy, b.p, b.len - 1), -1, "a truncated snapshot is refused");
    is_str(get(&copy, "k1"), "(absent)", "and leaves the machine empty");
    b.p[0] = 'X';
    is_int(machine_load(&copy, b.p, b.len), -1, "a snapshot without its magic is refused");
    machine_buf_free(&b);
    machine_buf_free(&b2);
    machine_buf_free(&b3);
    machine_free(&m);
    machine_free(&copy);
    machine_free(&bare);
}

int main(void)
{
    test_sessions();
    test_snapshot();
    return done_testing();
}
