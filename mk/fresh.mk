# mk/fresh.mk: the README's two commands on a pristine Debian 12 (issue 14).
#
#   make fresh-check                    as root: a minimal Debian 12 root
#                                       (debootstrap minbase, cached in
#                                       FRESH_CACHE), a clean checkout of HEAD
#                                       in it, then `make run` (health and the
#                                       demo login answer; `make stop`) and
#                                       `make test` inside, as root; PASS or
#                                       FAIL per command (scripts/fresh-check)
#   make fresh-check FRESH_STEPS=run    only `make run` (a few minutes)
#
# Not part of `make test` nor of CI (the full check takes ~30 minutes);
# run it before changing what a fresh machine needs.  Needs debootstrap
# and 127.0.0.1:8080/8443 free on this machine.

FRESH_STEPS ?=	run test
FRESH_CACHE ?=	/var/cache/rop-fresh

.PHONY: fresh-check

fresh-check:
	FRESH_STEPS="$(FRESH_STEPS)" FRESH_CACHE="$(FRESH_CACHE)" scripts/fresh-check
