# mk/fuzz.mk: libFuzzer targets under ASan + UBSan (issue 8).
#
#   make fuzz          run every target for FUZZ_SECS (default 60) seconds
#   make fuzz-smoke    the same for 10 seconds each
#   make fuzz-build    only build them (build/fuzz/fuzz-<target>)
#   make fuzz-one T=json FUZZ_SECS=600    one target, longer
#
# Targets are fuzz/<target>.c; their seeds are fuzz/corpus/<target>/
# (committed; small, hand-made).  A run works on a copy of the seeds in
# build/fuzz/corpus/<target>/ so the committed corpus stays as written,
# and any crash, leak, UB report or broken invariant leaves its input in
# build/fuzz/artifacts/ and fails the make.  Reproduce one with
#   build/fuzz/fuzz-<target> build/fuzz/artifacts/<target>-crash-...
# then turn it into tests/unit/regress_<name>.c.
#
# clang builds the librop sources it needs itself (instrumented), next
# to and independent of the gcc build.  `make test` runs `make fuzz`
# (TEST_EXTRA): 5 targets x 60 s, about 5.5 minutes.

FUZZ_CC      ?= clang
FUZZ_SECS    ?= 60
FUZZ_B        = build/fuzz
FUZZ_TARGETS  = json order_draft auth_token cursor fcgi_req
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -g -O1 -Wall -Wextra $(FUZZ_SAN) -D_DEFAULT_SOURCE -D_GNU_SOURCE \
                -Ilib -Ifuzz $(PKG_CFLAGS)
# Every target links librop, built here; none includes a source file
# (scripts/check-includes).
FUZZ_LIB_SRC := $(wildcard lib/*.c lib/domain/*.c)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_B)/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz-%)
FUZZ_OPTS     = -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
                -print_final_stats=1 -detect_leaks=1

TEST_EXTRA   += fuzz

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-one fuzz-deps

# clang with its libFuzzer runtime (Debian: clang libclang-rt-dev);
# installed as root like scripts/deps does, else the line is printed.
fuzz-deps:
	@if printf 'int LLVMFuzzerTestOneInput(const char*d,unsigned long n){(void)d;(void)n;return 0;}' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    echo "fuzz: installing clang libclang-rt-dev"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	        clang libclang-rt-dev >/dev/null; \
	else \
	    echo "fuzz: clang with libFuzzer missing; run:" >&2; \
	    echo "  sudo apt-get install -y clang libclang-rt-dev" >&2; exit 1; \
	fi

$(FUZZ_B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_B)/libropfuzz.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $(FUZZ_LIB_OBJ)

$(FUZZ_B)/fuzz-%: $(FUZZ_B)/fuzz/%.o $(FUZZ_B)/libropfuzz.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_B)/libropfuzz.a $(PKG_LIBS) -lm

-include $(wildcard $(FUZZ_B)/lib/*.d $(FUZZ_B)/lib/domain/*.d $(FUZZ_B)/fuzz/*.d)

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# One target: fresh working corpus from the seeds, run, fail on a finding.
fuzz-one:
	@test -n "$(T)" || { echo "usage: make fuzz-one T=<target>" >&2; exit 2; }
	@rm -rf $(FUZZ_B)/corpus/$(T); mkdir -p $(FUZZ_B)/corpus/$(T) $(FUZZ_B)/artifacts
	@echo "fuzz: $(T) for $(FUZZ_SECS) s"
	@$(FUZZ_B)/fuzz-$(T) $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECS) \
	    -artifact_prefix=$(FUZZ_B)/artifacts/$(T)- \
	    $(if $(wildcard fuzz/$(T).dict),-dict=fuzz/$(T).dict) \
	    $(FUZZ_B)/corpus/$(T) fuzz/corpus/$(T) \
	    > $(FUZZ_B)/$(T).log 2>&1 || \
	    { tail -n 60 $(FUZZ_B)/$(T).log >&2; echo "fuzz: $(T) FAILED (log: $(FUZZ_B)/$(T).log)" >&2; exit 1; }
	@grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' $(FUZZ_B)/$(T).log | \
	    sed 's/^/fuzz: $(T): /'

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    $(MAKE) --no-print-directory fuzz-one T=$$t FUZZ_SECS=$(FUZZ_SECS) || exit 1; \
	done

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECS=10
