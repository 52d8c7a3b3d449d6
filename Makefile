# snaplake — one Makefile, no generator.
#
#   make            build build/snaplake (installs missing dependencies first)
#   make demo       run the whole pipeline on a generated sample database
#   make test       unit + end-to-end tests; last line "N passed, N failed"
#   make test SAN=1 the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      benchmarks (bench/*.sh), ratios against the peers (ROWS=N)
#   make fuzz       libFuzzer targets (tests/fuzz), FUZZ_SECONDS each (default 30)
#   make format     clang-format every C file
#   make install    the binary, man page and examples under PREFIX (default /usr/local;
#                   DESTDIR for staging); `make uninstall` removes them

SAN ?= 0
ifeq ($(SAN),1)
BUILD := build-san
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
BUILD := build
OPT := -O2
endif

CC ?= cc
DEPS := .deps
STAMP := $(DEPS)/setup.stamp

# Prefer a system DuckDB; else the one scripts/setup.sh unpacked into .deps.
# The build's rpaths find .deps from build/ and from the source tree; an
# installed binary is linked again (INSTALL_DUCKDB_LIBS) so that it finds the
# libduckdb.so installed beside it, in PREFIX/lib/snaplake, and nothing of
# the source tree.
ifneq ($(wildcard /usr/include/duckdb.h /usr/local/include/duckdb.h),)
DUCKDB_CFLAGS :=
DUCKDB_LIBS := -lduckdb
INSTALL_DUCKDB_LIBS := -lduckdb
INSTALL_DUCKDB_SO :=
else
DUCKDB_CFLAGS := -I$(DEPS)/duckdb/include
DUCKDB_LIBS := -L$(DEPS)/duckdb/lib -Wl,-rpath,'$$ORIGIN/../.deps/duckdb/lib' \
	-Wl,-rpath,'$$ORIGIN/../../.deps/duckdb/lib' -Wl,-rpath,$(abspath $(DEPS)/duckdb/lib) -lduckdb
INSTALL_DUCKDB_LIBS := -L$(DEPS)/duckdb/lib -Wl,-rpath,'$$ORIGIN/../lib/snaplake' -lduckdb
INSTALL_DUCKDB_SO := $(DEPS)/duckdb/lib/libduckdb.so
endif

# -Wno-format-truncation: snprintf into fixed buffers truncates on purpose
# (paths and messages are bounded); gcc's guesses about it are noise.
GIT_HASH := $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
CFLAGS += -std=c11 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra -Werror -Wno-format-truncation -Isrc -I/usr/include/postgresql -I/usr/include/mariadb $(DUCKDB_CFLAGS) -MMD -MP
OTHER_LIBS := -lpq -lmariadb -lsqlite3 -lyaml -ljansson -lcurl -lcrypto -lzstd -lsnappy -lz -lpthread -lm
LDLIBS := $(DUCKDB_LIBS) $(OTHER_LIBS)
ifeq ($(SAN),1)
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Test programs the e2e scripts run (tests/tools/*.c), not tests themselves.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)

.PHONY: all deps demo test unit bench format clean install uninstall FORCE
all: $(BUILD)/snaplake

deps: $(STAMP)
$(STAMP): scripts/setup.sh
	@scripts/setup.sh
	@touch $@

$(BUILD)/%.o: %.c | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The build hash reaches only version.o, rebuilt when the hash changes.
$(BUILD)/build-hash: FORCE
	@mkdir -p $(dir $@)
	@echo '$(GIT_HASH)' | cmp -s - $@ || echo '$(GIT_HASH)' > $@
$(BUILD)/src/util/version.o: $(BUILD)/build-hash
$(BUILD)/src/util/version.o: CFLAGS += -DSL_BUILD='"$(GIT_HASH)"'
FORCE:

$(BUILD)/libsnaplake.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/snaplake: $(BUILD)/src/main.o $(BUILD)/libsnaplake.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsnaplake.a tests/unit/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libsnaplake.a $(LDLIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libsnaplake.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libsnaplake.a $(LDLIBS)

unit: $(UNIT_BIN) $(TOOL_BIN)

# ------------------------------------------------------------------ install
# make install [PREFIX=/usr/local] [DESTDIR=]
#   PREFIX/bin/snaplake                      linked again: rpath $ORIGIN/../lib/snaplake
#   PREFIX/lib/snaplake/libduckdb.so         unless a system DuckDB is used
#   PREFIX/share/man/man1/snaplake.1
#   PREFIX/share/snaplake/examples/          `snaplake demo` finds shop/models there
# The rpath is relative to the binary, so the tree works at any PREFIX and
# from a DESTDIR staging folder alike.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL ?= install
BINDIR := $(DESTDIR)$(PREFIX)/bin
LIBDIR := $(DESTDIR)$(PREFIX)/lib/snaplake
MANDIR := $(DESTDIR)$(PREFIX)/share/man/man1
DATADIR := $(DESTDIR)$(PREFIX)/share/snaplake

$(BUILD)/install/snaplake: $(BUILD)/src/main.o $(BUILD)/libsnaplake.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(INSTALL_DUCKDB_LIBS) $(OTHER_LIBS)

install: $(BUILD)/install/snaplake
	$(INSTALL) -d $(BINDIR) $(MANDIR) $(DATADIR)/examples
	$(INSTALL) -m 755 $(BUILD)/install/snaplake $(BINDIR)/snaplake
	$(INSTALL) -m 644 docs/snaplake.1 $(MANDIR)/snaplake.1
	cp -R examples/. $(DATADIR)/examples/
ifneq ($(INSTALL_DUCKDB_SO),)
	$(INSTALL) -d $(LIBDIR)
	$(INSTALL) -m 644 $(INSTALL_DUCKDB_SO) $(LIBDIR)/libduckdb.so
endif

uninstall:
	rm -f $(BINDIR)/snaplake $(MANDIR)/snaplake.1 $(LIBDIR)/libduckdb.so
	rm -rf $(DATADIR)
	-rmdir $(LIBDIR) 2>/dev/null

demo: $(BUILD)/snaplake
	$(BUILD)/snaplake demo

test: $(BUILD)/snaplake $(UNIT_BIN) $(TOOL_BIN)
	@scripts/setup.sh --test
	@BUILD=$(BUILD) SAN=$(SAN) tests/run.sh

$(BUILD)/bench/duckdb_sql: bench/duckdb_sql.c | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/bench/writer_cpu: bench/writer_cpu.c $(BUILD)/libsnaplake.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libsnaplake.a $(LDLIBS)

bench: $(BUILD)/snaplake $(BUILD)/bench/duckdb_sql $(BUILD)/bench/writer_cpu
	BUILD=$(BUILD) bench/sqlite_export.sh $(ROWS)
	BUILD=$(BUILD) bench/writer.sh

format:
	clang-format -i $(shell find src tests bench -name '*.[ch]')

clean:
	rm -rf build build-san

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d

# ------------------------------------------------------------------ fuzzing
# make fuzz [FUZZ_SECONDS=30]  builds the libFuzzer targets tests/fuzz/fuzz_*.c
# with clang, ASan and UBSan, against the library compiled the same way into
# build-fuzz/ (apart from build/ and build-san/), then runs each for
# FUZZ_SECONDS.  tests/fuzz/corpus/<name> (fuzz_<name>.c) is copied into
# build-fuzz/corpus/<name>, which keeps what the fuzzer adds between runs;
# the seeds are never written.  Crashes land in build-fuzz/crashes/, logs in
# build-fuzz/<name>.log.  Not part of `make test` (tests/fuzz/README.md).
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Isrc -I/usr/include/postgresql -I/usr/include/mariadb $(DUCKDB_CFLAGS) -MMD -MP
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_STAMP := $(DEPS)/setup-fuzz.stamp

.PHONY: fuzz clean-fuzz
$(FUZZ_STAMP): scripts/setup.sh
	@scripts/setup.sh --fuzz
	@touch $@

$(FUZZ_BUILD)/%.o: %.c | $(STAMP) $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(FUZZ_BUILD)/libsnaplake.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libsnaplake.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
		$(FUZZ_BUILD)/libsnaplake.a $(LDLIBS)

fuzz: $(FUZZ_BIN)
	@failed=""; for name in $(FUZZ_NAMES); do \
	    corpus=$(FUZZ_BUILD)/corpus/$$name; log=$(FUZZ_BUILD)/$$name.log; \
	    mkdir -p $$corpus $(FUZZ_BUILD)/crashes; \
	    cp tests/fuzz/corpus/$$name/* $$corpus/; \
	    echo "fuzz: fuzz_$$name for $(FUZZ_SECONDS)s (log: $$log)"; \
	    if $(FUZZ_BUILD)/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crashes/$$name- \
	        $$corpus >$$log 2>&1; then \
	        grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)' $$log; \
	    else \
	        tail -n 60 $$log; failed="$$failed fuzz_$$name"; \
	    fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed"; exit 1; fi; echo "fuzz: all passed"

clean-fuzz:
	rm -rf $(FUZZ_BUILD)
clean: clean-fuzz

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BIN:=.d)
