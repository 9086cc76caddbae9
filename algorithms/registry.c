/* The algorithm registry: sim/ finds algorithms only through this table, so
 * the arrow points from algorithms/ to sim/ and never back. */
#include <string.h>

#include "algorithms/algorithm.h"

extern const struct algorithm fdetect_algorithm;
extern const struct algorithm raft_algorithm;
extern const struct algorithm paxos_algorithm;
extern const struct algorithm hashring_algorithm;
extern const struct algorithm lock_algorithm;
extern const struct algorithm lb_algorithm;

const struct algorithm *const algorithm_registry[] = {
    &fdetect_algorithm,
    &raft_algorithm,
    &paxos_algorithm,
    &hashring_algorithm,
    &lock_algorithm,
    &lb_algorithm,
    NULL,
};

const struct algorithm *algorithm_find(const char *name)
{
    for (int i = 0; algorithm_registry[i]; i++)
        if (strcmp(algorithm_registry[i]->name, name) == 0)
            return algorithm_registry[i];
    return NULL;
}

const char *algorithm_names(void)
{
    static char buf[512];
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; algorithm_registry[i] && len + 1 < sizeof buf; i++) {
        size_t n = strlen(algorithm_registry[i]->name);
        if (len + n + 3 >= sizeof buf)
            break;
        if (i) {
            memcpy(buf + len, ", ", 2);
            len += 2;
        }
        memcpy(buf + len, algorithm_registry[i]->name, n + 1);
        len += n;
    }
    return buf;
}
