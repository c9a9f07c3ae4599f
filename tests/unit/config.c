/*
 * config: ROP_* environment to struct rop_config: explicit defaults,
 * bounded integers, bounded strings, and secrets that have no default
 * and are required with ROP_CONFIG_SECRETS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_config.h"
#include "../tap.h"

static const char *const vars[] = {
	"ROP_ENV", "ROP_DATABASE_URL", "ROP_REDIS_URL", "ROP_REDIS_TIMEOUT_MS",
	"ROP_METRICS_PATH", "ROP_JWT_SECRET", "ROP_TABLE_TOKEN_SECRET",
	"ROP_TOKEN_TTL", "ROP_TABLE_TOKEN_TTL", "ROP_PUBLIC_BASE_URL",
	"ROP_NCHAN_PUBLISH_URL", "ROP_PAYMENT_PROVIDER", "ROP_MENU_TTL", "ROP_MENU_RECHECK_MS", NULL
};

#define SECRET32	"0123456789abcdef0123456789abcdef"

static void	clean(void);
static int	load(unsigned, char *, size_t);
static void	refused(const char *, const char *, const char *);
static void	accepted(const char *, const char *, const char *);

static struct rop_config	 cfg;

static void
clean(void)
{
	int	 i;

	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
}

static int
load(unsigned flags, char *why, size_t whysz)
{
	why[0] = '\0';
	return rop_config_load(&cfg, flags, why, whysz);
}

/* Setting var=val alone makes the load fail, naming var. */
static void
refused(const char *var, const char *val, const char *name)
{
	char	 why[256];

	clean();
	setenv(var, val, 1);
	ok(load(0, why, sizeof(why)) == -1 && strstr(why, var) != NULL,
	    "%s=%s refused: %s", var, val, name);
	clean();
}

static void
accepted(const char *var, const char *val, const char *name)
{
	char	 why[256];

	clean();
	setenv(var, val, 1);
	ok(load(0, why, sizeof(why)) == 0, "%s=%s accepted: %s", var, val,
	    name);
	clean();
}

int
main(void)
{
	char	 why[256], big[1024];

	clean();
	ok(load(0, why, sizeof(why)) == 0, "an empty environment loads");
	is_str(cfg.env, "prod", "ROP_ENV defaults to prod");
	is_str(cfg.database_url, "postgresql:///rop", "database default");
	is_str(cfg.redis_url, "redis://127.0.0.1:6379", "redis default");
	is_int(cfg.redis_timeout_ms, 200, "redis timeout default 200 ms");
	is_str(cfg.metrics_path, "/run/rop/metrics", "metrics segment default");
	is_str(cfg.jwt_secret, "", "no default JWT secret");
	is_str(cfg.table_secret, "", "no default table token secret");
	is_int(cfg.token_ttl, 12 * 3600, "token TTL default 12 h");
	is_int(cfg.table_token_ttl, 0, "table tokens do not expire by default");
	is_str(cfg.public_base, "http://127.0.0.1:8080", "public base default");
	is_str(cfg.nchan_publish, "http://127.0.0.1:8081/_nchan/pub",
	    "nchan publisher default");
	is_str(cfg.payment_provider, "fake", "payment provider default");
	is_int(cfg.menu_ttl, 300, "menu cache TTL default 300 s");
	is_int(cfg.menu_recheck_ms, 1000, "menu recheck default 1000 ms");

	setenv("ROP_ENV", "test", 1);
	setenv("ROP_DATABASE_URL", "postgresql://rop@/rop?host=/tmp&port=5", 1);
	setenv("ROP_REDIS_URL", "", 1);
	setenv("ROP_REDIS_TIMEOUT_MS", "50", 1);
	setenv("ROP_MENU_TTL", "", 1);
	setenv("ROP_TABLE_TOKEN_TTL", "3600", 1);
	ok(load(0, why, sizeof(why)) == 0, "explicit values load");
	is_str(cfg.env, "test", "ROP_ENV read");
	is_str(cfg.database_url, "postgresql://rop@/rop?host=/tmp&port=5",
	    "ROP_DATABASE_URL read");
	is_str(cfg.redis_url, "", "an empty ROP_REDIS_URL disables Redis");
	is_int(cfg.redis_timeout_ms, 50, "ROP_REDIS_TIMEOUT_MS read");
	is_int(cfg.menu_ttl, 300, "an empty integer takes its default");
	is_int(cfg.table_token_ttl, 3600, "ROP_TABLE_TOKEN_TTL read");

	refused("ROP_REDIS_TIMEOUT_MS", "0", "below 1");
	refused("ROP_REDIS_TIMEOUT_MS", "201", "above the 200 ms cap");
	accepted("ROP_REDIS_TIMEOUT_MS", "200", "the cap itself");
	accepted("ROP_REDIS_TIMEOUT_MS", "1", "the floor itself");
	refused("ROP_REDIS_TIMEOUT_MS", "abc", "not a number");
	refused("ROP_REDIS_TIMEOUT_MS", "10ms", "trailing garbage");
	refused("ROP_REDIS_TIMEOUT_MS", "-5", "negative");
	refused("ROP_REDIS_TIMEOUT_MS", "1.5", "a fraction");
	refused("ROP_MENU_TTL", "99999999999999999999", "overflow");
	refused("ROP_MENU_TTL", "86401", "above a day");
	refused("ROP_TOKEN_TTL", "59", "under a minute");
	refused("ROP_TOKEN_TTL", "2592001", "over 30 days");
	refused("ROP_TABLE_TOKEN_TTL", "-1", "negative");
	refused("ROP_ENV", "a-very-long-environment-name", "too long");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused("ROP_DATABASE_URL", big, "longer than its buffer");
	refused("ROP_JWT_SECRET", big, "longer than its buffer");
	refused("ROP_PAYMENT_PROVIDER", "a-provider-name-that-is-way-too-long",
	    "too long");

	/*
	 * SPEC §15: the fake payment provider refuses production (prod,
	 * or production), in the programs that take payments only.
	 */
	clean();
	ok(load(ROP_CONFIG_PAYMENTS, why, sizeof(why)) == -1 &&
	    strstr(why, "ROP_PAYMENT_PROVIDER=fake") != NULL &&
	    strstr(why, "ROP_ENV=prod") != NULL,
	    "fake provider refused with the default ROP_ENV (prod): %s", why);
	setenv("ROP_ENV", "production", 1);
	ok(load(ROP_CONFIG_PAYMENTS, why, sizeof(why)) == -1 &&
	    strstr(why, "ROP_ENV=production") != NULL,
	    "fake provider refused with ROP_ENV=production: %s", why);
	ok(rop_config_is_prod(&cfg), "production is prod");
	ok(load(0, why, sizeof(why)) == 0,
	    "programs that take no payments still start in production");
	setenv("ROP_PAYMENT_PROVIDER", "acme", 1);
	ok(load(ROP_CONFIG_PAYMENTS, why, sizeof(why)) == 0,
	    "another provider is not refused in production");
	setenv("ROP_PAYMENT_PROVIDER", "fake", 1);
	setenv("ROP_ENV", "dev", 1);
	ok(load(ROP_CONFIG_PAYMENTS, why, sizeof(why)) == 0 &&
	    !rop_config_is_prod(&cfg), "fake provider runs in dev");
	setenv("ROP_ENV", "test", 1);
	ok(load(ROP_CONFIG_PAYMENTS, why, sizeof(why)) == 0,
	    "fake provider runs in test");
	clean();

	/* Secrets: optional without the flag, required (>= 32) with it. */
	clean();
	ok(load(0, why, sizeof(why)) == 0,
	    "secrets are not needed without ROP_CONFIG_SECRETS");
	ok(load(ROP_CONFIG_SECRETS, why, sizeof(why)) == -1 &&
	    strstr(why, "ROP_JWT_SECRET") != NULL,
	    "missing JWT secret refused: %s", why);
	setenv("ROP_JWT_SECRET", SECRET32, 1);
	ok(load(ROP_CONFIG_SECRETS, why, sizeof(why)) == -1 &&
	    strstr(why, "ROP_TABLE_TOKEN_SECRET") != NULL,
	    "missing table token secret refused: %s", why);
	setenv("ROP_TABLE_TOKEN_SECRET", SECRET32 "x", 1);
	ok(load(ROP_CONFIG_SECRETS, why, sizeof(why)) == 0,
	    "32- and 33-byte secrets accepted");
	is_str(cfg.jwt_secret, SECRET32, "JWT secret read");
	setenv("ROP_JWT_SECRET", "0123456789abcdef0123456789abcde", 1);
	ok(load(ROP_CONFIG_SECRETS, why, sizeof(why)) == -1 &&
	    strstr(why, "ROP_JWT_SECRET") != NULL,
	    "a 31-byte JWT secret is too short");
	setenv("ROP_JWT_SECRET", "", 1);
	ok(load(ROP_CONFIG_SECRETS, why, sizeof(why)) == -1,
	    "an empty JWT secret is missing");
	setenv("ROP_JWT_SECRET", SECRET32, 1);
	setenv("ROP_TABLE_TOKEN_SECRET", "short", 1);
	ok(load(ROP_CONFIG_SECRETS, why, sizeof(why)) == -1 &&
	    strstr(why, "ROP_TABLE_TOKEN_SECRET") != NULL,
	    "a short table token secret is refused");
	clean();

	/* The reason is bounded by its buffer. */
	setenv("ROP_REDIS_TIMEOUT_MS", "0", 1);
	ok(rop_config_load(&cfg, 0, why, 8) == -1 && strlen(why) < 8,
	    "a small reason buffer is respected");
	clean();
	return tap_done();
}
