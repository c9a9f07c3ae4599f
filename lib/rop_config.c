/*
 * rop_config: environment to struct rop_config.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_config.h"

static int	str(char *, size_t, const char *, const char *, char *,
		    size_t);
static int	num(int *, const char *, int, int, int, char *, size_t);

static int
str(char *dst, size_t dstsz, const char *name, const char *def, char *why,
    size_t whysz)
{
	const char	*v = getenv(name);

	if (v == NULL)
		v = def;
	if (strlen(v) >= dstsz) {
		snprintf(why, whysz, "%s is too long", name);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
num(int *dst, const char *name, int def, int min, int max, char *why,
    size_t whysz)
{
	const char	*v = getenv(name);
	char		*end;
	long		 l;

	if (v == NULL || *v == '\0') {
		*dst = def;
		return 0;
	}
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || l < min || l > max) {
		snprintf(why, whysz, "%s must be an integer in %d..%d",
		    name, min, max);
		return -1;
	}
	*dst = (int)l;
	return 0;
}

int
rop_config_load(struct rop_config *cfg, unsigned flags, char *why,
    size_t whysz)
{
	memset(cfg, 0, sizeof(*cfg));
	if (str(cfg->env, sizeof(cfg->env), "ROP_ENV", "prod", why, whysz) ||
	    str(cfg->database_url, sizeof(cfg->database_url),
	    "ROP_DATABASE_URL", "postgresql:///rop", why, whysz) ||
	    str(cfg->redis_url, sizeof(cfg->redis_url), "ROP_REDIS_URL",
	    "redis://127.0.0.1:6379", why, whysz) ||
	    num(&cfg->redis_timeout_ms, "ROP_REDIS_TIMEOUT_MS", 200, 1, 200,
	    why, whysz) ||
	    str(cfg->metrics_path, sizeof(cfg->metrics_path),
	    "ROP_METRICS_PATH", "/run/rop/metrics", why, whysz) ||
	    str(cfg->jwt_secret, sizeof(cfg->jwt_secret), "ROP_JWT_SECRET",
	    "", why, whysz) ||
	    str(cfg->table_secret, sizeof(cfg->table_secret),
	    "ROP_TABLE_TOKEN_SECRET", "", why, whysz) ||
	    num(&cfg->token_ttl, "ROP_TOKEN_TTL", 12 * 3600, 60,
	    30 * 86400, why, whysz) ||
	    num(&cfg->table_token_ttl, "ROP_TABLE_TOKEN_TTL", 0, 0,
	    366 * 86400, why, whysz) ||
	    str(cfg->public_base, sizeof(cfg->public_base),
	    "ROP_PUBLIC_BASE_URL", "http://127.0.0.1:8080", why, whysz) ||
	    str(cfg->nchan_publish, sizeof(cfg->nchan_publish),
	    "ROP_NCHAN_PUBLISH_URL", "http://127.0.0.1:8081/_nchan/pub",
	    why, whysz) ||
	    str(cfg->payment_provider, sizeof(cfg->payment_provider),
	    "ROP_PAYMENT_PROVIDER", "fake", why, whysz) ||
	    num(&cfg->menu_ttl, "ROP_MENU_TTL", 300, 1, 86400, why, whysz) ||
	    num(&cfg->menu_recheck_ms, "ROP_MENU_RECHECK_MS", 1000, 0, 60000,
	    why, whysz))
		return -1;
	if ((flags & ROP_CONFIG_PAYMENTS) && rop_config_is_prod(cfg) &&
	    strcmp(cfg->payment_provider, "fake") == 0) {
		snprintf(why, whysz, "ROP_PAYMENT_PROVIDER=fake approves "
		    "every card and is for development and tests only; it "
		    "refuses to run with ROP_ENV=%s", cfg->env);
		return -1;
	}
	if (flags & ROP_CONFIG_SECRETS) {
		if (strlen(cfg->jwt_secret) < 32) {
			snprintf(why, whysz, "ROP_JWT_SECRET must be set "
			    "(at least 32 bytes)");
			return -1;
		}
		if (strlen(cfg->table_secret) < 32) {
			snprintf(why, whysz, "ROP_TABLE_TOKEN_SECRET must be "
			    "set (at least 32 bytes)");
			return -1;
		}
	}
	return 0;
}

int
rop_config_is_prod(const struct rop_config *cfg)
{
	return strcmp(cfg->env, "prod") == 0 ||
	    strcmp(cfg->env, "production") == 0;
}
