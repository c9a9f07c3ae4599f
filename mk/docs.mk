# mk/docs.mk: the published API contract (issue 9).
#
#   make docs               copy the contract and Redoc into nginx/html/docs/,
#                           where nginx serves the reference at /docs/
#   make test-openapi-lint  lint docs/openapi.yaml (no errors, no warnings) and
#                           self-test the contract validator, under prove
#
# The contract test proper (tests/contract/validate.mjs over the responses the
# integration tests record) runs with the integration tests.
#
# Included by the top-level Makefile, which defines ALL_EXTRA and TEST_EXTRA.

DOCS_OUT =	nginx/html/docs
DOCS_GEN =	$(DOCS_OUT)/openapi.yaml $(DOCS_OUT)/asyncapi.yaml \
		$(DOCS_OUT)/redoc.standalone.js $(DOCS_OUT)/redoc-search.worker.js
NODE_STAMP =	node_modules/.package-lock.json
# Redocly CLI: no telemetry, no update check (CI runs offline).
REDOCLY_ENV =	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

ALL_EXTRA +=	docs
TEST_EXTRA +=	test-openapi-lint

.PHONY: docs test-openapi-lint

docs: $(DOCS_GEN)

# npm writes node_modules/.package-lock.json on install, so this runs only when
# node_modules is missing or package-lock.json changed.
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(DOCS_OUT)/openapi.yaml: docs/openapi.yaml
	cp docs/openapi.yaml $@

$(DOCS_OUT)/asyncapi.yaml: docs/asyncapi.yaml
	cp docs/asyncapi.yaml $@

$(DOCS_OUT)/redoc.standalone.js: $(NODE_STAMP)
	cp node_modules/redoc/bundles/redoc.standalone.js $@

# Redoc's search worker as a file: the pages' CSP refuses the blob: URL Redoc
# starts it from (nginx/html/docs/csp-shim.js starts this file instead).
$(DOCS_OUT)/redoc-search.worker.js: $(DOCS_OUT)/redoc.standalone.js scripts/redoc-worker
	node scripts/redoc-worker $(DOCS_OUT)/redoc.standalone.js $@

test-openapi-lint: $(NODE_STAMP)
	$(REDOCLY_ENV) npx --no-install redocly lint docs/openapi.yaml
	prove -e node tests/contract/selftest.mjs
