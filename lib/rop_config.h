/*
 * rop_config: the process configuration, read once from ROP_*
 * environment variables (an EnvironmentFile under systemd) with
 * explicit defaults.  Secrets have no default: a program that needs
 * one refuses to start without it.
 */
#ifndef ROP_CONFIG_H
#define ROP_CONFIG_H
/* layer: adapter */

#include <stddef.h>

struct rop_config {
	char	 env[16];		/* ROP_ENV: "dev", "test", "prod" */
					/* ("production" is prod too) */
	char	 database_url[512];	/* ROP_DATABASE_URL */
	char	 redis_url[256];	/* ROP_REDIS_URL, "" disables Redis */
	int	 redis_timeout_ms;	/* ROP_REDIS_TIMEOUT_MS, 1..200 */
	char	 metrics_path[256];	/* ROP_METRICS_PATH, shared segment */
	char	 jwt_secret[256];	/* ROP_JWT_SECRET, >= 32 bytes */
	char	 table_secret[256];	/* ROP_TABLE_TOKEN_SECRET, >= 32 */
	int	 token_ttl;		/* ROP_TOKEN_TTL seconds */
	int	 table_token_ttl;	/* ROP_TABLE_TOKEN_TTL, 0: no expiry */
	char	 public_base[256];	/* ROP_PUBLIC_BASE_URL */
	char	 nchan_publish[256];	/* ROP_NCHAN_PUBLISH_URL (relay) */
	char	 payment_provider[32];	/* ROP_PAYMENT_PROVIDER, "fake" */
	int	 menu_ttl;		/* ROP_MENU_TTL seconds */
	int	 menu_recheck_ms;	/* ROP_MENU_RECHECK_MS */
};

#define ROP_CONFIG_SECRETS	0x01	/* require the token secrets */
/*
 * A program that takes payments: the built-in "fake" provider, which
 * approves every card, refuses to run in production (SPEC §15).
 */
#define ROP_CONFIG_PAYMENTS	0x02

/*
 * Fill "cfg" from the environment.  Returns 0, or -1 with a reason in
 * "why" (size "whysz") when a value is invalid or a required secret is
 * missing.
 */
int	 rop_config_load(struct rop_config *cfg, unsigned flags, char *why,
	    size_t whysz);

/* 1 when ROP_ENV names production: "prod" or "production". */
int	 rop_config_is_prod(const struct rop_config *cfg);

#endif /* ROP_CONFIG_H */
