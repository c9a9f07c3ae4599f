# mk/soak.mk: load without loss (issue 8).
#
#   make soak                  tests/soak/soak.t for SOAK_SECS (300) seconds:
#                              mixed traffic, 200 live WebSocket subscribers,
#                              RSS and PostgreSQL connections sampled; TAP
#   make soak SOAK_SECS=60     a shorter run while developing
#
# Part of `make test` (TEST_EXTRA).  The subscriber tool is C
# (tests/soak/wssub.c): 200 sockets under poll(2) cost the machine
# little besides nginx.

SOAK_SECS ?= 300
SOAK_TOOLS = $(B)/soak/wssub

TEST_EXTRA += soak

.PHONY: soak soak-tools

soak-tools: $(SOAK_TOOLS)

# The WebSocket client is shared with the bench fan-out (mk/bench.mk).
$(B)/soak/wssub: tests/soak/wssub.c tests/lib/wsclient.c tests/lib/wsclient.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) $(LDFLAGS) -o $@ \
	    tests/soak/wssub.c tests/lib/wsclient.c

soak: all soak-tools
	SOAK_SECS=$(SOAK_SECS) SOAK_WSSUB="$(CURDIR)/$(SOAK_TOOLS)" \
	    ROP_BIN="$(CURDIR)/$(B)/bin" prove -v tests/soak/soak.t
