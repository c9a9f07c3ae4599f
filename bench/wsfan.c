/*
 * wsfan: the live fan-out probe of the benchmark (issue 7, scenario 6).
 *
 * Opens N WebSocket subscribers on one restaurant channel
 * (/ws?restaurant_id=R&role=KITCHEN&access_token=T), then places orders
 * in that restaurant at a steady rate over plain HTTP, and reads every
 * frame every subscriber gets.  One process, plain sockets and poll(2),
 * so a thousand subscribers cost the machine little besides nginx.
 * The WebSocket side (connect, upgrade, frames) is tests/lib/wsclient.c,
 * which the soak's subscribers use too.
 *
 * For each event a subscriber receives it records the latency from the
 * envelope's occurred_at (set by the app just before its commit, at
 * millisecond precision) to receipt, and the seq.  Nobody else writes
 * to the restaurant during the run, so the expected events are exactly
 * seq base+1 .. base+P, P being the placements answered 201; whatever
 * a subscriber lacks from that set once the drain time is over is lost.
 *
 *	wsfan -p PORT -r RID -k TOKEN -s SEQ_BASE -T tbl_001,tbl_002,...
 *	      -b ORDER_BODY [-n SUBS] [-R RATE] [-d SECS] [-w DRAIN_SECS]
 *
 * Prints key=value lines (subs, connected, placed, place_fail, expected,
 * received, lost, late (over 2 s), dup, p50_ms, p99_ms, max_ms, connect_s).  Exits 0
 * when the probe ran, whatever it measured; 1 when it could not run.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsclient.h"

#define MAX_TABLES	64
#define MAX_PLACERS	8

enum sub_state { S_CONNECTING, S_HEAD, S_OPEN, S_DEAD };

struct sub {
	struct wsconn	 ws;
	enum sub_state	 st;
	uint8_t		*seen;		/* one byte per expected seq */
	const char	*req;
	size_t		 reqlen, reqoff;
};

struct placer {
	int		 fd;		/* -1 when idle */
	char		 req[4096];
	size_t		 reqlen, reqoff;
	char		 resp[64];
	size_t		 resplen;
};

static struct {
	int		 port, nsubs, secs, drain;
	double		 rate;
	const char	*rid, *token, *body;
	long long	 base;
	char		*tables[MAX_TABLES];
	int		 ntables;
	size_t		 maxev;		/* size of each "seen" array */
	uint32_t	*lat_us;	/* every receipt latency */
	size_t		 nlat, caplat;
	long long	 received, dup, outside, placed, place_fail, closed;
	long long	 late;		/* received more than 2 s after */
} g;

static int64_t	now_real_us(void);
static void	sub_start(struct sub *, const char *, size_t);
static void	sub_frames(struct sub *);
static void	sub_message(void *, const char *, size_t);
static int64_t	rfc3339_ms(const char *);
static void	placer_start(struct placer *, long);
static void	placer_io(struct placer *, short);
static int	cmp_u32(const void *, const void *);
static _Noreturn void usage(void);

static int64_t
now_real_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
sub_start(struct sub *s, const char *req, size_t reqlen)
{
	memset(s, 0, sizeof(*s));
	s->req = req;
	s->reqlen = reqlen;
	if ((s->seen = calloc(g.maxev, 1)) == NULL ||
	    ws_start(&s->ws, g.port) == -1) {
		s->ws.fd = -1;
		s->st = S_DEAD;
		return;
	}
	s->st = S_CONNECTING;
}

/* Milliseconds since the epoch of "2026-02-15T22:10:00.123Z". */
static int64_t
rfc3339_ms(const char *p)
{
	struct tm	 tm;
	int		 ms = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static void
sub_message(void *arg, const char *p, size_t n)
{
	struct sub	*s = arg;
	char		 tmp[8192];
	const char	*q;
	long long	 seq;
	int64_t		 occ, lat;

	/* Only the head of the envelope is needed: seq and occurred_at. */
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if ((q = strstr(tmp, "\"seq\":")) == NULL)
		return;
	seq = strtoll(q + 6, NULL, 10);
	if (seq <= g.base || (size_t)(seq - g.base) > g.maxev) {
		g.outside++;	/* an earlier event (nchan's "newest") */
		return;
	}
	if (s->seen[seq - g.base - 1]++) {
		g.dup++;
		return;
	}
	g.received++;
	if ((q = strstr(tmp, "\"occurred_at\":\"")) == NULL ||
	    (occ = rfc3339_ms(q + 15)) < 0)
		return;
	lat = now_real_us() - occ * 1000;
	if (lat < 0)
		lat = 0;
	if (lat > 2000000)	/* SPEC §7: within 2 s of commit */
		g.late++;
	if (g.nlat == g.caplat) {
		size_t		 nc = g.caplat ? g.caplat * 2 : 65536;
		uint32_t	*nl = realloc(g.lat_us, nc * sizeof(*nl));

		if (nl == NULL)
			return;
		g.lat_us = nl;
		g.caplat = nc;
	}
	g.lat_us[g.nlat++] = (uint32_t)(lat > UINT32_MAX ? UINT32_MAX : lat);
}

/* Parse every complete frame in the buffer; a close ends the subscriber. */
static void
sub_frames(struct sub *s)
{
	int	 closes;

	if ((closes = ws_frames(&s->ws, sub_message, s)) > 0) {
		s->st = S_DEAD;
		g.closed += closes;
	}
}

static void
placer_start(struct placer *pl, long k)
{
	const char	*tid = g.tables[k % g.ntables];
	int		 n;

	pl->resplen = 0;
	pl->reqoff = 0;
	n = snprintf(pl->req, sizeof(pl->req),
	    "POST /v1/restaurants/%s/tables/%s/orders HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Idempotency-Key: wsfan-%ld-%ld-%ld\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    g.rid, tid, g.token, (long)getpid(), (long)time(NULL), k,
	    strlen(g.body), g.body);
	if (n < 0 || (size_t)n >= sizeof(pl->req) ||
	    (pl->fd = ws_tcp_open(g.port)) == -1) {
		pl->fd = -1;
		g.place_fail++;
		return;
	}
	pl->reqlen = (size_t)n;
}

static void
placer_io(struct placer *pl, short rev)
{
	char	 buf[4096];
	ssize_t	 n;

	if ((rev & POLLOUT) && pl->reqoff < pl->reqlen) {
		n = write(pl->fd, pl->req + pl->reqoff, pl->reqlen - pl->reqoff);
		if (n > 0)
			pl->reqoff += (size_t)n;
		else if (n == -1 && errno != EAGAIN && errno != EINTR)
			goto done;
	}
	if (!(rev & (POLLIN | POLLHUP | POLLERR)))
		return;
	for (;;) {
		n = read(pl->fd, buf, sizeof(buf));
		if (n > 0) {
			size_t c = sizeof(pl->resp) - 1 - pl->resplen;

			if ((size_t)n < c)
				c = (size_t)n;
			memcpy(pl->resp + pl->resplen, buf, c);
			pl->resplen += c;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		break;
	}
done:
	pl->resp[pl->resplen] = '\0';
	if (strncmp(pl->resp, "HTTP/1.1 201", 12) == 0)
		g.placed++;
	else {
		g.place_fail++;
		if (g.place_fail <= 3)
			fprintf(stderr, "wsfan: placement answered: %.40s\n",
			    pl->resp);
	}
	close(pl->fd);
	pl->fd = -1;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: wsfan -p port -r rid -k token -s seq_base "
	    "-T tables -b body [-n subs] [-R rate] [-d secs] [-w drain]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	struct sub	*subs;
	struct placer	 pls[MAX_PLACERS];
	struct pollfd	*pfd;
	char		*req, *tlist = NULL, *t;
	size_t		 reqlen, i;
	double		 t0, tc, next, end = 0, deadline;
	long		 k = 0, total;
	int		 c, connected = 0, phase = 0, j;

	g.nsubs = 1000;
	g.rate = 20;
	g.secs = 10;
	g.drain = 3;
	while ((c = getopt(argc, argv, "p:r:k:s:T:b:n:R:d:w:")) != -1) {
		switch (c) {
		case 'p': g.port = atoi(optarg); break;
		case 'r': g.rid = optarg; break;
		case 'k': g.token = optarg; break;
		case 's': g.base = atoll(optarg); break;
		case 'T': tlist = optarg; break;
		case 'b': g.body = optarg; break;
		case 'n': g.nsubs = atoi(optarg); break;
		case 'R': g.rate = atof(optarg); break;
		case 'd': g.secs = atoi(optarg); break;
		case 'w': g.drain = atoi(optarg); break;
		default: usage();
		}
	}
	if (g.port <= 0 || g.rid == NULL || g.token == NULL || tlist == NULL ||
	    g.body == NULL || g.nsubs < 1 || g.rate <= 0 || g.secs < 1)
		usage();
	for (t = strtok(tlist, ","); t != NULL && g.ntables < MAX_TABLES;
	    t = strtok(NULL, ","))
		g.tables[g.ntables++] = t;
	if (g.ntables == 0)
		usage();
	total = (long)(g.rate * g.secs + 0.5);
	g.maxev = (size_t)total + 64;

	/* A thousand sockets need more than the usual 1024 descriptors. */
	ws_nofile(g.nsubs);
	if ((req = ws_upgrade_req(g.rid, g.token, &reqlen)) == NULL)
		return 1;
	subs = calloc((size_t)g.nsubs, sizeof(*subs));
	pfd = calloc((size_t)g.nsubs + MAX_PLACERS, sizeof(*pfd));
	if (subs == NULL || pfd == NULL)
		return 1;
	for (j = 0; j < MAX_PLACERS; j++)
		pls[j].fd = -1;

	/*
	 * Phase 0: connect in waves of 128 (the listen backlog is finite);
	 * phase 1: settle; phase 2: place orders; phase 3: drain.
	 */
	t0 = ws_now();
	deadline = t0 + 60;
	next = 0;
	tc = 0;
	{
		int started = 0;

		for (;;) {
			int inflight = 0, dead = 0;

			connected = 0;
			for (j = 0; j < started; j++) {
				if (subs[j].st == S_OPEN)
					connected++;
				else if (subs[j].st == S_DEAD)
					dead++;
				else
					inflight++;
			}
			while (started < g.nsubs && inflight < 128) {
				sub_start(&subs[started++], req, reqlen);
				inflight++;
			}
			if (started == g.nsubs && inflight == 0)
				break;
			if (ws_now() > deadline)
				break;
			/* Poll the subscribers still shaking hands. */
			{
				int	 np = 0;
				int	*idx = malloc(sizeof(int) * (size_t)started);

				if (idx == NULL)
					return 1;
				for (j = 0; j < started; j++) {
					struct sub *s = &subs[j];

					if (s->st != S_CONNECTING && s->st != S_HEAD)
						continue;
					pfd[np].fd = s->ws.fd;
					pfd[np].events = s->st == S_CONNECTING ?
					    POLLOUT : POLLIN;
					pfd[np].revents = 0;
					idx[np++] = j;
				}
				poll(pfd, (nfds_t)np, 100);
				for (int q = 0; q < np; q++) {
					struct sub	*s = &subs[idx[q]];
					int		 h;

					if (pfd[q].revents == 0)
						continue;
					if (s->st == S_CONNECTING) {
						ssize_t n = write(s->ws.fd,
						    s->req, s->reqlen);

						if (n != (ssize_t)s->reqlen) {
							s->st = S_DEAD;
							continue;
						}
						s->st = S_HEAD;
						continue;
					}
					if (!ws_read(&s->ws)) {
						s->st = S_DEAD;
						continue;
					}
					if ((h = ws_head(&s->ws)) == 0)
						continue;
					if (h < 0) {
						if (dead == 0)
							fprintf(stderr, "wsfan: "
							    "handshake: %.60s\n",
							    s->ws.buf);
						s->st = S_DEAD;
						continue;
					}
					s->st = S_OPEN;
					sub_frames(s);
				}
				free(idx);
			}
		}
	}
	tc = ws_now() - t0;
	if (connected == 0) {
		fprintf(stderr, "wsfan: no subscriber connected\n");
		return 1;
	}

	/* The main loop: subscribers, plus placements on their schedule. */
	phase = 1;
	t0 = ws_now();
	next = t0 + 0.5;
	for (;;) {
		double	 now = ws_now();
		int	 np = 0, timeout;

		if (phase == 1 && now >= next) {
			phase = 2;
			next = now;
			t0 = now;
		}
		if (phase == 2) {
			while (k < total && now >= next) {
				for (j = 0; j < MAX_PLACERS; j++)
					if (pls[j].fd == -1)
						break;
				if (j == MAX_PLACERS)
					break;	/* all busy: catch up later */
				placer_start(&pls[j], k++);
				next = t0 + (double)k / g.rate;
			}
			if (k >= total) {
				for (j = 0; j < MAX_PLACERS; j++)
					if (pls[j].fd != -1)
						break;
				if (j == MAX_PLACERS) {
					phase = 3;
					end = now + g.drain;
				}
			}
		}
		if (phase == 3) {
			long long want = g.placed * (long long)connected;

			if (now >= end || g.received >= want)
				break;
		}
		for (i = 0; i < (size_t)g.nsubs; i++) {
			if (subs[i].st != S_OPEN)
				continue;
			pfd[np].fd = subs[i].ws.fd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			np++;
		}
		for (j = 0; j < MAX_PLACERS; j++) {
			if (pls[j].fd == -1)
				continue;
			pfd[np].fd = pls[j].fd;
			pfd[np].events = POLLIN |
			    (pls[j].reqoff < pls[j].reqlen ? POLLOUT : 0);
			pfd[np].revents = 0;
			np++;
		}
		timeout = phase == 2 ? (int)((next - now) * 1000) : 50;
		if (timeout < 0)
			timeout = 0;
		if (timeout > 50)
			timeout = 50;
		poll(pfd, (nfds_t)np, timeout);
		np = 0;
		for (i = 0; i < (size_t)g.nsubs; i++) {
			struct sub *s = &subs[i];

			if (s->st != S_OPEN)
				continue;
			if (pfd[np].revents != 0) {
				if (!ws_read(&s->ws))
					s->st = S_DEAD;
				sub_frames(s);
			}
			np++;
		}
		for (j = 0; j < MAX_PLACERS; j++) {
			if (pls[j].fd == -1)
				continue;
			if (pfd[np].revents != 0)
				placer_io(&pls[j], pfd[np].revents);
			np++;
		}
	}

	{
		long long	 want = g.placed * (long long)connected;
		double		 p50 = 0, p99 = 0, mx = 0;

		if (g.nlat > 0) {
			qsort(g.lat_us, g.nlat, sizeof(*g.lat_us), cmp_u32);
			p50 = g.lat_us[(g.nlat - 1) * 50 / 100] / 1000.0;
			p99 = g.lat_us[(g.nlat - 1) * 99 / 100] / 1000.0;
			mx = g.lat_us[g.nlat - 1] / 1000.0;
		}
		printf("subs=%d\nconnected=%d\nconnect_s=%.2f\nplaced=%lld\n"
		    "place_fail=%lld\nrate=%.1f\nexpected=%lld\nreceived=%lld\n"
		    "lost=%lld\nlate=%lld\ndup=%lld\nclosed=%lld\np50_ms=%.2f\n"
		    "p99_ms=%.2f\nmax_ms=%.2f\n", g.nsubs, connected, tc,
		    g.placed, g.place_fail, g.rate, want, g.received,
		    want - g.received, g.late, g.dup, g.closed, p50, p99, mx);
	}
	return 0;
}
