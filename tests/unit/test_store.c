/* Unit tests for sim/store.c: a node's durable store and its crash semantics.
 * A write is visible at once; store_sync makes it durable; a crash either
 * flushes the unsynced writes (keep) or throws them away (lose), and then the
 * last synced value of every key is what the restarted node reads. */
#include <stdlib.h>

#include "sim/store.h"
#include "tests/unit/tap.h"

/* The value of key as a C string ("(absent)" when missing). */
static const char *get_s(const struct store *s, const char *key)
{
    static char buf[256];
    size_t len = 0;
    const char *v = store_get(s, key, &len);
    if (!v)
        return "(absent)";
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, v, len);
    buf[len] = 0;
    return buf;
}

static void put_s(struct store *s, const char *key, const char *v)
{
    store_put(s, key, v, strlen(v));
}

static void test_basic(void)
{
    struct store s;
    store_init(&s);
    is_str(get_s(&s, "x"), "(absent)", "empty store: get gives NULL");
    is_int(store_del(&s, "x"), 0, "deleting a missing key reports 0");
    put_s(&s, "x", "1");
    is_str(get_s(&s, "x"), "1", "put then get");
    put_s(&s, "x", "22");
    is_str(get_s(&s, "x"), "22", "overwrite");
    size_t len = 99;
    store_get(&s, "x", &len);
    is_int(len, 2, "get reports the length");
    ok(store_get(&s, "x", NULL) != NULL, "get accepts a NULL length");
    ok(store_del(&s, "x") != 0, "del of a present key reports it");
    is_str(get_s(&s, "x"), "(absent)", "del removes it");
    put_s(&s, "x", "back");
    is_str(get_s(&s, "x"), "back", "put after del");

    /* Binary values keep their bytes, NULs included; empty values are present. */
    const unsigned char bin[] = { 0, 1, 2, 0, 255 };
    store_put(&s, "bin", bin, sizeof bin);
    const unsigned char *b = store_get(&s, "bin", &len);
    ok(b && len == sizeof bin && memcmp(b, bin, sizeof bin) == 0, "binary value round-trips");
    store_put(&s, "empty", NULL, 0);
    len = 99;
    ok(store_get(&s, "empty", &len) != NULL && len == 0, "an empty value is present with length 0");

    /* The store copies: changing the caller's buffer changes nothing. */
    char mut[] = "abc";
    store_put(&s, "copy", mut, 3);
    mut[0] = 'X';
    is_str(get_s(&s, "copy"), "abc", "put copies the value");
    store_free(&s);
}

static void test_sync_crash(void)
{
    struct store s;
    store_init(&s);

    put_s(&s, "a", "1");
    is_str(get_s(&s, "a"), "1", "an unsynced write is visible before sync");
    is_int(store_unsynced(&s), 1, "one unsynced key");
    put_s(&s, "a", "2");
    is_int(store_unsynced(&s), 1, "rewriting it is still one unsynced key");
    store_sync(&s);
    is_int(store_unsynced(&s), 0, "sync leaves nothing unsynced");
    is_int((long long)s.bytes, 1, "durable bytes after sync");

    /* crash(keep): the OS flushed the page cache. */
    put_s(&s, "b", "kept");
    is_int(store_crash(&s, 0), 0, "crash(keep) drops nothing");
    is_str(get_s(&s, "b"), "kept", "crash(keep) keeps unsynced writes");
    is_int(store_unsynced(&s), 0, "  and they are durable now");

    /* crash(lose): unsynced writes vanish, synced ones stay. */
    put_s(&s, "c", "new");
    put_s(&s, "a", "3");                 /* overwrite of a synced value */
    store_del(&s, "b");                  /* unsynced delete */
    is_str(get_s(&s, "a"), "3", "the overwrite is visible before the crash");
    is_str(get_s(&s, "b"), "(absent)", "the delete is visible before the crash");
    is_int(store_crash(&s, 1), 3, "crash(lose) reports 3 lost writes");
    is_str(get_s(&s, "c"), "(absent)", "crash(lose) drops a never-synced key");
    is_str(get_s(&s, "a"), "2", "crash(lose) restores the synced value of an overwritten key");
    is_str(get_s(&s, "b"), "kept", "crash(lose) undoes an unsynced delete");
    is_int(store_unsynced(&s), 0, "nothing unsynced after the crash");

    /* Life goes on after a lossy crash. */
    put_s(&s, "c", "again");
    store_sync(&s);
    is_int(store_crash(&s, 1), 0, "a crash right after sync loses nothing");
    is_str(get_s(&s, "c"), "again", "a key lost once can be written and synced again");

    /* Synced delete survives a crash. */
    store_del(&s, "a");
    store_sync(&s);
    store_crash(&s, 1);
    is_str(get_s(&s, "a"), "(absent)", "a synced delete stays deleted");
    is_int((long long)s.bytes, (long long)(strlen("kept") + strlen("again")), "durable bytes track syncs and deletes");
    store_free(&s);
}

static void test_many(void)
{
    enum { KEYS = 20000 };
    struct store s;
    store_init(&s);
    char key[32], val[32];
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "key/%d", i);
        snprintf(val, sizeof val, "v%d", i * 3);
        put_s(&s, key, val);
        if (i == KEYS / 2)
            store_sync(&s);              /* the first half (and one more) is durable */
    }
    int good = 1;
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "key/%d", i);
        snprintf(val, sizeof val, "v%d", i * 3);
        if (strcmp(get_s(&s, key), val) != 0)
            good = 0;
    }
    ok(good, "%d keys readable after the index grew many times", KEYS);
    is_int(store_unsynced(&s), KEYS - KEYS / 2 - 1, "unsynced count after a mid-way sync");
    store_crash(&s, 1);
    good = 1;
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "key/%d", i);
        snprintf(val, sizeof val, "v%d", i * 3);
        const char *got = get_s(&s, key);
        if (i <= KEYS / 2 ? strcmp(got, val) != 0 : strcmp(got, "(absent)") != 0)
            good = 0;
    }
    ok(good, "after crash(lose) exactly the synced half remains");
    is_str(get_s(&s, "key/"), "(absent)", "a prefix of a key is another key");
    store_free(&s);
}

int main(void)
{
    test_basic();
    test_sync_crash();
    test_many();
    return done_testing();
}
