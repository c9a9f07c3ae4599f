# mk/bench.mk: the benchmark harness (issue 7).
#
#   make bench        every scenario and its floors, medians of BENCH_REPS
#                     (3) runs of BENCH_SECS (10) seconds; rewrites
#                     bench/RESULTS.md
#   make bench-smoke  every scenario for ~2 s, once, into a temporary file:
#                     fails only when the harness itself breaks (part of
#                     `make test`; no thresholds)
#
# Included by the top-level Makefile, which defines ALL_EXTRA, TEST_EXTRA
# and `bench` (scripts/deps, then `make all bench-tools`, then bench/run).

BENCH_TOOLS =	$(B)/bench/trivial $(B)/bench/wsfan

TEST_EXTRA +=	bench-smoke

.PHONY: bench-tools bench-smoke

bench-tools: $(BENCH_TOOLS)

$(B)/bench/trivial: bench/trivial.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $$(pkg-config --libs fcgi 2>/dev/null || echo -lfcgi)

# The WebSocket client is shared with the soak subscribers (mk/soak.mk).
$(B)/bench/wsfan: bench/wsfan.c tests/lib/wsclient.c tests/lib/wsclient.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) $(LDFLAGS) -o $@ \
	    bench/wsfan.c tests/lib/wsclient.c

bench-smoke: all bench-tools
	BENCH_SMOKE=1 BENCH_BIN="$(CURDIR)/$(B)/bin" \
	    BENCH_TOOLS="$(CURDIR)/$(B)/bench" bench/run
