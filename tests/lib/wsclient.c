/*
 * wsclient.c: the WebSocket client the bench fan-out and the soak
 * subscribers share (see wsclient.h).  They had a copy each; a fix to
 * the frame parser now reaches both.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsclient.h"

static void	ws_pong(struct wsconn *, const char *, size_t);

/* A non-blocking connect to 127.0.0.1:port; -1 on failure. */
int
ws_tcp_open(int port)
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

/*
 * A receive buffer and a connect under way (wait for POLLOUT, then
 * write the upgrade request); -1, with fd -1, when either failed.
 */
int
ws_start(struct wsconn *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->cap = WS_RBUF;
	if ((c->buf = malloc(c->cap)) == NULL)
		return -1;
	if ((c->fd = ws_tcp_open(port)) == -1) {
		free(c->buf);
		c->buf = NULL;
		return -1;
	}
	return 0;
}

/*
 * The upgrade to the kitchen channel of a restaurant.  The key is the
 * RFC's sample: nobody checks the accept header it yields.  NULL when
 * out of memory.
 */
char *
ws_upgrade_req(const char *rid, const char *token, size_t *lenp)
{
	size_t	 cap = strlen(rid) + strlen(token) + 512;
	char	*req;

	if ((req = malloc(cap)) == NULL)
		return NULL;
	*lenp = (size_t)snprintf(req, cap,
	    "GET /ws?restaurant_id=%s&role=KITCHEN&access_token=%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", rid, token);
	return req;
}

/*
 * Read what is there; 0 on EOF or error (the connection is dead).  One
 * byte of the buffer is always left free, so that ws_head() can end
 * the text it searches with a NUL.
 */
int
ws_read(struct wsconn *c)
{
	ssize_t	 n;

	for (;;) {
		if (c->cap - c->len < 4096) {
			char *nb = realloc(c->buf, c->cap * 2);

			if (nb == NULL)
				return 0;
			c->buf = nb;
			c->cap *= 2;
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 1;
		return 0;
	}
}

/*
 * The answer to the upgrade: 0 while its head is incomplete; 1 when it
 * was a 101, the head then dropped and what follows it (frames the
 * server sent at once) left in the buffer; -1 for any other answer,
 * left NUL-terminated in buf for the caller to show.
 */
int
ws_head(struct wsconn *c)
{
	char	*e;

	c->buf[c->len] = '\0';
	if ((e = strstr(c->buf, "\r\n\r\n")) == NULL)
		return 0;
	if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0)
		return -1;
	e += 4;
	c->len -= (size_t)(e - c->buf);
	memmove(c->buf, e, c->len);
	return 1;
}

/* Client frames are masked (RFC 6455 §5.3); a zero mask will do. */
static void
ws_pong(struct wsconn *c, const char *p, size_t n)
{
	unsigned char	 f[2 + 4 + 125];

	if (n > 125)
		n = 125;
	f[0] = 0x8a;
	f[1] = 0x80 | (unsigned char)n;
	memset(f + 2, 0, 4);
	memcpy(f + 6, p, n);
	(void)!write(c->fd, f, 6 + n);
}

/*
 * Parse every complete frame in the buffer: each whole message (text
 * or binary, reassembled when fragmented) goes to cb, pings are
 * answered.  Frames after a close are still parsed; the caller decides
 * what a close means to it.  Returns how many close frames there were.
 */
int
ws_frames(struct wsconn *c, ws_message_cb cb, void *arg)
{
	size_t		 off = 0;
	int		 closes = 0;

	for (;;) {
		const unsigned char *b = (const unsigned char *)c->buf + off;
		size_t		 avail = c->len - off, hl = 2, pl;
		int		 fin, op;

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
			hl += 4;	/* servers do not mask; skip it */
		if (avail < hl + pl)
			break;
		const char *p = (const char *)b + hl;

		if (op == 0x9)
			ws_pong(c, p, pl);
		else if (op == 0x8)
			closes++;
		else if (op == 0x1 || op == 0x2 || op == 0x0) {
			if (!fin || op == 0x0) {
				char *nm = realloc(c->msg, c->mlen + pl + 1);

				if (nm != NULL) {
					memcpy(nm + c->mlen, p, pl);
					c->msg = nm;
					c->mlen += pl;
				}
				if (fin) {
					cb(arg, c->msg, c->mlen);
					c->mlen = 0;
				}
			} else
				cb(arg, p, pl);
		}
		off += hl + pl;
	}
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	return closes;
}

/* Room for n sockets: the usual soft limit of 1024 descriptors is not. */
void
ws_nofile(int n)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Seconds on the monotonic clock: deadlines and rates of both tools. */
double
ws_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
