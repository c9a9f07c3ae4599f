/*
 * wssub: live WebSocket subscribers for the soak (issue 8, tests/soak).
 *
 * Opens N WebSocket subscribers on restaurant channels
 * (/ws?restaurant_id=R&role=KITCHEN&access_token=T), spread round-robin
 * over the restaurants given, and keeps them open until SIGTERM, reading
 * every frame (answering pings).  For each subscriber it records which
 * event seqs it received: the first receipt of every seq above the
 * restaurant's base (the outbox's last seq when the subscribers
 * connected; nchan's "newest" first message is at or below it and
 * ignored), duplicates, and first receipts that arrive after a higher
 * seq (out of order).  The restaurant_id of every envelope must be the
 * channel's.
 *
 *	wssub -p PORT -n SUBS -o REPORT -S STATUS rid:token:base ...
 *
 * Prints "connected=N dead=M" on stdout once every subscriber has
 * finished its handshake (or 60 s passed).  Every second it rewrites
 * STATUS: one line per restaurant, "rid open contig_min", contig_min
 * being the lowest, over its open subscribers, of the highest seq up to
 * which that subscriber has seen every event without a gap.  On SIGTERM
 * it writes REPORT, one line per subscriber:
 *
 *	sub=I rid=R open=0|1 received=N dup=N ooo=N foreign=N max=N
 *	contig=N missing=N first_missing=S
 *
 * (missing and first_missing count the gaps below max), and exits 0.
 * The WebSocket side (connect, upgrade, frames) is tests/lib/wsclient.c,
 * which the bench's fan-out probe uses too.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsclient.h"

#define MAX_RIDS	16

enum st { S_CONNECTING, S_HEAD, S_OPEN, S_DEAD };

struct rid {
	char		*rid, *token;
	long long	 base;
	char		*req;
	size_t		 reqlen;
};

struct sub {
	struct wsconn	 ws;
	enum st		 st;
	int		 r;		/* index into rids */
	uint8_t		*seen;		/* bitmap, bit k = seq base+1+k */
	size_t		 nbits;
	long long	 max, contig, received, dup, ooo, foreign;
};

static struct rid	 rids[MAX_RIDS];
static int		 nrids, port;
static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int
seen_get(const struct sub *s, long long k)
{
	return k < (long long)s->nbits && (s->seen[k / 8] >> (k % 8)) & 1;
}

static int
seen_set(struct sub *s, long long k)
{
	if (k >= (long long)s->nbits) {
		size_t	 nb = s->nbits ? s->nbits : 65536;
		uint8_t	*n;

		while ((long long)nb <= k)
			nb *= 2;
		if ((n = realloc(s->seen, nb / 8)) == NULL)
			return -1;
		memset(n + s->nbits / 8, 0, (nb - s->nbits) / 8);
		s->seen = n;
		s->nbits = nb;
	}
	s->seen[k / 8] |= (uint8_t)(1u << (k % 8));
	return 0;
}

static void
message(void *arg, const char *p, size_t n)
{
	struct sub	*s = arg;
	char		 tmp[1024], want[128];
	const char	*q;
	long long	 seq, k;
	struct rid	*r = &rids[s->r];

	/* seq and restaurant_id come before the payload. */
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if ((q = strstr(tmp, "\"seq\":")) == NULL)
		return;
	seq = strtoll(q + 6, NULL, 10);
	snprintf(want, sizeof(want), "\"restaurant_id\":\"%s\"", r->rid);
	if (strstr(tmp, want) == NULL) {
		s->foreign++;
		return;
	}
	if (seq <= r->base)
		return;		/* nchan's "newest", from before the run */
	k = seq - r->base - 1;
	if (seen_get(s, k)) {
		s->dup++;
		return;
	}
	if (seq < s->max)
		s->ooo++;
	if (seq > s->max)
		s->max = seq;
	s->received++;
	seen_set(s, k);
	while (seen_get(s, s->contig - r->base))
		s->contig++;
}

static void
sub_io(struct sub *s, short rev)
{
	int	 h;

	if (s->st == S_CONNECTING) {
		struct rid	*r = &rids[s->r];

		if (rev & (POLLERR | POLLHUP) || write(s->ws.fd, r->req,
		    r->reqlen) != (ssize_t)r->reqlen) {
			s->st = S_DEAD;
			return;
		}
		s->st = S_HEAD;
		return;
	}
	if (!ws_read(&s->ws))
		s->st = S_DEAD;
	if (s->st == S_HEAD) {
		if ((h = ws_head(&s->ws)) == 0)
			return;
		if (h < 0) {
			fprintf(stderr, "wssub: handshake: %.60s\n",
			    s->ws.buf);
			s->st = S_DEAD;
			return;
		}
		s->st = S_OPEN;
	}
	if ((s->st == S_OPEN || s->st == S_DEAD) &&
	    ws_frames(&s->ws, message, s) > 0)
		s->st = S_DEAD;
}

static void
write_status(const char *path, struct sub *subs, int n)
{
	char	 tmp[4096];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	for (int r = 0; r < nrids; r++) {
		long long	 cmin = -1;
		int		 open = 0;

		for (int i = 0; i < n; i++) {
			if (subs[i].r != r || subs[i].st != S_OPEN)
				continue;
			open++;
			if (cmin < 0 || subs[i].contig < cmin)
				cmin = subs[i].contig;
		}
		fprintf(f, "%s %d %lld\n", rids[r].rid, open, cmin);
	}
	fclose(f);
	rename(tmp, path);
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: wssub -p port -n subs -o report -S status "
	    "rid:token:base ...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct sub	*subs;
	struct pollfd	*pfd;
	const char	*report = NULL, *status = NULL;
	double		 deadline, next_status = 0;
	int		 c, n = 200, started = 0, announced = 0;
	FILE		*f;

	while ((c = getopt(argc, argv, "p:n:o:S:")) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'o': report = optarg; break;
		case 'S': status = optarg; break;
		default: usage();
		}
	}
	for (int i = optind; i < argc && nrids < MAX_RIDS; i++) {
		struct rid	*r = &rids[nrids];
		char		*a = argv[i], *b, *d;

		if ((b = strchr(a, ':')) == NULL ||
		    (d = strchr(b + 1, ':')) == NULL)
			usage();
		*b++ = '\0';
		*d++ = '\0';
		r->rid = a;
		r->token = b;
		r->base = atoll(d);
		if ((r->req = ws_upgrade_req(a, b, &r->reqlen)) == NULL)
			return 1;
		nrids++;
	}
	if (port <= 0 || n < 1 || nrids == 0 || report == NULL ||
	    status == NULL)
		usage();
	ws_nofile(n);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	subs = calloc((size_t)n, sizeof(*subs));
	pfd = calloc((size_t)n, sizeof(*pfd));
	if (subs == NULL || pfd == NULL)
		return 1;

	deadline = ws_now() + 60;
	while (!stop) {
		int	 np = 0, inflight = 0, connected = 0, dead = 0;
		double	 now = ws_now();

		for (int i = 0; i < started; i++) {
			if (subs[i].st == S_OPEN)
				connected++;
			else if (subs[i].st == S_DEAD)
				dead++;
			else
				inflight++;
		}
		/* Connect in waves: the listen backlog is finite. */
		while (started < n && inflight < 64) {
			struct sub *s = &subs[started];

			s->r = started % nrids;
			s->contig = rids[s->r].base;
			s->max = rids[s->r].base;
			if (ws_start(&s->ws, port) == -1)
				s->st = S_DEAD;
			else
				s->st = S_CONNECTING;
			started++;
			inflight++;
		}
		if (!announced && started == n &&
		    (inflight == 0 || now > deadline)) {
			printf("connected=%d dead=%d\n", connected, dead);
			fflush(stdout);
			announced = 1;
		}
		if (now >= next_status) {
			write_status(status, subs, started);
			next_status = now + 1;
		}
		for (int i = 0; i < started; i++) {
			if (subs[i].st == S_DEAD)
				continue;
			pfd[np].fd = subs[i].ws.fd;
			pfd[np].events = subs[i].st == S_CONNECTING ?
			    POLLOUT : POLLIN;
			pfd[np].revents = 0;
			np++;
		}
		if (poll(pfd, (nfds_t)np, 100) < 0 && errno != EINTR)
			break;
		np = 0;
		for (int i = 0; i < started; i++) {
			if (subs[i].st == S_DEAD)
				continue;
			if (pfd[np].revents != 0)
				sub_io(&subs[i], pfd[np].revents);
			np++;
		}
	}
	write_status(status, subs, started);
	if ((f = fopen(report, "w")) == NULL)
		return 1;
	for (int i = 0; i < started; i++) {
		struct sub	*s = &subs[i];
		long long	 missing = 0, first = 0;

		for (long long q = s->contig + 1; q < s->max; q++)
			if (!seen_get(s, q - rids[s->r].base - 1)) {
				if (!missing)
					first = q;
				missing++;
			}
		fprintf(f, "sub=%d rid=%s open=%d received=%lld dup=%lld "
		    "ooo=%lld foreign=%lld max=%lld contig=%lld missing=%lld "
		    "first_missing=%lld\n", i, rids[s->r].rid,
		    s->st == S_OPEN, s->received, s->dup, s->ooo, s->foreign,
		    s->max, s->contig, missing, first);
	}
	fclose(f);
	return 0;
}
