/*
 * burst: one transaction that appends N events of restaurant RID
 * through the library's outbox (rop_event.h), for
 * tests/integration/78-outbox.t: no route emits more than one event
 * per transaction, so this is how a many-event transaction meets a
 * real Postgres, Redis and relay.
 *
 *	burst RID N [commit|rollback]
 *
 * The events are menu.updated with payload {"menuVersion": i} (1..N).
 * commit: the events are written (one statement), committed and
 * published; each event's seq is printed on a line.  rollback: written,
 * then rolled back; nothing is printed.  ROP_DATABASE_URL and
 * ROP_REDIS_URL say where.  Exit 0, or 1 with the error on stderr.
 */
#include <json-c/json.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_cache.h"
#include "rop_db.h"
#include "rop_err.h"
#include "rop_event.h"

int
main(int argc, char *argv[])
{
	struct rop_event_origin	 from = { NULL, "burst-1" };
	struct rop_outbox	 ob = { NULL, 0, 0 };
	struct rop_err		 err;
	struct rop_db		*db;
	struct rop_cache	*cache;
	struct json_object	*p;
	const char		*dburl = getenv("ROP_DATABASE_URL");
	const char		*rurl = getenv("ROP_REDIS_URL");
	long			 n, i;
	int			 commit, rc = 1;

	if (argc < 3 || dburl == NULL || rurl == NULL ||
	    (n = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: burst RID N [commit|rollback] "
		    "(ROP_DATABASE_URL, ROP_REDIS_URL)\n");
		return 2;
	}
	commit = argc < 4 || strcmp(argv[3], "rollback") != 0;
	memset(&err, 0, sizeof(err));
	if ((db = rop_db_new(dburl, "burst")) == NULL ||
	    (cache = rop_cache_new(rurl, 500)) == NULL) {
		fprintf(stderr, "burst: out of memory\n");
		return 1;
	}
	if (rop_db_begin(db, &err) == -1)
		goto out;
	for (i = 1; i <= n; i++) {
		if ((p = json_object_new_object()) == NULL ||
		    json_object_object_add(p, "menuVersion",
		    json_object_new_int64(i)) != 0) {
			json_object_put(p);
			rop_err_set(&err, ROP_ENOMEM, NULL, "payload");
			goto out;
		}
		if (rop_event_append(&ob, &err, &from, argv[1], "menu.updated",
		    NULL, p) == -1)
			goto out;
	}
	if (rop_event_write(&ob, db, &err) == -1)
		goto out;
	if (!commit) {
		rop_db_rollback(db);
		rop_event_discard(&ob);
		rc = 0;
		goto out;
	}
	if (rop_db_commit(db, &err) == -1)
		goto out;
	for (i = 0; i < n; i++)
		printf("%" PRId64 "\n", rop_event_seq(&ob, (size_t)i));
	rop_event_publish(&ob, cache, db, NULL, "burst", "test");
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "burst: %s %s\n", err.code ? err.code : "-",
		    err.msg);
	rop_db_rollback(db);
	rop_event_free(&ob);
	rop_cache_free(cache);
	rop_db_free(db);
	return rc;
}
