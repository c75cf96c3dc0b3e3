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

SOCK_CFLAGS = -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Iinclude -MMD -MP
# Unit tests must reach the --wrap'ed calls: no inlining, no __read_chk.
TEST_CFLAGS = -O0 -g -U_FORTIFY_SOURCE

B := build

LIB_SRCS  := src/sock_calls.c src/sock_addr.c src/sock_open.c src/sock_io.c \
             src/sock_trace.c src/sock_err.c
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(B)/obj/%.o)
LIB       := $(B)/libsock.a

# The same library built the tests' way, so the wraps are always hit.
TLIB_OBJS := $(LIB_SRCS:src/%.c=$(B)/tobj/%.o)
TLIB      := $(B)/tobj/libsock-test.a

# Calls the unit tests may fake (tests/mock_syscalls.c).
WRAPS := socket bind listen accept connect recv send close getaddrinfo \
         freeaddrinfo poll getsockopt setsockopt
WRAP_LDFLAGS := $(foreach w,$(WRAPS),-Wl,--wrap=$(w))

CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

UNIT_TESTS := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_sock_*.c))
TESTS      := $(UNIT_TESTS)

MAN1 := $(wildcard docs/*.1)
MAN3 := $(wildcard docs/*.3)

.PHONY: all test demo install uninstall clean
.SECONDARY:

all: $(LIB)

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(B)/obj/%.o: src/%.c | $(B)/obj
	$(CC) $(CPPFLAGS) $(SOCK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(TLIB): $(TLIB_OBJS)
	$(AR) rcs $@ $^

$(B)/tobj/%.o: src/%.c | $(B)/tobj
	$(CC) $(CPPFLAGS) $(SOCK_CFLAGS) $(CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(B)/tests/%.o: tests/%.c $(B)/.cmocka-ok | $(B)/tests
	$(CC) $(CPPFLAGS) $(SOCK_CFLAGS) -Isrc -Itests $(CMOCKA_CFLAGS) $(CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(B)/tests/test_%: $(B)/tests/test_%.o $(B)/tests/mock_syscalls.o $(TLIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(WRAP_LDFLAGS) $(CMOCKA_LIBS) $(LDLIBS)

# Install cmocka if it is missing (or say how), once per build tree.
$(B)/.cmocka-ok: tests/ensure-cmocka.sh | $(B)
	sh tests/ensure-cmocka.sh "$(CC)"
	touch $@

$(B) $(B)/obj $(B)/tobj $(B)/tests:
	mkdir -p $@

# Run every suite, even after a failure, and fail if any failed.
test: $(TESTS)
	@failed=""; \
	for t in $(TESTS); do \
		echo "== $$t"; \
		./$$t || failed="$$failed $${t##*/}"; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED suites:$$failed"; exit 1; fi; \
	echo "All test suites passed."

demo:
	@echo "make demo will run tcp-server and a scripted tcp-client side by side"
	@echo "once the programs exist (see README.md); libsock builds with: make"

$(B)/libsock.pc: include/libsock.h | $(B)
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCDIR)' 'libdir=$(LIBDIR)' '' \
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

-include $(LIB_OBJS:.o=.d) $(TLIB_OBJS:.o=.d) $(wildcard $(B)/tests/*.d)
