# mk/e2e.mk: the web screens in headless Chromium (issue 6).
#
#   make test-e2e   tests/e2e/pages-smoke.mjs: the kitchen display and the
#                   table page against a fake backend (node, no stack);
#                   tests/e2e/live.mjs: both pages against a private real
#                   stack (scripts/rop-stack on free loopback ports, so
#                   `make run` on :8080 may keep running): guest order,
#                   kitchen within 2 s, accept/ready live on the guest
#                   page, relay kill and nginx restart with no missed order.
#
# Both print TAP; prove runs each with node.  Chromium is Debian's
# (/usr/bin/chromium, installed by scripts/deps; ROP_CHROMIUM overrides),
# driven by playwright-core from node_modules.  Screenshots are written to
# tests/out/screenshots/ (live-kitchen-1280x800.png, live-table-1920x1080.png…).
#
# Included by the top-level Makefile, which defines APP_BIN and TEST_EXTRA;
# node_modules/.package-lock.json is built by mk/docs.mk (npm ci).

TEST_EXTRA +=	test-e2e

.PHONY: test-e2e

test-e2e: $(APP_BIN) node_modules/.package-lock.json
	@mkdir -p tests/out/screenshots
	ROP_BIN="$(CURDIR)/$(B)/bin" prove -e node tests/e2e/pages-smoke.mjs tests/e2e/live.mjs
