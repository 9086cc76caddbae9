# clustersim — a deterministic discrete-event cluster simulator.
#
#   make              build ./clustersim
#   make test         build, then run every test (unit, CLI, scenarios) under prove
#   make check-asan   the same tests against an ASan+UBSan build (in build-asan/)
#   make bench        the engine benchmark (events per wall-clock second)
#   make demo         run the main demo scenario, write a trace and a plot
#   make deps         install the Debian packages (as root) or print the command
#   make install      PREFIX=/usr/local DESTDIR=

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/clustersim
MANDIR     ?= $(PREFIX)/share/man/man1
DOCDIR     ?= $(PREFIX)/share/doc/clustersim
PKG_CONFIG ?= pkg-config
CC         ?= cc
CFLAGS     ?= -O2 -g
BUILD      ?= build

PKGS := lua5.4 libcjson libxxhash
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

# Project flags live apart from the user's CFLAGS so `make CFLAGS=-O0` keeps the warnings.
WARN := -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion \
        -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla
PROJ_CFLAGS := -std=c11 -D_XOPEN_SOURCE=700 $(WARN) -I. $(PKG_CFLAGS) \
               -DCLUSTERSIM_DATADIR='"$(DATADIR)"'
LIBS := $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
  CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(wildcard sim/*.c algorithms/*.c algorithms/*/*.c tools/*.c))
LIB_SRC  := $(filter-out sim/main.c,$(LIB_SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/sim/main.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DEPS     := $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%.d)

.PHONY: soak mutate fuzz all test test-run check check-asan check-asan-run bench demo deps install uninstall clean docs docs-check

all: clustersim

# Copy then rename: replacing the file works even while a run holds the old one.
clustersim: $(BUILD)/clustersim
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/clustersim: $(MAIN_OBJ) $(BUILD)/libclustersim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libclustersim.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/libclustersim.a
	@mkdir -p $(dir $@)
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(BUILD)/libclustersim.a $(LIBS)

-include $(DEPS)

# Every test speaks TAP; prove prints the closing "Result: PASS" line CI reads.
# `make test` first makes sure the packages are there (tools/deps.sh installs
# them as root, or prints the command), then builds and runs in a sub-make so
# the pkg-config flags are read after the install.
test: deps
	$(MAKE) test-run

# Two test files at a time (TEST_JOBS): each has its own temporary directory
# (tests/lib.sh). A few send SIGINT after `sleep 1` to a longer run, and
# doctest gives a command 120 s: slack a loaded machine still leaves.
TEST_JOBS ?= 2
test-run: clustersim $(UNIT_BIN)
	CLUSTERSIM=$(CURDIR)/clustersim UNIT_DIR=$(CURDIR)/$(BUILD)/tests \
	  prove --timer -j$(TEST_JOBS) -f $(UNIT_BIN) tests/*.t

check: test

# The same tests against an AddressSanitizer + UndefinedBehaviorSanitizer build.
check-asan: deps
	$(MAKE) check-asan-run

check-asan-run:
	$(MAKE) BUILD=build-asan SANITIZE=1 build-asan/clustersim $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CLUSTERSIM=$(CURDIR)/build-asan/clustersim UNIT_DIR=$(CURDIR)/build-asan/tests \
	  prove -j$(TEST_JOBS) -f $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%) tests/*.t

BENCH_SEEDS ?= 2000
bench: clustersim
	./clustersim bench
	@# explore's speed (issue #14): seeds per second of the 8-second five-node Raft
	@# run with three clients and a swarm nemesis, with the history check explore
	@# runs by default on a kv workload and without it (printed, not asserted)
	@for check in "" --no-check; do \
	  t0=$$(date +%s.%N); ./clustersim explore scenarios/explore_raft.lua -P nodes=5 -P duration=8000 -P swarm=true \
	    --seeds 1..$(BENCH_SEEDS) --jobs 2 $$check > /dev/null; t1=$$(date +%s.%N); \
	  echo "explore: $(BENCH_SEEDS) seeds of explore_raft.lua (5 nodes, 8 s, swarm, --jobs 2, $${check:-checked}) in" \
	    "$$(awk -v a=$$t0 -v b=$$t1 -v n=$(BENCH_SEEDS) 'BEGIN { printf "%.2f s: %.0f seeds/s", b - a, n / (b - a) }')"; \
	done

# make soak: >= 10,000 seeds per algorithm on correct code; any violation fails.
SOAK_SEEDS ?= 10000
soak: clustersim
	./clustersim explore scenarios/explore_raft.lua --seeds 1..$(SOAK_SEEDS) --jobs 2 --check --max-events 5000000
	./clustersim explore scenarios/explore_raft.lua --seeds 1..$(SOAK_SEEDS) --jobs 2 -P swarm=true -P nodes=5 --max-events 5000000
	./clustersim explore scenarios/explore_paxos.lua --seeds 1..$(SOAK_SEEDS) --jobs 2 --check --max-events 5000000
	./clustersim explore scenarios/lua/paxos_single.lua --seeds 1..$(SOAK_SEEDS) --jobs 2
	./clustersim explore scenarios/raft_flaky.lua --seeds 1..$(SOAK_SEEDS) --jobs 2 -P membership=true -P snapshot_entries=200 --max-events 5000000
	./clustersim explore scenarios/counter_retry.lua --seeds 1..$(SOAK_SEEDS) --jobs 2 -P algorithm=paxos
	./clustersim explore scenarios/queue_handoff.lua --seeds 1..$(SOAK_SEEDS) --jobs 2
	./clustersim explore scenarios/lock_nemesis.lua --seeds 1..$(SOAK_SEEDS) --jobs 2
	./clustersim explore scenarios/lb_failure.lua --seeds 1..$(SOAK_SEEDS) --jobs 2
	./clustersim explore scenarios/fd_crash.lua --seeds 1..$(SOAK_SEEDS) --jobs 2

# make mutate: every tests/mutants/*.patch against the suite, explore and --check
mutate: clustersim
	./tools/mutate.sh

demo:
	./tools/demo.sh

deps:
	./tools/deps.sh

# `make docs` rewrites the docs' quoted output (tools/doctest.pl --update),
# the pictures in docs/img/ and their data in docs/img/data/; `make
# docs-check` changes nothing and fails when any of them is stale.
docs: clustersim
	CLUSTERSIM=$(CURDIR)/clustersim ./tools/make-docs.sh

docs-check: clustersim
	CLUSTERSIM=$(CURDIR)/clustersim ./tools/make-docs.sh --check

# The docs keep the source tree's layout (README.md beside docs/), so the
# README's links work where they are installed.
install: clustersim
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/plots $(DESTDIR)$(DATADIR)/scenarios \
	  $(DESTDIR)$(MANDIR) $(DESTDIR)$(DOCDIR)/docs/img
	install -m 755 clustersim $(DESTDIR)$(BINDIR)/clustersim
	install -m 644 plots/*.gp $(DESTDIR)$(DATADIR)/plots/
	install -m 644 scenarios/*.lua $(DESTDIR)$(DATADIR)/scenarios/
	install -m 644 docs/clustersim.1 $(DESTDIR)$(MANDIR)/clustersim.1
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/
	install -m 644 docs/img/*.png $(DESTDIR)$(DOCDIR)/docs/img/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/clustersim $(DESTDIR)$(MANDIR)/clustersim.1
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-asan build-fuzz clustersim out

# Fuzzing (clang's libFuzzer, with ASan+UBSan): the trace tools (check and
# export; plot's readers for every kind) and the Lua API on arbitrary input.
# Not part of `make test`; run for as long as you like:
#   make fuzz && build-fuzz/fuzz_trace -max_total_time=60 tests/data
#   build-fuzz/fuzz_plot -max_total_time=60 tests/data
#   mkdir -p out/fuzz-lua && build-fuzz/fuzz_lua out/fuzz-lua scenarios tests/lua -max_total_time=60 -timeout=10
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_FLAGS)" build-fuzz/libclustersim.a
	for t in fuzz_trace fuzz_plot fuzz_lua; do \
	  clang $(PROJ_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o build-fuzz/$$t tests/fuzz/$$t.c \
	    build-fuzz/libclustersim.a $(LIBS) || exit 1; done
