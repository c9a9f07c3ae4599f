/*
 * fuzz/cursor: the keyset cursor decoder (lib/rop_cursor.c),
 * which reads the client-controlled ?cursor= of the order lists.
 *
 * Invariants besides memory safety: only canonical cursors decode (a
 * decoded cursor encodes back to the same text), decoded values are a
 * time >= 0 and an id; and every (time, id) the encoder takes decodes
 * back to itself.
 */
#include <stdint.h>

#include "rop_cursor.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, oid[65], again[ROP_CURSOR_BUFSZ], oid2[65];
	int64_t		 ms, ms2;

	if (size > 4096)
		return 0;
	s = fuzz_strndup(data, size);
	if (rop_cursor_decode(s, &ms, oid) == 0) {
		if (ms < 0 || !rop_text_is_id(oid))
			fuzz_fail("decoded a bad key", s);
		if (rop_cursor_encode(again, ms, oid) == -1 ||
		    strcmp(again, s) != 0)
			fuzz_fail("decoded a non-canonical cursor", s);
	}
	/* The other way: 8 bytes of time, the rest an order id. */
	if (size >= 8) {
		memcpy(&ms, data, 8);
		if (rop_cursor_encode(again, ms, s + 8) == 0) {
			if (strlen(again) >= ROP_CURSOR_BUFSZ)
				fuzz_fail("cursor longer than its buffer",
				    again);
			if (rop_cursor_decode(again, &ms2, oid2) == -1 ||
			    ms2 != ms || strcmp(oid2, s + 8) != 0)
				fuzz_fail("an encoded cursor does not decode",
				    again);
		}
	}
	free(s);
	return 0;
}
