/* clustersim bench: the engine's own benchmark (see bench.c). */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

int cmd_bench(int argc, char **argv);

#endif
