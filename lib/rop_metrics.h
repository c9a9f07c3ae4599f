/*
 * rop_metrics: counters, gauges and histograms shared by every worker
 * process of every app through one memory-mapped file.
 *
 * The file is a fixed table of slots keyed by the series text
 * ('rop_http_requests_total{app="menu",route="menu.get",status="200"}').
 * A slot is claimed once with a compare-and-swap and then updated with
 * atomic adds, so workers never lock and a worker killed mid-update
 * loses at most its own increment.  Values live in the file, so they
 * survive worker restarts; /metrics renders the sum of everyone.
 */
#ifndef ROP_METRICS_H
#define ROP_METRICS_H
/* layer: adapter */

#include <stddef.h>
#include <stdint.h>

struct rop_metrics;

#define ROP_METRICS_BUCKETS	13	/* le=0.001 .. le=10, then +Inf */

/* Open (creating if needed) the segment at "path".  NULL on failure. */
struct rop_metrics *rop_metrics_open(const char *path);
void		 rop_metrics_close(struct rop_metrics *);

/*
 * Update the series "name{labels}" ("labels" is the text between the
 * braces, or NULL).  A full table or a NULL handle drops the update.
 */
void	 rop_metrics_add(struct rop_metrics *, const char *name,
	    const char *labels, uint64_t n);
void	 rop_metrics_set(struct rop_metrics *, const char *name,
	    const char *labels, int64_t v);
void	 rop_metrics_observe(struct rop_metrics *, const char *name,
	    const char *labels, double seconds);
/* Raise the gauge "name{labels}" to v if it is lower (atomically). */
void	 rop_metrics_max(struct rop_metrics *, const char *name,
	    const char *labels, int64_t v);

/*
 * The value cell of gauge "name{labels}", claimed if needed, for a
 * caller that reads it often (atomic_load); it stays valid while the
 * handle is open.  NULL when the table is full or the handle NULL.
 */
_Atomic int64_t	*rop_metrics_gauge_ref(struct rop_metrics *,
	    const char *name, const char *labels);

/* Read one counter or gauge (0 if absent); for tests and the relay. */
int64_t	 rop_metrics_get(struct rop_metrics *, const char *name,
	    const char *labels);

/*
 * Render every series in Prometheus text format 0.0.4.  Returns a
 * malloc'd string the caller frees, or NULL.
 */
char	*rop_metrics_render(struct rop_metrics *, size_t *len);

/*
 * The # HELP text of family "name" (static; a generic text for a
 * family that has none).
 */
const char *rop_metrics_help(const char *name);

/* Escape a label value for the text format into buf.  Returns buf. */
char	*rop_metrics_label(char *buf, size_t bufsz, const char *val);

#endif /* ROP_METRICS_H */
