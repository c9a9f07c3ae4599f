/*
 * rop_metrics: the shared segment and its Prometheus rendering.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rop_metrics.h"

#define M_MAGIC		0x524f504d45543031ULL	/* "ROPMET01" */
#define M_SLOTS		4096
#define M_KEYSZ		232
#define M_VALS		16

enum m_type { M_COUNTER = 1, M_GAUGE, M_HISTOGRAM };
enum m_state { S_EMPTY = 0, S_CLAIMING, S_READY };

/* Histogram layout in vals[]: buckets, then count, then sum in µs. */
#define H_COUNT		ROP_METRICS_BUCKETS
#define H_SUM_US	(ROP_METRICS_BUCKETS + 1)

struct m_slot {
	_Atomic uint32_t	 state;
	uint32_t		 type;
	uint64_t		 hash;
	char			 key[M_KEYSZ];
	_Atomic int64_t		 vals[M_VALS];
};

struct m_head {
	uint64_t		 magic;
	uint64_t		 nslots;
};

struct rop_metrics {
	struct m_head		*head;
	struct m_slot		*slots;
	size_t			 mapsz;
};

static const double bounds[ROP_METRICS_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

/*
 * The # HELP text of each family.  A family not listed here still gets
 * a HELP line (promtool and Prometheus want one per family), naming it
 * only: add its line when you add a metric.
 */
static const struct {
	const char	*name;
	const char	*help;
} helps[] = {
	{ "rop_auth_logins_total",
	    "Staff logins by result (ok, fail)." },
	{ "rop_events_publish_failures_total",
	    "Event PUBLISHes to Redis that failed (the relay catches up from "
	    "the outbox)." },
	{ "rop_events_published_total",
	    "Events PUBLISHed to Redis after their transaction committed." },
	{ "rop_http_request_duration_seconds",
	    "Time from reading a request to its logged answer, by app and "
	    "route." },
	{ "rop_http_requests_total",
	    "Requests answered, by app, route and HTTP status." },
	{ "rop_menu_cache_total",
	    "Menu cache lookups by result (hit, miss, invalid, error)." },
	{ "rop_menu_version",
	    "Latest menu version this host has seen, per restaurant." },
	{ "rop_order_time_to_accept_seconds",
	    "Time from placing an order to its acceptance." },
	{ "rop_order_time_to_ready_seconds",
	    "Time from placing an order to it being ready." },
	{ "rop_order_transition_total",
	    "Order state transitions made, by from and to state." },
	{ "rop_orders_placed_total",
	    "Orders placed (idempotent replays not counted)." },
	{ "rop_payments_captured_total",
	    "Payments captured." },
	{ "rop_payments_declined_total",
	    "Payments the provider declined." },
	{ "rop_relay_behind_events",
	    "Events committed but not yet delivered by the relay." },
	{ "rop_relay_caught_up_total",
	    "Events the relay read from the outbox rather than from Redis." },
	{ "rop_relay_delivered_total",
	    "Events the relay delivered to nchan." },
	{ "rop_relay_lag_seconds",
	    "Time from an event's commit to its delivery by the relay." },
	{ "rop_relay_publish_failures_total",
	    "Publishes to nchan that failed (retried)." },
};

static uint64_t		 m_hash(const char *);
static struct m_slot	*m_slot(struct rop_metrics *, const char *,
			    const char *, enum m_type, int);
static int		 m_cmp(const void *, const void *);

struct rop_metrics *
rop_metrics_open(const char *path)
{
	struct rop_metrics	*m;
	size_t			 sz = sizeof(struct m_head) +
	    M_SLOTS * sizeof(struct m_slot);
	struct stat		 st;
	void			*p;
	int			 fd;

	if (path == NULL || *path == '\0')
		return NULL;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return NULL;
	/*
	 * A new file is grown to the segment's size (idempotent, so racing
	 * creators agree); any other size is not ours and is left alone.
	 */
	if (fstat(fd, &st) == -1 ||
	    (st.st_size != 0 && (size_t)st.st_size != sz) ||
	    (st.st_size == 0 && ftruncate(fd, (off_t)sz) == -1)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		munmap(p, sz);
		return NULL;
	}
	m->head = p;
	m->slots = (struct m_slot *)(m->head + 1);
	m->mapsz = sz;
	/* A fresh (zero) file becomes ours; anything else must match. */
	if (m->head->magic == 0) {
		m->head->nslots = M_SLOTS;
		__atomic_store_n(&m->head->magic, M_MAGIC, __ATOMIC_RELEASE);
	} else if (m->head->magic != M_MAGIC || m->head->nslots != M_SLOTS) {
		rop_metrics_close(m);
		return NULL;
	}
	return m;
}

void
rop_metrics_close(struct rop_metrics *m)
{
	if (m == NULL)
		return;
	munmap(m->head, m->mapsz);
	free(m);
}

static uint64_t
m_hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct m_slot *
m_slot(struct rop_metrics *m, const char *name, const char *labels,
    enum m_type type, int create)
{
	char		 key[M_KEYSZ];
	uint64_t	 h;
	uint32_t	 expect;
	size_t		 i, idx;
	int		 n, spins;

	if (m == NULL)
		return NULL;
	if (labels != NULL && *labels != '\0')
		n = snprintf(key, sizeof(key), "%s{%s}", name, labels);
	else
		n = snprintf(key, sizeof(key), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	h = m_hash(key);
	for (i = 0; i < M_SLOTS; i++) {
		struct m_slot *s;

		idx = (size_t)((h + i) % M_SLOTS);
		s = &m->slots[idx];
		for (spins = 0; spins < 100000; spins++) {
			uint32_t st = atomic_load(&s->state);

			if (st == S_READY) {
				if (s->hash == h && strcmp(s->key, key) == 0)
					return s->type == (uint32_t)type ?
					    s : NULL;
				break;
			}
			if (st == S_EMPTY) {
				if (!create)
					return NULL;
				expect = S_EMPTY;
				if (!atomic_compare_exchange_strong(&s->state,
				    &expect, S_CLAIMING))
					continue;
				s->type = type;
				s->hash = h;
				memcpy(s->key, key, (size_t)n + 1);
				atomic_store(&s->state, S_READY);
				return s;
			}
			/* S_CLAIMING: another process is writing the key. */
		}
		if (spins == 100000)
			return NULL;	/* a claimer died mid-claim */
	}
	return NULL;
}

void
rop_metrics_add(struct rop_metrics *m, const char *name, const char *labels,
    uint64_t n)
{
	struct m_slot	*s = m_slot(m, name, labels, M_COUNTER, 1);

	if (s != NULL)
		atomic_fetch_add(&s->vals[0], (int64_t)n);
}

void
rop_metrics_set(struct rop_metrics *m, const char *name, const char *labels,
    int64_t v)
{
	struct m_slot	*s = m_slot(m, name, labels, M_GAUGE, 1);

	if (s != NULL)
		atomic_store(&s->vals[0], v);
}

void
rop_metrics_max(struct rop_metrics *m, const char *name, const char *labels,
    int64_t v)
{
	struct m_slot	*s = m_slot(m, name, labels, M_GAUGE, 1);
	int64_t		 cur;

	if (s == NULL)
		return;
	cur = atomic_load(&s->vals[0]);
	while (cur < v && !atomic_compare_exchange_weak(&s->vals[0], &cur, v))
		;
}

void
rop_metrics_observe(struct rop_metrics *m, const char *name,
    const char *labels, double seconds)
{
	struct m_slot	*s = m_slot(m, name, labels, M_HISTOGRAM, 1);
	int		 b;

	if (s == NULL)
		return;
	if (seconds < 0)
		seconds = 0;
	for (b = 0; b < ROP_METRICS_BUCKETS; b++)
		if (seconds <= bounds[b])
			break;
	if (b < ROP_METRICS_BUCKETS)
		atomic_fetch_add(&s->vals[b], 1);
	atomic_fetch_add(&s->vals[H_COUNT], 1);
	atomic_fetch_add(&s->vals[H_SUM_US], (int64_t)(seconds * 1e6));
}

_Atomic int64_t *
rop_metrics_gauge_ref(struct rop_metrics *m, const char *name,
    const char *labels)
{
	struct m_slot	*s = m_slot(m, name, labels, M_GAUGE, 1);

	return s != NULL ? &s->vals[0] : NULL;
}

int64_t
rop_metrics_get(struct rop_metrics *m, const char *name, const char *labels)
{
	struct m_slot	*s;

	if ((s = m_slot(m, name, labels, M_COUNTER, 0)) == NULL &&
	    (s = m_slot(m, name, labels, M_GAUGE, 0)) == NULL)
		return 0;
	return atomic_load(&s->vals[0]);
}

/*
 * Order by metric name, then by labels.  A plain strcmp of the keys
 * would sort "rop_a_b" between "rop_a" and "rop_a{...}" ('_' < '{')
 * and split the family, repeating its # TYPE line.
 */
static int
m_cmp(const void *a, const void *b)
{
	const struct m_slot *const *x = a, *const *y = b;
	size_t	 xl = strcspn((*x)->key, "{"), yl = strcspn((*y)->key, "{");
	int	 r = memcmp((*x)->key, (*y)->key, xl < yl ? xl : yl);

	if (r != 0)
		return r;
	if (xl != yl)
		return xl < yl ? -1 : 1;
	return strcmp((*x)->key + xl, (*y)->key + yl);
}

/* Append to a growing buffer; returns -1 on OOM. */
static int
out(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
out(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*nb;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return 0;
		}
		if ((nb = realloc(*buf, *cap * 2 + (size_t)n)) == NULL)
			return -1;
		*buf = nb;
		*cap = *cap * 2 + (size_t)n;
	}
}

char *
rop_metrics_render(struct rop_metrics *m, size_t *lenp)
{
	struct m_slot	**v = NULL;
	char		*buf = NULL, prev[M_KEYSZ] = "", base[M_KEYSZ];
	char		 lab[M_KEYSZ], sep[2];
	size_t		 n = 0, i, len = 0, cap = 8192;
	int		 b, ok = 0;

	if (m == NULL || (buf = malloc(cap)) == NULL ||
	    (v = calloc(M_SLOTS, sizeof(*v))) == NULL)
		goto out;
	buf[0] = '\0';
	for (i = 0; i < M_SLOTS; i++)
		if (atomic_load(&m->slots[i].state) == S_READY)
			v[n++] = &m->slots[i];
	qsort(v, n, sizeof(*v), m_cmp);
	for (i = 0; i < n; i++) {
		struct m_slot	*s = v[i];
		const char	*brace = strchr(s->key, '{');
		size_t		 bl = brace ? (size_t)(brace - s->key) :
		    strlen(s->key);
		int64_t		 cum = 0;

		memcpy(base, s->key, bl);
		base[bl] = '\0';
		if (brace != NULL) {
			snprintf(lab, sizeof(lab), "%.*s",
			    (int)(strlen(brace) - 2), brace + 1);
			snprintf(sep, sizeof(sep), ",");
		} else {
			lab[0] = '\0';
			sep[0] = '\0';
		}
		if (strcmp(prev, base) != 0) {
			if (out(&buf, &len, &cap, "# HELP %s %s\n", base,
			    rop_metrics_help(base)) == -1)
				goto out;
			if (out(&buf, &len, &cap, "# TYPE %s %s\n", base,
			    s->type == M_COUNTER ? "counter" :
			    s->type == M_GAUGE ? "gauge" : "histogram") == -1)
				goto out;
			snprintf(prev, sizeof(prev), "%s", base);
		}
		if (s->type != M_HISTOGRAM) {
			if (out(&buf, &len, &cap, "%s %lld\n", s->key,
			    (long long)atomic_load(&s->vals[0])) == -1)
				goto out;
			continue;
		}
		for (b = 0; b < ROP_METRICS_BUCKETS; b++) {
			cum += atomic_load(&s->vals[b]);
			if (out(&buf, &len, &cap,
			    "%s_bucket{%s%sle=\"%g\"} %lld\n", base, lab, sep,
			    bounds[b], (long long)cum) == -1)
				goto out;
		}
		if (out(&buf, &len, &cap,
		    "%s_bucket{%s%sle=\"+Inf\"} %lld\n"
		    "%s_sum%s%s%s %.6f\n%s_count%s%s%s %lld\n",
		    base, lab, sep, (long long)atomic_load(&s->vals[H_COUNT]),
		    base, brace ? "{" : "", lab, brace ? "}" : "",
		    (double)atomic_load(&s->vals[H_SUM_US]) / 1e6,
		    base, brace ? "{" : "", lab, brace ? "}" : "",
		    (long long)atomic_load(&s->vals[H_COUNT])) == -1)
			goto out;
	}
	ok = 1;
out:
	free(v);
	if (!ok) {
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

const char *
rop_metrics_help(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].name, name) == 0)
			return helps[i].help;
	return "ROP metric (no description yet).";
}

char *
rop_metrics_label(char *buf, size_t bufsz, const char *val)
{
	size_t	 j = 0;

	for (; *val != '\0' && j + 3 < bufsz; val++) {
		if (*val == '"' || *val == '\\' || *val == '\n') {
			buf[j++] = '\\';
			buf[j++] = *val == '\n' ? 'n' : *val;
		} else
			buf[j++] = *val;
	}
	buf[j] = '\0';
	return buf;
}
