# mk/default-goal.mk: plain `make` builds `all`.
#
# The top-level Makefile includes mk/*.mk before its `all:` rule, so the
# first rule of a fragment (docs.mk's `docs:`) would otherwise become
# the default goal and `make` would build only that.
.DEFAULT_GOAL := all
