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
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RIDS	16
#define RBUF		65536

enum st { S_CONNECTING, S_HEAD, S_OPEN, S_DEAD };

struct rid {
	char		*rid, *token;
	long long	 base;
	char		*req;
	size_t		 reqlen;
};

struct sub {
	int		 fd;
	enum st		 st;
	int		 r;		/* index into rids */
	char		*buf;
	size_t		 len, cap;
	char		*msg;		/* fragmented message so far */
	size_t		 mlen;
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

static double
now_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
tcp_open(void)
{
	struct sockaddr_in	 sa;
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
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
message(struct sub *s, const char *p, size_t n)
{
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

/* Client frames are masked (RFC 6455 §5.3); a zero mask will do. */
static void
pong(struct sub *s, const char *p, size_t n)
{
	unsigned char	 f[6 + 125];

	if (n > 125)
		n = 125;
	f[0] = 0x8a;
	f[1] = 0x80 | (unsigned char)n;
	memset(f + 2, 0, 4);
	memcpy(f + 6, p, n);
	(void)!write(s->fd, f, 6 + n);
}

static void
frames(struct sub *s)
{
	size_t	 off = 0;

	for (;;) {
		const unsigned char *b = (const unsigned char *)s->buf + off;
		size_t	 avail = s->len - off, hl = 2, pl;
		int	 fin, op;

		if (avail < 2)
			break;
		fin = b[0] & 0x80;
		op = b[0] & 0x0f;
		pl = b[1] & 0x7f;
		if (pl == 126) {
			if (avail < 4)
				break;
			pl = ((size_t)b[2] << 8) | b[3];
			hl = 4;
		} else if (pl == 127) {
			if (avail < 10)
				break;
			pl = 0;
			for (int i = 0; i < 8; i++)
				pl = (pl << 8) | b[2 + i];
			hl = 10;
		}
		if (b[1] & 0x80)
			hl += 4;
		if (avail < hl + pl)
			break;
		const char *p = (const char *)b + hl;

		if (op == 0x9)
			pong(s, p, pl);
		else if (op == 0x8)
			s->st = S_DEAD;
		else if (op == 0x1 || op == 0x2 || op == 0x0) {
			if (!fin || op == 0x0) {
				char *nm = realloc(s->msg, s->mlen + pl + 1);

				if (nm != NULL) {
					memcpy(nm + s->mlen, p, pl);
					s->msg = nm;
					s->mlen += pl;
				}
				if (fin) {
					message(s, s->msg, s->mlen);
					s->mlen = 0;
				}
			} else
				message(s, p, pl);
		}
		off += hl + pl;
	}
	if (off > 0) {
		memmove(s->buf, s->buf + off, s->len - off);
		s->len -= off;
	}
}

/* Read what is there; 0 on EOF or error. */
static int
sub_read(struct sub *s)
{
	ssize_t	 n;

	for (;;) {
		if (s->cap - s->len < 4096) {
			char *nb = realloc(s->buf, s->cap * 2);

			if (nb == NULL)
				return 0;
			s->buf = nb;
			s->cap *= 2;
		}
		n = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
		if (n > 0) {
			s->len += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 1;
		return 0;
	}
}

static void
sub_io(struct sub *s, short rev)
{
	char	*e;

	if (s->st == S_CONNECTING) {
		struct rid	*r = &rids[s->r];

		if (rev & (POLLERR | POLLHUP) ||
		    write(s->fd, r->req, r->reqlen) != (ssize_t)r->reqlen) {
			s->st = S_DEAD;
			return;
		}
		s->st = S_HEAD;
		return;
	}
	if (!sub_read(s))
		s->st = S_DEAD;
	if (s->st == S_HEAD) {
		s->buf[s->len] = '\0';
		if ((e = strstr(s->buf, "\r\n\r\n")) == NULL)
			return;
		if (strncmp(s->buf, "HTTP/1.1 101", 12) != 0) {
			fprintf(stderr, "wssub: handshake: %.60s\n", s->buf);
			s->st = S_DEAD;
			return;
		}
		e += 4;
		s->len -= (size_t)(e - s->buf);
		memmove(s->buf, e, s->len);
		s->st = S_OPEN;
	}
	if (s->st == S_OPEN || s->st == S_DEAD)
		frames(s);
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

static void
usage(void)
{
	fprintf(stderr, "usage: wssub -p port -n subs -o report -S status "
	    "rid:token:base ...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct rlimit	 rl;
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
		size_t		 cap;

		if ((b = strchr(a, ':')) == NULL ||
		    (d = strchr(b + 1, ':')) == NULL)
			usage();
		*b++ = '\0';
		*d++ = '\0';
		r->rid = a;
		r->token = b;
		r->base = atoll(d);
		cap = strlen(a) + strlen(b) + 512;
		if ((r->req = malloc(cap)) == NULL)
			return 1;
		r->reqlen = (size_t)snprintf(r->req, cap,
		    "GET /ws?restaurant_id=%s&role=KITCHEN&access_token=%s "
		    "HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\n"
		    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n", a, b);
		nrids++;
	}
	if (port <= 0 || n < 1 || nrids == 0 || report == NULL ||
	    status == NULL)
		usage();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	subs = calloc((size_t)n, sizeof(*subs));
	pfd = calloc((size_t)n, sizeof(*pfd));
	if (subs == NULL || pfd == NULL)
		return 1;

	deadline = now_mono() + 60;
	while (!stop) {
		int	 np = 0, inflight = 0, connected = 0, dead = 0;
		double	 now = now_mono();

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
			s->cap = RBUF;
			s->buf = malloc(s->cap);
			s->contig = rids[s->r].base;
			s->max = rids[s->r].base;
			if (s->buf == NULL || (s->fd = tcp_open()) == -1) {
				s->fd = -1;
				s->st = S_DEAD;
			} else
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
			pfd[np].fd = subs[i].fd;
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
