/*
 * wsclient.h: the client side of a WebSocket, as the bench fan-out
 * (bench/wsfan.c) and the soak subscribers (tests/soak/wssub.c) use it.
 *
 * Just enough of RFC 6455 to hold many subscribers open under poll(2)
 * against the local nginx: a non-blocking loopback connect, the upgrade
 * request, the 101 head, and a parser that walks the receive buffer.
 * Each tool keeps its own state machine and its own idea of what a
 * message means; what is here is what both read the same way.
 *
 *	struct wsconn	 c;
 *	ws_start(&c, port);		buffer + connect; -1: dead
 *	write(c.fd, req, reqlen);	req from ws_upgrade_req()
 *	ws_read(&c);			0: EOF or error
 *	ws_head(&c);			1: 101 seen, head consumed
 *	ws_frames(&c, on_message, arg);	returns the close frames seen
 */
#ifndef ROP_WSCLIENT_H
#define ROP_WSCLIENT_H

#include <stddef.h>

#define WS_RBUF		65536	/* first receive buffer; it grows */

struct wsconn {
	int		 fd;
	char		*buf;		/* unparsed input */
	size_t		 len, cap;
	char		*msg;		/* a fragmented message so far */
	size_t		 mlen;
};

typedef void	(*ws_message_cb)(void *, const char *, size_t);

int	 ws_tcp_open(int);
int	 ws_start(struct wsconn *, int);
char	*ws_upgrade_req(const char *, const char *, size_t *);
int	 ws_read(struct wsconn *);
int	 ws_head(struct wsconn *);
int	 ws_frames(struct wsconn *, ws_message_cb, void *);
void	 ws_nofile(int);
double	 ws_now(void);

#endif /* ROP_WSCLIENT_H */
