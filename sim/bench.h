/* clustersim bench: the engine's own benchmark (see bench.c). */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

#include <stddef.h>

int cmd_bench(int argc, char **argv);
/* Run f(arg, out) in a forked child so its peak memory is its own; out gets
 * len bytes the child wrote. 0, or -1 when the child failed. */
int bench_child(int (*f)(void *, void *), void *arg, void *out, size_t len);
/* (f) the load balancer (bench_lb.c). */
int bench_lb(void);

#endif
