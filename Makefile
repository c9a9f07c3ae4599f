# ROP: a plain Makefile.  `make` builds everything, `make run` starts a
# local stack under ./var, `make test` runs every test, `make check-san`
# runs the same tests against AddressSanitizer + UBSan builds.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/rop
DATADIR    ?= $(PREFIX)/share/rop
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
DESTDIR    ?=

CC         ?= cc
PKGS        = libpq hiredis json-c fcgi libcrypto libcrypt libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN        = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
              -Wshadow -Wpointer-arith -Wwrite-strings
OPT        ?= -O2
CFLAGS     ?= $(OPT) -g
CFLAGS     += -std=c11 $(WARN)
CPPFLAGS   += -D_FORTIFY_SOURCE=2 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Ilib $(PKG_CFLAGS)
LDLIBS     += $(PKG_LIBS) -lm

# `make SAN=1 B=build-san` is the sanitizer build.
B          ?= build
ifeq ($(SAN),1)
OPT         = -O1
CFLAGS     += -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

LIB_SRC    := $(wildcard lib/*.c lib/domain/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=$(B)/%.o)
LIB_A      := $(B)/librop.a
# Every program, from the one list (fcgi-apps/APPS; mk/apps.mk).
APPS       := $(shell awk '/^[a-z]/ { print $$1 }' fcgi-apps/APPS)
APP_BIN    := $(APPS:%=$(B)/bin/rop-%)
UNIT_SRC   := $(wildcard tests/unit/*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%.t)

ALL_EXTRA  :=
TEST_EXTRA :=
-include mk/*.mk

.PHONY: all run stop test unit integration check-domain check-systemd \
        check-san install clean bench deps
.SUFFIXES:

all: $(APP_BIN) $(UNIT_BIN) $(ALL_EXTRA)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(B)/bin/rop-%: $(B)/fcgi-apps/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

$(B)/tests/unit/%.t: $(B)/tests/unit/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

-include $(wildcard $(B)/lib/*.d $(B)/lib/domain/*.d $(B)/fcgi-apps/*.d $(B)/tests/unit/*.d)

# --- running ---------------------------------------------------------

# run, test, check-san and bench first make sure the Debian packages are
# here (scripts/deps: installs them as root, else prints the apt-get line
# and stops), then build in a new make: this one computed PKG_CFLAGS and
# PKG_LIBS with pkg-config before deps could install it.
run: deps
	$(MAKE) --no-print-directory all
	scripts/rop-stack start --dir "$(CURDIR)/var" --bin "$(CURDIR)/$(B)/bin" \
	    --http $${ROP_HTTP_PORT:-8080} --https $${ROP_HTTPS_PORT:-8443} \
	    --internal $${ROP_INTERNAL_PORT:-8081} \
	    --workers $${ROP_WORKERS:-4} --demo

stop:
	scripts/rop-stack stop --dir "$(CURDIR)/var"

# --- tests -----------------------------------------------------------

deps:
	scripts/deps

test: deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory check-domain check-systemd unit integration $(TEST_EXTRA)

unit: $(UNIT_BIN)
	prove -e '' $(UNIT_BIN)

# Every JSON response the integration tests receive is recorded, then
# validated against docs/openapi.yaml (the contract test).
CONTRACT_LOG = $(CURDIR)/tests/out/contract-$(B).jsonl
integration: $(APP_BIN) $(ALL_EXTRA)
	@mkdir -p tests/out
	@rm -f $(CONTRACT_LOG)
	ROP_BIN="$(CURDIR)/$(B)/bin" ROP_CONTRACT_LOG=$(CONTRACT_LOG) \
	    prove -j2 tests/integration/
	prove -e node tests/contract/validate.mjs :: $(CONTRACT_LOG)

# lib/domain includes only libc and itself; nothing includes an app or
# a .c file.
check-domain:
	scripts/check-includes
	scripts/check-includes --self-test

check-systemd:
	scripts/check-systemd

check-san: deps
	$(MAKE) --no-print-directory SAN=1 B=build-san all
	$(MAKE) --no-print-directory SAN=1 B=build-san unit integration

bench: deps
	$(MAKE) --no-print-directory all bench-tools
	bench/run

# --- installing ------------------------------------------------------

# nginx files that are the admin's: SYSCONFDIR/rop/nginx-<name>.conf.
NGINX_ADMIN = listen internal-listen trusted-proxies rate-limits

install: all
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/sql/seed \
	    $(DESTDIR)$(DATADIR)/nginx/routes $(DESTDIR)$(DATADIR)/nginx/snippets \
	    $(DESTDIR)$(DATADIR)/html $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/rop $(DESTDIR)$(BINDIR)
	install -m 0755 $(APP_BIN) $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 scripts/rop-migrate $(DESTDIR)$(BINDIR)/rop-migrate
	install -m 0644 sql/*.sql $(DESTDIR)$(DATADIR)/sql/
	install -m 0644 sql/seed/*.sql $(DESTDIR)$(DATADIR)/sql/seed/
	install -m 0644 $(filter-out $(NGINX_ADMIN:%=nginx/%.conf),$(wildcard nginx/*.conf)) \
	    $(DESTDIR)$(DATADIR)/nginx/
	install -m 0644 $(B)/gen/upstreams.conf $(DESTDIR)$(DATADIR)/nginx/
	install -m 0644 fcgi-apps/APPS $(DESTDIR)$(DATADIR)/APPS
	install -m 0644 nginx/routes/*.conf $(DESTDIR)$(DATADIR)/nginx/routes/
	install -m 0644 nginx/snippets/*.conf $(DESTDIR)$(DATADIR)/nginx/snippets/
	# Installed, the includes are absolute, so rop.conf works included
	# from any nginx.conf; the listeners, trusted proxies and rate limits
	# are the admin's, in SYSCONFDIR (never overwritten).
	sed -i -E -e 's#^([[:space:]]*include[[:space:]]+)(fastcgi\.conf|login-exempt\.conf|internal\.conf|snippets/|routes/)#\1$(DATADIR)/nginx/\2#' \
	    -e 's#^([[:space:]]*include[[:space:]]+)(listen|internal-listen|trusted-proxies|rate-limits)\.conf#\1$(SYSCONFDIR)/rop/nginx-\2.conf#' \
	    $(DESTDIR)$(DATADIR)/nginx/*.conf $(DESTDIR)$(DATADIR)/nginx/routes/*.conf \
	    $(DESTDIR)$(DATADIR)/nginx/snippets/*.conf
	for f in $(NGINX_ADMIN); do \
	    test -e $(DESTDIR)$(SYSCONFDIR)/rop/nginx-$$f.conf || \
	    sed 's#/usr/local/share/rop#$(DATADIR)#' nginx/$$f.conf \
	    > $(DESTDIR)$(SYSCONFDIR)/rop/nginx-$$f.conf || exit 1; \
	done
	cp -R nginx/html/. $(DESTDIR)$(DATADIR)/html/
	install -m 0644 systemd/*.service systemd/*.socket systemd/*.timer \
	    systemd/*.target $(DESTDIR)$(UNITDIR)/
	install -m 0644 systemd/rop.sysusers $(DESTDIR)$(SYSUSERSDIR)/rop.conf
	install -m 0644 systemd/rop.env.example $(DESTDIR)$(DATADIR)/rop.env.example
	test -e $(DESTDIR)$(SYSCONFDIR)/rop/rop.env || \
	    install -m 0640 systemd/rop.env.example $(DESTDIR)$(SYSCONFDIR)/rop/rop.env

clean:
	rm -rf build build-san

# The schema version this build expects: the highest sql/NNN_*.sql.
SCHEMA_VERSION := $(shell ls sql/[0-9][0-9][0-9]_*.sql 2>/dev/null | sed 's|sql/0*\([0-9][0-9]*\)_.*|\1|' | sort -n | tail -1)
CPPFLAGS += -I$(B)/gen
$(B)/gen/rop_schema.h: FORCE
	@mkdir -p $(dir $@)
	@printf '/* Generated by make from sql/: do not edit. */\n#define ROP_SCHEMA_VERSION %s\n' \
	    "$(or $(SCHEMA_VERSION),0)" > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@
$(B)/fcgi-apps/health.o: $(B)/gen/rop_schema.h
.PHONY: FORCE
FORCE:
