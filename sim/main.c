/* The command line: run, explore, check, plot, export, bench, bugs.
 * Exit codes (DESIGN.md): 0 success; 1 an invariant, checker or scenario
 * assertion failed; 2 inconclusive; 64 bad command line; 65 scenario script
 * error; 66 input file missing; 70 internal error; 74 output error. */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/algorithm.h"
#include "sim/bench.h"
#include "sim/engine.h"
#include "sim/explore.h"
#include "sim/sim.h"
#include "tools/cmd.h"

static const char usage_text[] =
    "usage: clustersim COMMAND [ARGS]\n"
    "\n"
    "  run SCENARIO.lua [--seed N] [--trace FILE|-] [--trace-level state|messages]\n"
    "                   [--bug NAME]... [-P name=value]... [--check-every N]\n"
    "                   [--lua-budget N] [--lua-memory MB] [--max-events N] [--help] [-- ARGS]\n"
    "  explore SCENARIO.lua --seeds A..B [--jobs N] [--shard I/N] [--shrink] [--json FILE|-]\n"
    "                   [--stop-after K] [run options]\n"
    "  shrink SCENARIO.lua --seed N [run options]  shrink one failing seed to a standalone scenario\n"
    "  merge A.json B.json... [-o OUT]  explore shards' --json results as one sweep\n"
    "  check TRACE.jsonl|HISTORY.jsonl  validate a trace and check its client history\n"
    "  plot TRACE.jsonl... --kind KIND -o OUT.(png|svg|pdf|-) [--clients]\n"
    "  export TRACE.jsonl --to chrome|shiviz|history [-o OUT]\n"
    "  bench                      engine benchmark (events per second)\n"
    "  bugs [--json]              list the seeded bugs --bug can switch on (--json: with scenario, seeds)\n"
    "  options [ALGORITHM]        each algorithm's config options: kind, default, accepted values\n"
    "  help, --help, --version\n"
    "\n"
    "Exit codes: 0 ok; 1 invariant/assertion failed; 2 inconclusive; 64 bad command line;\n"
    "65 scenario script error; 66 input missing; 70 internal error; 74 output error.\n";

static int usage_error(const char *fmt, const char *word)
{
    fprintf(stderr, "clustersim: ");
    fprintf(stderr, fmt, word);
    fprintf(stderr, "\nrun 'clustersim help' for usage\n");
    return EXIT_USAGE;
}

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

static const char *closest(const char *word, const char *const *known)
{
    const char *best = NULL;
    size_t bd = 3;
    for (int i = 0; known[i]; i++) {
        size_t dd = distance(word, known[i]);
        if (dd < bd) {
            bd = dd;
            best = known[i];
        }
    }
    return best;
}

static int unknown_word(const char *what, const char *word, const char *const *known)
{
    fprintf(stderr, "clustersim: unknown %s '%s'", what, word);
    const char *c = closest(word, known);
    if (c)
        fprintf(stderr, " (did you mean '%s'?)", c);
    fprintf(stderr, "\nknown: ");
    for (int i = 0; known[i]; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", known[i]);
    fprintf(stderr, "\n");
    return EXIT_USAGE;
}

/* A decimal number, digits only: no sign, no spaces, no 0x or leading-zero
 * octal (strtoull with base 0 read "010" as 8, and " -5" as 2^64 - 5). */
static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;       /* more than 64 bits */
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* All bug names of all algorithms, NULL-terminated (static storage). */
static const char *const *all_bugs(void)
{
    static const char *names[256];
    int n = 0;
    for (int i = 0; algorithm_registry[i]; i++)
        for (const struct bug_def *b = algorithm_registry[i]->bugs; b && b->name && n < 255; b++)
            names[n++] = b->name;
    names[n] = NULL;
    return names;
}

static void json_word(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

/* clustersim bugs [--json]: the seeded bugs; --json also gives each bug's
 * algorithm, the scenario explore finds it with and the seed budget, the
 * table tests/bugs.t is driven by. */
static int cmd_bugs(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs("usage: clustersim bugs [--json]\n\nLists the seeded bugs --bug can switch on, with their lesson.\n"
                  "  --json  one JSON array: name, algorithm, lesson, scenario (explore finds the bug there), seeds\n"
                  "          (the seed budget it is found within; 0 and null: not paired yet)\n", stdout);
            return 0;
        } else
            return usage_error("bugs takes only --json, got '%s'", argv[i]);
    }
    int any = 0;
    if (json)
        putchar('[');
    for (int i = 0; algorithm_registry[i]; i++)
        for (const struct bug_def *b = algorithm_registry[i]->bugs; b && b->name; b++) {
            if (json) {
                printf("%s{\"name\":", any ? "," : "");
                json_word(b->name);
                printf(",\"algorithm\":");
                json_word(algorithm_registry[i]->name);
                printf(",\"lesson\":");
                json_word(b->lesson);
                printf(",\"scenario\":");
                if (b->scenario)
                    json_word(b->scenario);
                else
                    printf("null");
                printf(",\"seeds\":%d}", b->seeds);
            } else {
                printf("%-34s %s\n", b->name, b->lesson);
            }
            any = 1;
        }
    if (json)
        printf("]\n");
    else if (!any)
        printf("no seeded bugs are registered\n");
    return 0;
}

/* argv[0]: how the user spelled the program (main sets it). */
static const char *program = "clustersim";

/* Room for --bug and -P options; one more is an error, never dropped. */
#define MAX_BUGS 32
#define MAX_PARAMS 64

static const char explore_usage[] =
    "usage: clustersim explore SCENARIO.lua --seeds A..B [--jobs N] [--shard I/N] [--shrink] [--json FILE|-]\n"
    "                          [--trace-dir DIR] [--max-failures N] [--stop-after K] [--shrink-out DIR]\n"
    "                          [run options] [-- ARGS]\n"
    "\n"
    "Runs the scenario once per seed in A..B (decimal, the whole 64-bit range allowed), N at a time,\n"
    "and prints every seed that does not pass with the command that reproduces it, then the coverage:\n"
    "nemesis faults fired per kind (and how many hit a leader) and the algorithm's counters per seed.\n"
    "  --shard I/N       only the seeds A+I-1, A+I-1+N, ... (1 <= I <= N <= 1000000000)\n"
    "  --shrink          delta-debug the nemesis faults of failing seeds, print the kept ones in words,\n"
    "                    and write a standalone scenario with them as sim.at lines\n"
    "  --shrink-out DIR  where --shrink writes shrunk-NAME-SEED.lua (default: $TMPDIR or /tmp)\n"
    "  --json FILE       the results as JSON (opened before any seed runs); - for standard output\n"
    "                    (the report then goes to standard error)\n"
    "  --trace-dir DIR   keep the traces of the seeds that fail\n"
    "  --max-failures N  shrink at most N failing seeds (default 3)\n"
    "  --stop-after K    start no more seeds once K have failed\n"
    "  --check           also check each passing seed's client history for linearizability (as\n"
    "                    clustersim check does), in the worker; inconclusive checks count apart;\n"
    "                    on by default when the clients run a kv, counter, queue or lock workload\n"
    "  --no-check        do not check the histories (the invariants still run)\n"
    "  -P name=a,b,c     a parameter sweep: every combination of the listed values (several -P: a grid)\n"
    "                    over the seeds, then each algorithm metric's mean, p50, p99 per combination\n"
    "Run options: --bug, -P, --check-every, --lua-budget, --lua-memory, --max-events (see clustersim help).\n";

static const char shrink_usage[] =
    "usage: clustersim shrink SCENARIO.lua --seed N [--bug NAME]... [-P name=value]... [--shrink-out DIR]\n"
    "                         [--json FILE|-] [run options] [-- ARGS]\n"
    "\n"
    "Shrinks one failing seed as explore --shrink does: delta debugging over its nemesis faults, then\n"
    "each kept fault shortened and moved later; prints the kept faults in words, writes a standalone\n"
    "scenario with them as explicit sim.at lines (shrunk-NAME-SEED.lua) and the command that replays it.\n";

/* clustersim options [ALGORITHM]: each algorithm's options as its
 * configure() reads them — name, kind, default, what is accepted — by
 * running configure() on an empty config that records every read. The
 * docs quote this output, so the table cannot drift from the code. */
static int cmd_options(const char *only)
{
    int found = 0, printed = 0;
    for (int i = 0; algorithm_registry[i]; i++) {
        const struct algorithm *alg = algorithm_registry[i];
        if (only && strcmp(only, alg->name) != 0)
            continue;
        found = 1;
        struct config_doc doc[64];
        struct config cfg;
        config_init(&cfg);
        cfg.doc = doc;
        cfg.ndoc_cap = (int)(sizeof doc / sizeof doc[0]);
        cfg.nodes = 3;
        void *params = calloc(1, alg->params_size ? alg->params_size : 1);
        struct error err;
        err.msg[0] = 0;
        if (!params)
            abort();
        if (alg->configure && alg->configure(&cfg, params, &err) != 0) {
            fprintf(stderr, "clustersim: %s: configure fails on its defaults: %s\n", alg->name, err.msg);
            free(params);
            config_free(&cfg);
            return EXIT_INTERNAL;
        }
        free(params);
        printf("%s%s: sim.cluster{ algorithm = \"%s\", config = { ... } }\n", printed++ ? "\n" : "", alg->name,
               alg->name);
        printf("  %-18s %-13s %-12s %s\n", "option", "kind", "default", "accepted");
        for (int k = 0; k < cfg.ndoc; k++)
            printf("  %-18s %-13s %-12s %s\n", doc[k].name, doc[k].kind, doc[k].def, doc[k].accepts);
        if (cfg.ndoc == 0)
            printf("  (no options)\n");
        config_free(&cfg);
    }
    if (!found) {
        const char *names[64];
        int n = 0;
        for (int i = 0; algorithm_registry[i] && n < 63; i++)
            names[n++] = algorithm_registry[i]->name;
        names[n] = NULL;
        return unknown_word("algorithm", only, names);
    }
    return 0;
}

static const char *const run_flags[] = {
    "--seed", "--trace", "--trace-level", "--bug", "-P", "--check-every", "--lua-budget",
    "--lua-memory", "--max-events", "--nemesis-limit", "--nemesis-skip", "--nemesis-only", "--help", "--", NULL
};
static const char *const explore_flags[] = {
    "--seeds", "--jobs", "--shard", "--shrink", "--json", "--bug", "-P", "--check-every",
    "--lua-budget", "--lua-memory", "--max-events", "--trace-dir", "--max-failures", "--stop-after",
    "--shrink-out", "--check", "--no-check", "--help", "--", NULL
};

/* Parse run options shared by run and explore; returns how many argv entries
 * the option at argv[i] consumed (1 or 2), 0 if it is not a run option, or
 * -1 after printing an error. */
static int parse_run_option(int argc, char **argv, int i, struct run_opts *o,
                            const char **bugs, int *nbugs, char **params, int *nparams, int *skips, int *nskips)
{
    const char *a = argv[i];
    const char *val = NULL;
    char flag[64];
    const char *eq = strchr(a, '=');
    if (a[0] == '-' && a[1] == '-' && eq && (size_t)(eq - a) < sizeof flag) {
        memcpy(flag, a, (size_t)(eq - a));
        flag[eq - a] = 0;
        val = eq + 1;
    } else {
        snprintf(flag, sizeof flag, "%s", a);
    }
    static const char *const with_value[] = {
        "--seed", "--trace", "--trace-level", "--bug", "-P", "--check-every", "--lua-budget",
        "--lua-memory", "--max-events", "--nemesis-limit", "--nemesis-skip", "--nemesis-only", NULL
    };
    int takes = 0;
    for (int k = 0; with_value[k]; k++)
        if (strcmp(flag, with_value[k]) == 0)
            takes = 1;
    if (!takes)
        return 0;
    int used = 1;
    if (!val) {
        if (i + 1 >= argc) {
            usage_error("option '%s' needs a value", flag);
            return -1;
        }
        val = argv[i + 1];
        used = 2;
    }
    uint64_t u;
    if (strcmp(flag, "--seed") == 0) {
        if (parse_u64(val, &u)) {
            usage_error("--seed takes a decimal number from 0 to 18446744073709551615, got '%s'", val);
            return -1;
        }
        o->seed = u;
    } else if (strcmp(flag, "--trace") == 0) {
        o->trace_path = val;
    } else if (strcmp(flag, "--trace-level") == 0) {
        if (strcmp(val, "state") == 0)
            o->trace_level = TRACE_STATE;
        else if (strcmp(val, "messages") == 0)
            o->trace_level = TRACE_MESSAGES;
        else {
            static const char *const lv[] = { "state", "messages", NULL };
            unknown_word("trace level", val, lv);
            return -1;
        }
    } else if (strcmp(flag, "--bug") == 0) {
        const char *const *known = all_bugs();
        int ok = 0;
        for (int k = 0; known[k]; k++)
            if (strcmp(known[k], val) == 0)
                ok = 1;
        if (!ok) {
            unknown_word("bug", val, known);
            return -1;
        }
        if (*nbugs >= MAX_BUGS) {
            fprintf(stderr, "clustersim: too many --bug options (at most %d)\n", MAX_BUGS);
            return -1;
        }
        bugs[(*nbugs)++] = val;
    } else if (strcmp(flag, "-P") == 0) {
        const char *e = strchr(val, '=');
        if (!e || e == val) {
            usage_error("-P takes name=value, got '%s'", val);
            return -1;
        }
        if (*nparams >= MAX_PARAMS) {
            fprintf(stderr, "clustersim: too many -P options (at most %d)\n", MAX_PARAMS);
            return -1;
        }
        params[(*nparams)++] = (char *)val;
    } else if (strcmp(flag, "--check-every") == 0) {
        if (parse_u64(val, &u) || u == 0) {
            usage_error("--check-every takes a number >= 1, got '%s'", val);
            return -1;
        }
        o->check_every = u;
    } else if (strcmp(flag, "--lua-budget") == 0) {
        if (parse_u64(val, &u) || u == 0) {
            usage_error("--lua-budget takes a number of instructions >= 1, got '%s'", val);
            return -1;
        }
        o->lua_budget = u;
    } else if (strcmp(flag, "--lua-memory") == 0) {
        if (parse_u64(val, &u) || u == 0 || u > 1u << 20) {
            usage_error("--lua-memory takes megabytes (1 to 1048576), got '%s'", val);
            return -1;
        }
        o->lua_memory = (size_t)u << 20;
    } else if (strcmp(flag, "--max-events") == 0) {
        if (parse_u64(val, &u) || u == 0) {
            usage_error("--max-events takes a number of events >= 1, got '%s'", val);
            return -1;
        }
        o->max_sim_events = u;
    } else if (strcmp(flag, "--nemesis-limit") == 0) {
        if (parse_u64(val, &u) || u > 1000000) {
            usage_error("--nemesis-limit takes a number of faults, got '%s'", val);
            return -1;
        }
        o->nemesis_limit = (int)u;
    } else if (strcmp(flag, "--nemesis-only") == 0) {
        static int only[257];
        int nonly = 0;
        char *copy = strdup(val), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (parse_u64(t, &u) || u > 1000000) {
                free(copy);
                usage_error("--nemesis-only takes fault numbers like 2,7, got '%s'", val);
                return -1;
            }
            if (nonly < 256)
                only[nonly++] = (int)u;
        }
        free(copy);
        o->nemesis_only = only;
        o->nnemesis_only = nonly;
    } else if (strcmp(flag, "--nemesis-skip") == 0) {
        char *copy = strdup(val), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (parse_u64(t, &u) || u > 1000000) {
                free(copy);
                usage_error("--nemesis-skip takes fault numbers like 0,3,5, got '%s'", val);
                return -1;
            }
            if (*nskips < 256)
                skips[(*nskips)++] = (int)u;
        }
        free(copy);
    }
    return used;
}

static int cmd_run(int argc, char **argv)
{
    struct run_opts o;
    run_opts_default(&o);
    o.repro_prefix = program;
    static const char *bugs[MAX_BUGS + 1];
    static char *params[MAX_PARAMS + 1];
    static int skips[257];
    int nbugs = 0, nparams = 0, nskips = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            o.args = argv + i + 1;
            o.nargs = argc - i - 1;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o.help = 1;
            continue;
        }
        int used = parse_run_option(argc, argv, i, &o, bugs, &nbugs, params, &nparams, skips, &nskips);
        if (used < 0)
            return EXIT_USAGE;
        if (used > 0) {
            i += used - 1;
            continue;
        }
        if (a[0] == '-' && a[1])
            return unknown_word("option", a, run_flags);
        if (o.scenario)
            return usage_error("run takes one scenario; '%s' is a second one (script arguments go after --)", a);
        o.scenario = a;
    }
    if (!o.scenario) {
        if (o.help) {
            fputs(usage_text, stdout);
            return 0;
        }
        return usage_error("%s", "run needs a scenario: clustersim run SCENARIO.lua");
    }
    o.bugs = bugs;
    o.nbugs = nbugs;
    o.params = params;
    o.nparams = nparams;
    o.nemesis_skip = skips;
    o.nnemesis_skip = nskips;
    return run_scenario(&o);
}

/* explore, and shrink (one seed: --seed instead of --seeds). */
static const struct history_check history_check = { check_trace_file, check_feed_open, check_feed_record,
                                                     check_feed_close };

static int cmd_explore(int argc, char **argv, int shrinking)
{
    struct explore_opts e;
    explore_opts_default(&e);
    run_opts_default(&e.run);
    if (!shrinking) {
        e.check = &history_check;     /* only if the probe seed's workload is a checkable history */
        e.check_auto = 1;
    }
    e.run.repro_prefix = program;
    int shrink_seed_set = 0;
    static const char *bugs[MAX_BUGS + 1];
    static char *params[MAX_PARAMS + 1];
    static int skips[257];
    int nbugs = 0, nparams = 0, nskips = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            e.run.args = argv + i + 1;
            e.run.nargs = argc - i - 1;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(shrinking ? shrink_usage : explore_usage, stdout);
            return 0;
        }
        int used = parse_run_option(argc, argv, i, &e.run, bugs, &nbugs, params, &nparams, skips, &nskips);
        if (used < 0)
            return EXIT_USAGE;
        if (used > 0 && shrinking && strncmp(a, "--seed", 6) == 0 && strncmp(a, "--seeds", 7) != 0) {
            shrink_seed_set = 1;
            i += used - 1;
            continue;
        }
        if (used > 0) {
            if (strncmp(a, "--trace", 7) == 0)
                return usage_error("%s: explore writes no trace per seed; use --trace-dir DIR to keep failing ones", a);
            i += used - 1;
            continue;
        }
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (strcmp(a, "--seeds") == 0 && val) {
            uint64_t lo, hi;
            char *dots = strstr(val, "..");
            char buf[64];
            if (!dots || (size_t)(dots - val) >= sizeof buf)
                return usage_error("--seeds takes A..B (e.g. 1..1000), got '%s'", val);
            memcpy(buf, val, (size_t)(dots - val));
            buf[dots - val] = 0;
            if (parse_u64(buf, &lo) || parse_u64(dots + 2, &hi) || hi < lo)
                return usage_error("--seeds takes A..B with A <= B, got '%s'", val);
            e.seed_lo = lo;
            e.seed_hi = hi;
            e.seeds_set = 1;
            i++;
        } else if (strcmp(a, "--jobs") == 0 && val) {
            if (parse_u64(val, &u) || u == 0 || u > 1024)
                return usage_error("--jobs takes 1 to 1024, got '%s'", val);
            e.jobs = (int)u;
            i++;
        } else if (strcmp(a, "--shard") == 0 && val) {
            uint64_t si, sn;
            const char *slash = strchr(val, '/');
            char ibuf[32];
            if (!slash || (size_t)(slash - val) >= sizeof ibuf)
                return usage_error("--shard takes I/N with 1 <= I <= N (decimal), got '%s'", val);
            memcpy(ibuf, val, (size_t)(slash - val));
            ibuf[slash - val] = 0;
            if (parse_u64(ibuf, &si) || parse_u64(slash + 1, &sn) || sn == 0 || si < 1 || si > sn)
                return usage_error("--shard takes I/N with 1 <= I <= N (decimal), got '%s'", val);
            if (sn > 1000000000)
                return usage_error("--shard: N is at most 1000000000, got '%s'", val);
            e.shard_i = (int)si;
            e.shard_n = (int)sn;
            i++;
        } else if (strcmp(a, "--shrink") == 0) {
            e.shrink = 1;
        } else if (strcmp(a, "--check") == 0) {
            e.check = &history_check;
            e.check_auto = 0;
        } else if (strcmp(a, "--no-check") == 0) {
            e.check = NULL;
            e.check_auto = 0;
        } else if (strcmp(a, "--json") == 0 && val) {
            e.json_path = val;
            i++;
        } else if (strcmp(a, "--trace-dir") == 0 && val) {
            e.trace_dir = val;
            i++;
        } else if (strcmp(a, "--max-failures") == 0 && val) {
            if (parse_u64(val, &u) || u > 1000000)
                return usage_error("--max-failures takes a number, got '%s'", val);
            e.max_failures = (int)u;
            i++;
        } else if (strcmp(a, "--stop-after") == 0 && val) {
            if (parse_u64(val, &u) || u == 0 || u > 1000000000)
                return usage_error("--stop-after takes a number of failures >= 1, got '%s'", val);
            e.stop_after = (int)u;
            i++;
        } else if (strcmp(a, "--shrink-out") == 0 && val) {
            e.shrink_out = val;
            i++;
        } else if (a[0] == '-' && a[1]) {
            for (int k = 0; explore_flags[k]; k++)
                if (strcmp(a, explore_flags[k]) == 0)
                    return usage_error("option '%s' needs a value", a);
            return unknown_word("option", a, explore_flags);
        } else if (e.run.scenario) {
            return usage_error("explore takes one scenario; '%s' is a second one", a);
        } else {
            e.run.scenario = a;
        }
    }
    if (!e.run.scenario)
        return usage_error("%s", shrinking ? "shrink needs a scenario: clustersim shrink SCENARIO.lua --seed N"
                                           : "explore needs a scenario: clustersim explore SCENARIO.lua --seeds 1..100");
    if (shrinking && !shrink_seed_set)
        return usage_error("%s", "shrink needs --seed N (the failing seed)");
    if (shrink_seed_set) {
        if (e.seeds_set)
            return usage_error("%s", "shrink takes one --seed N, not --seeds");
        e.jobs = 1;
    } else if (!e.seeds_set)
        return usage_error("%s", "explore needs --seeds A..B");
    e.run.bugs = bugs;
    e.run.nbugs = nbugs;
    e.run.params = params;
    e.run.nparams = nparams;
    e.run.nemesis_skip = skips;
    e.run.nnemesis_skip = nskips;
    if (shrinking)
        return explore_shrink_one(&e, e.run.seed);
    return explore_grid(&e);
}

static void on_signal(int sig)
{
    (void)sig;
    /* The first signal asks the run to stop at the next event or the next
     * thousand Lua instructions (every C call a script can make is bounded
     * by the budget too), then the trace is completed and marked
     * "interrupted". A second changes nothing — that stop is already on its
     * way. Only a third leaves at once, without a complete trace. */
    static volatile sig_atomic_t count;
    if (++count >= 3)
        _exit(EXIT_INTERRUPTED);
    sim_interrupted = 1;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);     /* a closed terminal: stop cleanly too */
    signal(SIGPIPE, SIG_IGN);     /* a closed pipe is a write error: exit 74, not a silent death */
    static const char *const commands[] = { "run", "explore", "shrink", "merge", "check", "plot", "export", "bench",
                                            "bugs", "options", "help", NULL };
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    /* The reproduce lines name the program as it was invoked: `clustersim`
     * when found on PATH, ./clustersim from the source tree. */
    program = argv[0] && *argv[0] ? argv[0] : "clustersim";
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("clustersim %s (trace schema %d)\n", CLUSTERSIM_VERSION, TRACE_SCHEMA);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "explore") == 0)
        return cmd_explore(argc - 1, argv + 1, 0);
    if (strcmp(cmd, "shrink") == 0)
        return cmd_explore(argc - 1, argv + 1, 1);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    int wants_help = argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0);
    if (wants_help && strcmp(cmd, "options") == 0) {
        fputs("usage: clustersim options [ALGORITHM]\n\nEach algorithm's config options as its configure() reads "
              "them: name, kind, default, accepted values.\n", stdout);
        return 0;
    }
    if (wants_help && strcmp(cmd, "bench") == 0) {
        fputs("usage: clustersim bench [ARGS]\n\nThe engine benchmark: events per second on fixed workloads.\n",
              stdout);
        return 0;
    }
    if (strcmp(cmd, "options") == 0)
        return argc <= 3 ? cmd_options(argc == 3 ? argv[2] : NULL)
                         : usage_error("options takes at most one algorithm, got '%s'", argv[3]);
    if (strcmp(cmd, "bugs") == 0)
        return cmd_bugs(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "plot") == 0)
        return cmd_plot(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    return unknown_word("command", cmd, commands);
}
