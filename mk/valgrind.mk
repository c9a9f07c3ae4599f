# mk/valgrind.mk: valgrind memcheck over a few thousand requests (issue 8).
#
#   make valgrind      tests/valgrind/memcheck.t: a private stack whose
#                      orders, kitchen, tables, payments, menu, events and
#                      auth apps each run one worker under memcheck; mixed
#                      traffic; fails on any error or definitely lost byte
#                      (about 2 minutes).  VG_APPS="orders" narrows it.
#
# Part of `make test` (TEST_EXTRA).  build/valgrind/leak is the control:
# a program that leaks, whose report the test must see fail.  It is
# built at -O0 so the compiler keeps the leak and the uninitialised read.

VG_CONTROL = $(B)/valgrind/leak

TEST_EXTRA += valgrind

.PHONY: valgrind

$(VG_CONTROL): tests/valgrind/leak.c
	@mkdir -p $(dir $@)
	$(CC) -O0 -g -o $@ $<

valgrind: all $(VG_CONTROL)
	VG_CONTROL="$(CURDIR)/$(VG_CONTROL)" ROP_BIN="$(CURDIR)/$(B)/bin" \
	    prove -v tests/valgrind/memcheck.t
