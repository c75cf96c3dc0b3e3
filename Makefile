# Makefile - libsock, tcp-server and tcp-client.  GNU make.
# Everything built goes under build/.  CC, CFLAGS, CPPFLAGS, LDFLAGS and
# LDLIBS are the user's; the project's own flags live in SOCK_CFLAGS.
# SPDX-License-Identifier: MIT

CFLAGS   ?= -O2 -g
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
INCDIR   ?= $(PREFIX)/include
LIBDIR   ?= $(PREFIX)/lib
MANDIR   ?= $(PREFIX)/share/man
PKGDIR   ?= $(LIBDIR)/pkgconfig

VERSION  := $(shell sed -n 's/^\#define LIBSOCK_VERSION "\(.*\)"/\1/p' include/libsock.h)

SOCK_CFLAGS = -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -MMD -MP
# tcp-server writes its log from a thread of its own (src/server/logq.c).
SERVER_LDLIBS = -pthread
# Unit tests must reach the --wrap'ed calls: no inlining, no __read_chk.
TEST_CFLAGS = -O0 -g -U_FORTIFY_SOURCE

B := build

# One line per step ("CC src/server/conn.c"); make V=1 shows the commands.
ifneq ($(V),1)
Q         := @
QUIET_CC   = @printf '  %-4s %s\n' CC $<;
QUIET_AR   = @printf '  %-4s %s\n' AR $@;
QUIET_LINK = @printf '  %-4s %s\n' LINK $@;
endif

# The house (docs/architecture.md): one folder per product, each built
# with only the headers it may use, so that crossing a boundary does not
# compile.  libsock sees its own private headers; the programs see
# libsock's public header, what both share (common/) and their own folder.
INC_libsock := -Iinclude -Isrc/libsock
INC_common  := -Iinclude -Isrc/common
INC_server  := -Iinclude -Isrc/common -Isrc/server
INC_client  := -Iinclude -Isrc/common -Isrc/client
INC_watch   := -Iinclude -Isrc/common -Isrc/watch
# The folder of src/FOLDER/FILE, from the stem FOLDER/FILE.
folder = $(firstword $(subst /, ,$(1)))

# Each program is its folder's files, what both share, and libsock.  A
# file added to a folder is built and linked; main() is in tcp-*.c.
LIB_SRCS    := $(wildcard src/libsock/*.c)
COMMON_SRCS := $(wildcard src/common/*.c)
SERVER_SRCS := $(wildcard src/server/*.c)
CLIENT_SRCS := $(wildcard src/client/*.c)
WATCH_SRCS  := $(wildcard src/watch/*.c)
MAINS       := src/server/tcp-server.c src/client/tcp-client.c src/watch/tcp-watch.c

obj = $(patsubst src/%.c,$(B)/$(1)/%.o,$(2))
LIB         := $(B)/libsock.a
LIB_OBJS    := $(call obj,obj,$(LIB_SRCS))
SERVER_OBJS := $(call obj,obj,$(SERVER_SRCS) $(COMMON_SRCS))
CLIENT_OBJS := $(call obj,obj,$(CLIENT_SRCS) $(COMMON_SRCS))
WATCH_OBJS  := $(call obj,obj,$(WATCH_SRCS) $(COMMON_SRCS))
PROGRAMS    := $(B)/tcp-server $(B)/tcp-client $(B)/tcp-watch

# The same code built the tests' way, so the wraps are always hit: the
# library, and the programs' modules without their main().
TLIB_OBJS := $(call obj,tobj,$(LIB_SRCS))
TLIB      := $(B)/tobj/libsock-test.a
TAPP_OBJS := $(call obj,tobj,$(filter-out $(MAINS),$(COMMON_SRCS) $(SERVER_SRCS) $(CLIENT_SRCS) $(WATCH_SRCS)))
TAPP      := $(B)/tobj/libapp-test.a

# Calls the unit tests may fake (tests/support/mock_syscalls.c).
WRAPS := socket bind listen accept accept4 connect recv send close getaddrinfo \
         freeaddrinfo poll getsockopt setsockopt shutdown recvfrom sendto
WRAP_LDFLAGS := $(foreach w,$(WRAPS),-Wl,--wrap=$(w))

CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# Tests mirror the source: unit suites drive one module in this process
# (the kernel's failures scripted with --wrap); end-to-end suites run the
# real programs over loopback; support/ is what they share.
UNIT_TESTS := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
E2E_TESTS  := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/e2e/test_*.c))
TESTS      := $(UNIT_TESTS) $(E2E_TESTS)
SUPPORT_OBJS := $(patsubst tests/%.c,$(B)/tests/%.o,$(wildcard tests/support/*.c))
TEST_INC   := -Iinclude -Isrc/libsock -Isrc/common -Isrc/server -Isrc/client -Isrc/watch \
              -Itests/support

MAN1 := $(wildcard docs/*.1)
MAN3 := $(wildcard docs/*.3)

.PHONY: all test demo install uninstall clean check analyse fuzz coverage man-check docs-check docs-update docs-pointers FORCE
.SECONDARY:

all: $(LIB) $(PROGRAMS)

$(LIB): $(LIB_OBJS)
	$(QUIET_AR)$(AR) rcs $@ $^

$(B)/tcp-server: $(SERVER_OBJS) $(LIB) $(B)/.flags
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $(SERVER_OBJS) $(LIB) $(LDLIBS) $(SERVER_LDLIBS)

$(B)/tcp-client: $(CLIENT_OBJS) $(LIB) $(B)/.flags
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $(CLIENT_OBJS) $(LIB) $(LDLIBS)

$(B)/tcp-watch: $(WATCH_OBJS) $(LIB) $(B)/.flags
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $(WATCH_OBJS) $(LIB) $(LDLIBS)

# Everything is rebuilt when the compiler or any user flag changes, so a
# sanitizer build is just "make CFLAGS=... LDFLAGS=...".
FLAGS_NOW = $(CC) | $(CPPFLAGS) | $(CFLAGS) | $(LDFLAGS) | $(LDLIBS)
$(B)/.flags: FORCE
	@mkdir -p $(@D)
	@echo '$(FLAGS_NOW)' | cmp -s - $@ 2>/dev/null || echo '$(FLAGS_NOW)' >$@
FORCE:

$(B)/obj/%.o: src/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(SOCK_CFLAGS) $(INC_$(call folder,$*)) $(CFLAGS) -c -o $@ $<

$(TLIB): $(TLIB_OBJS)
	$(QUIET_AR)$(AR) rcs $@ $^

$(TAPP): $(TAPP_OBJS)
	$(QUIET_AR)$(AR) rcs $@ $^

$(B)/tobj/%.o: src/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(SOCK_CFLAGS) $(INC_$(call folder,$*)) $(CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

# TEST_SOURCE_DIR: the interop tests look for the article above it.
$(B)/tests/%.o: tests/%.c $(B)/.cmocka-ok $(B)/.flags
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(SOCK_CFLAGS) $(TEST_INC) $(CMOCKA_CFLAGS) $(CFLAGS) $(TEST_CFLAGS) \
	  -DTEST_SOURCE_DIR='"$(CURDIR)"' -c -o $@ $<

# Every test links the mocks and both archives (only what it uses is
# pulled in); end-to-end tests run the real programs, so build them too,
# and the shim they preload into a program to hold it inside one step
# (tests/support/preload/: never linked into a test or a program).
TEST_LINK = $(SUPPORT_OBJS) $(TAPP) $(TLIB)
TEST_SHIMS := $(patsubst tests/%.c,$(B)/tests/%.so,$(wildcard tests/support/preload/*.c))
$(B)/tests/%: $(B)/tests/%.o $(TEST_LINK) $(B)/.flags | $(PROGRAMS) $(TEST_SHIMS)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $< $(TEST_LINK) $(WRAP_LDFLAGS) $(CMOCKA_LIBS) $(LDLIBS) $(SERVER_LDLIBS)

$(B)/tests/support/preload/%.so: tests/support/preload/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) -std=c99 -Wall -Wextra -fPIC -shared -O1 -g \
	  -o $@ $< -ldl

# Install cmocka if it is missing (or say how), once per build tree.
$(B)/.cmocka-ok: tests/ensure-cmocka.sh
	@mkdir -p $(@D)
	sh tests/ensure-cmocka.sh "$(CC)"
	touch $@

# Run every suite, even after a failure; the last line sums them all
# ("N passed, N failed, N skipped"), and any failed suite fails make test.
# Every suite against the default design, then the suites of the
# exchange, limits, stop and trace against each other design (the
# iterative one skips what needs clients at once: it serves one at a
# time by design).
MODEL_SUITES = $(addprefix $(B)/tests/e2e/,test_tcp_server test_server_attacks \
               test_trace_mode test_local_exchange test_seqpacket)
MODEL_RUNS = $(foreach m,poll thread fork iterative,$(addprefix $(m):,$(MODEL_SUITES)))
# The suites run side by side (TEST_JOBS at a time, tests/run-suites.sh),
# the longest of the last run first.
test: $(TESTS)
	@TEST_TIMES=$(B)/tests/suite-times sh tests/run-suites.sh $(TESTS) $(MODEL_RUNS)

# A sanitizer or coverage build spends its time computing, not waiting:
# there, one suite per processor at a time, or the suites starve each
# other of the processor and their steps, not the programs, are late.
BUSY_TEST_JOBS = TEST_JOBS=$${TEST_JOBS:-$$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}

# make check: the whole suite under AddressSanitizer and
# UndefinedBehaviorSanitizer (memory and CPU bounds are not asserted there:
# TCP_SANITIZED), the exchange under valgrind memcheck, and the static
# analysers on the product's sources.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
# Each folder is analysed with its own include paths.  missingInclude: a
# project header cppcheck cannot find is reported (as "information",
# which --error-exitcode ignores, so any output at all fails the check):
# a header left out would silently narrow the analysis.  The system's
# headers are not the project's: cppcheck's own library stands for them.
CPPCHECK_FLAGS = -q --std=c99 -D_POSIX_C_SOURCE=200809L \
                 --enable=warning,style,performance,portability,missingInclude \
                 --suppress=missingIncludeSystem \
                 --inline-suppr --error-exitcode=1
# cert-err33-c (unchecked printf) is left out: a failed message to
# stderr has nowhere better to be reported.
TIDY_CHECKS = -*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,cert-err34-c,misc-redundant-expression,performance-*,portability-*

check: all
	$(MAKE) B=$(B)/asan CFLAGS='$(SAN_FLAGS)' LDFLAGS='$(SAN_FLAGS)' all
	TCP_SANITIZED=1 TCP_BIN_DIR=$(B)/asan ASAN_OPTIONS=detect_leaks=1 $(BUSY_TEST_JOBS) \
	  $(MAKE) B=$(B)/asan CFLAGS='$(SAN_FLAGS)' LDFLAGS='$(SAN_FLAGS)' \
	  MODEL_SUITES='$(B)/asan/tests/e2e/test_tcp_server $(B)/asan/tests/e2e/test_trace_mode' test
	sh tests/valgrind-exchange.sh $(B)
	@$(MAKE) --no-print-directory analyse
	@echo "make check: sanitizers, valgrind, cppcheck and clang-tidy all clean."

# make analyse: cppcheck and clang-tidy on every folder of src/, each
# with the include paths its build uses (a part of make check).
analyse:
	@for d in libsock common server client watch; do \
	  case $$d in libsock) inc='$(INC_libsock)';; common) inc='$(INC_common)';; \
	    server) inc='$(INC_server)';; client) inc='$(INC_client)';; \
	    watch) inc='$(INC_watch)';; esac; \
	  echo "  CPPCHECK src/$$d"; mkdir -p $(B); \
	  out=$$(cppcheck $(CPPCHECK_FLAGS) $$inc src/$$d 2>&1) && [ -z "$$out" ] || \
	    { echo "$$out"; exit 1; }; \
	  echo "  TIDY     src/$$d"; \
	  clang-tidy -quiet --checks='$(TIDY_CHECKS)' --warnings-as-errors='*' \
	    src/$$d/*.c -- -std=c99 -D_POSIX_C_SOURCE=200809L $$inc 2>$(B)/tidy.err || \
	    { cat $(B)/tidy.err; exit 1; }; \
	done

# make coverage: the whole suite on a --coverage build in $(B)/cov (the
# programs the tests run included), then line and branch coverage of each
# file of src/ and the total, from gcovr.  The tests stop the programs
# with SIGTERM, so they exit normally and write their counts.  The
# counters are updated atomically: the server's threads (the log writer,
# a thread per client) would otherwise lose counts to each other, and a
# branch taken -2 times stops gcovr.
COV_FLAGS = -O0 -g --coverage -fprofile-update=atomic
coverage:
	@command -v gcovr >/dev/null 2>&1 || { \
	  echo "make coverage needs gcovr: apt-get install -y gcovr"; exit 1; }
	@mkdir -p $(B)/cov && find $(B)/cov -name '*.gcda' -delete
	$(MAKE) B=$(B)/cov CFLAGS='$(COV_FLAGS)' LDFLAGS=--coverage all
	TCP_BIN_DIR=$(B)/cov $(BUSY_TEST_JOBS) $(MAKE) B=$(B)/cov CFLAGS='$(COV_FLAGS)' \
	  LDFLAGS=--coverage test
	gcovr -r . --filter 'src/' --csv $(B)/cov/coverage.csv $(B)/cov
	@sh tests/coverage-table.sh $(B)/cov/coverage.csv

# make fuzz: libFuzzer (clang) on the line framer with the exchange, on
# each program's command line, and on tcp-watch's frames (parsed,
# tracked, drawn, put in order with the command's lines), FUZZ_SECONDS
# each, from the seeds in tests/fuzz/corpus.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_LINES_SRCS := tests/fuzz/fuzz_lines.c src/libsock/sock_io.c src/libsock/sock_calls.c \
                   src/libsock/sock_trace.c src/common/session.c src/common/escape.c
FUZZ_ARGS_SRCS  := tests/fuzz/fuzz_args.c src/common/args.c
FUZZ_FRAME_SRCS := tests/fuzz/fuzz_frame.c src/watch/frame.c src/watch/track.c \
                   src/watch/render.c src/watch/timeline.c src/common/fd_io.c
FUZZ_INC        := -Iinclude -Isrc/libsock -Isrc/common -Isrc/server -Isrc/client
FUZZ_TARGETS    := lines server_args client_args frame

$(B)/fuzz/fuzz_lines: $(FUZZ_LINES_SRCS) | $(B)/fuzz
	$(FUZZ_CC) -std=c99 -D_POSIX_C_SOURCE=200809L $(FUZZ_INC) $(FUZZ_FLAGS) \
	  -o $@ $(FUZZ_LINES_SRCS) -Wl,--wrap=recv

$(B)/fuzz/fuzz_server_args: $(FUZZ_ARGS_SRCS) src/server/server_args.c | $(B)/fuzz
	$(FUZZ_CC) -std=c99 -D_POSIX_C_SOURCE=200809L $(FUZZ_INC) $(FUZZ_FLAGS) \
	  -DFUZZ_SERVER -o $@ $(FUZZ_ARGS_SRCS) src/server/server_args.c

$(B)/fuzz/fuzz_client_args: $(FUZZ_ARGS_SRCS) src/client/client_args.c | $(B)/fuzz
	$(FUZZ_CC) -std=c99 -D_POSIX_C_SOURCE=200809L $(FUZZ_INC) $(FUZZ_FLAGS) \
	  -o $@ $(FUZZ_ARGS_SRCS) src/client/client_args.c

$(B)/fuzz/fuzz_frame: $(FUZZ_FRAME_SRCS) | $(B)/fuzz
	$(FUZZ_CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc/common -Isrc/watch \
	  $(FUZZ_FLAGS) -o $@ $(FUZZ_FRAME_SRCS)

$(B)/fuzz:
	mkdir -p $@

fuzz: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/fuzz/corpus-$$t; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		$(B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=5 \
		  -print_final_stats=1 $(B)/fuzz/corpus-$$t tests/fuzz/corpus/$$t \
		  2>$(B)/fuzz/fuzz_$$t.log || { tail -40 $(B)/fuzz/fuzz_$$t.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^stat::peak_rss' $(B)/fuzz/fuzz_$$t.log; \
	done

# make docs-check: every transcript in the docs is re-run and compared
# (tests/docs-check.sh says what is masked), and every pointer into src/
# still points at the code it quotes.  make docs-update writes fresh
# output into the transcripts, for a reviewed commit.
docs-check: all
	@bash tests/docs-check.sh $(B)

docs-update: all
	@bash tests/docs-check.sh --update $(B)

# make docs-pointers: only the pointers into src/, each moved to the one
# line that now holds its code (after code moved; review the diff).
docs-pointers:
	@bash tests/docs-check.sh --pointers $(B)

# make man-check: the manual pages in docs/ render without a groff
# warning and name every option of the programs' --help, their exit
# statuses and every function of libsock.h (needs groff: groff-base).
man-check: all
	@sh tests/man-check.sh $(B)

# The article's exchange in one terminal, both sides labelled.
demo: $(PROGRAMS)
	@sh docs/demo.sh $(B)

# make bench: loadgen and the yardstick server (bench/), built with the
# project's flags, measure every server design over loopback; the table
# goes into docs/performance.md (bench/README.md).  Neither links
# libsock: the code under test does not measure itself.
BENCH_PROGS := $(B)/bench/loadgen $(B)/bench/yardstick $(B)/bench/udp_abuse
.PHONY: bench bench-fork-stop
bench: $(PROGRAMS) $(BENCH_PROGS)
	bash bench/run.sh $(B)

# How long --model fork takes to stop with 1000 children (docs/robustness.md).
bench-fork-stop: $(PROGRAMS) $(B)/bench/fork_stop
	$(B)/bench/fork_stop $(B)/tcp-server 1000 5

# loadgen is its folder's files: a file added to bench/loadgen/ is
# built and linked.
LOADGEN_OBJS := $(patsubst bench/%.c,$(B)/bench/obj/%.o,$(wildcard bench/loadgen/*.c))

$(B)/bench/loadgen: $(LOADGEN_OBJS) $(B)/.flags
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $(LOADGEN_OBJS) $(LDLIBS)

$(B)/bench/obj/%.o: bench/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(SOCK_CFLAGS) $(CFLAGS) -c -o $@ $<

# A one-file tool (the yardstick), compiled and linked in one step.
$(B)/bench/%: bench/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) $(SOCK_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# A build tree from before loadgen had a folder holds a loadgen.d that
# names bench/loadgen.c, which is gone: it is not read.
-include $(filter-out $(B)/bench/loadgen.d,$(wildcard $(B)/bench/*.d)) \
         $(wildcard $(B)/bench/obj/*/*.d)

# libsock.pc names its directories from ${prefix}, so that
# "pkg-config --define-prefix" finds a staged or moved install.
# $(call pc_dir,DIR,VAR): DIR as ${VAR}/... when it lies under PREFIX,
# else as it is.
pc_dir = $(if $(filter $(PREFIX),$(1)),$${$(2)},$(if $(filter $(PREFIX)/%,$(1)),$${$(2)}$(patsubst $(PREFIX)%,%,$(1)),$(1)))

# Written on every run: PREFIX, INCDIR or LIBDIR may differ from last time.
$(B)/libsock.pc: FORCE
	@mkdir -p $(@D)
	printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' \
	  'includedir=$(call pc_dir,$(INCDIR),prefix)' \
	  'libdir=$(call pc_dir,$(LIBDIR),exec_prefix)' '' \
	  'Name: libsock' 'Description: small, careful TCP socket helpers' \
	  'Version: $(VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lsock' >$@

install: all $(B)/libsock.pc
	install -d $(DESTDIR)$(INCDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGDIR)
	install -m 644 include/libsock.h $(DESTDIR)$(INCDIR)/libsock.h
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libsock.a
	install -m 644 $(B)/libsock.pc $(DESTDIR)$(PKGDIR)/libsock.pc
	$(if $(PROGRAMS),install -d $(DESTDIR)$(BINDIR) && install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/)
	$(if $(MAN1),install -d $(DESTDIR)$(MANDIR)/man1 && install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN3),install -d $(DESTDIR)$(MANDIR)/man3 && install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/)

uninstall:
	rm -f $(DESTDIR)$(INCDIR)/libsock.h $(DESTDIR)$(LIBDIR)/libsock.a \
	      $(DESTDIR)$(PKGDIR)/libsock.pc \
	      $(foreach p,$(PROGRAMS),$(DESTDIR)$(BINDIR)/$(notdir $(p))) \
	      $(foreach m,$(MAN1),$(DESTDIR)$(MANDIR)/man1/$(notdir $(m))) \
	      $(foreach m,$(MAN3),$(DESTDIR)$(MANDIR)/man3/$(notdir $(m)))

clean:
	rm -rf $(B)

-include $(wildcard $(B)/obj/*/*.d $(B)/tobj/*/*.d $(B)/tests/*/*.d)
