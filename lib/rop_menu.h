/*
 * rop_menu: a restaurant's menu, read through a versioned Redis cache,
 * and the one menu change of SPEC §6 (an item's price or availability).
 *
 * Cache-aside with versioned keys:
 *	menu:{rid}:version	-> N (the restaurant's menu_version)
 *	menu:{rid}:v{N}		-> the exact GET response body of version N
 * both with a TTL of cfg.menu_ttl.  A cached body is sealed with its
 * version, length and checksum and served only when all three match;
 * anything else is rebuilt from PostgreSQL.  Each worker also keeps its
 * own copy of the bodies it served and serves one without asking Redis
 * for cfg.menu_recheck_ms after the version key last named its version,
 * unless the host's board (the rop_menu_version gauge in the shared
 * metrics segment) knows a newer one.  A change bumps menu_version in
 * its transaction and, after the commit, points the version key at the
 * new version and raises the board, so old bodies are simply never
 * read again.  Redis failures only cost a PostgreSQL read.
 */
#ifndef ROP_MENU_H
#define ROP_MENU_H
/* layer: area */

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct rop_ctx;

#define ROP_MENU_PRICE_MAX	10000000	/* cents */
#define ROP_MENU_ETAG_BUFSZ	40

/* A parsed PATCH body: which fields are given, and their values. */
struct rop_menu_patch {
	int		 has_available;
	int		 available;
	int		 has_price;
	int64_t		 price_cents;
	char		 currency[4];
};

/*
 * The menu of restaurant "rid": *body is a malloc'd JSON text the
 * caller frees (len bytes, NUL-terminated) of version *version.
 * Returns 0, or -1 with 404 RESTAURANT_NOT_FOUND or a database error
 * in the context.
 */
int	 rop_menu_get(struct rop_ctx *, const char *rid, char **body,
	    size_t *len, int64_t *version);

/*
 * Check a PATCH body {"isAvailable"?, "price"?} (at least one, nothing
 * else).  Returns 0, or -1 with VALIDATION_ERROR and details.field.
 * Borrows "body".
 */
int	 rop_menu_patch_parse(struct rop_ctx *, struct json_object *body,
	    struct rop_menu_patch *);

/*
 * Apply "pt" to item "iid" of "rid" in one transaction that bumps the
 * menu version and appends menu.updated; publish and repoint the cache
 * after the commit.  On success *item is a new object the caller owns
 * (json_object_put) and *version the new menu version.  Returns 0, or
 * -1: 404 RESTAURANT_NOT_FOUND / NOT_FOUND, 400 for a price in another
 * currency, or a database error; nothing is written then.
 */
int	 rop_menu_patch_apply(struct rop_ctx *, const char *rid,
	    const char *iid, const struct rop_menu_patch *pt,
	    struct json_object **item, int64_t *version);

/* Write the ETag of a version, quotes included: "menu-v7". */
void	 rop_menu_etag(char *buf, size_t bufsz, int64_t version);

/*
 * 1 when an If-None-Match value (a list, weak tags, or "*") names
 * "version", else 0.  NULL is 0.
 */
int	 rop_menu_etag_match(const char *inm, int64_t version);

#endif /* ROP_MENU_H */
