# mk/outbox.mk: tests/outbox/burst, one transaction of N events through
# the library's outbox (lib/rop_event.h), which
# tests/integration/78-outbox.t runs against its private stack (no route
# emits more than one event per transaction).  Built with `make`.

OUTBOX_BURST = $(B)/tests/outbox/burst

ALL_EXTRA += $(OUTBOX_BURST)

$(OUTBOX_BURST): $(B)/tests/outbox/burst.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

-include $(wildcard $(B)/tests/outbox/*.d)
