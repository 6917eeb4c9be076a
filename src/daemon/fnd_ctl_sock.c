/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_ctl_sock: the control socket (protocol: docs/CONTROL.md).
 *
 * A poll() loop on the main lcore: the listening socket, a signalfd for
 * SIGINT/SIGTERM, and up to --ctl-max-clients connections. It serves every
 * client without ever blocking on one of them:
 *  - sockets are non-blocking; each client has a 64 KiB input line buffer
 *    and an output buffer of replies not yet taken by the client;
 *  - a client whose unsent replies pass OUT_BACKLOG bytes (it sends but
 *    does not read) is disconnected with a log line, so memory stays
 *    bounded at about (max clients) x (OUT_BACKLOG + one reply);
 *  - a connection beyond the limit is told why in one JSON line, with
 *    "busy": true, and closed;
 *  - a client with no traffic in either direction for --ctl-idle-timeout
 *    seconds is disconnected with a log line;
 *  - broken framing (line too long, not a JSON array of strings) gets an
 *    error reply, then the connection is closed once that reply is out.
 * Commands themselves run to completion in this thread (fnd_ctl.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "fnd.h"
#include "fnd_sock.h"

#define MAX_LINE    (64 * 1024)
#define OUT_BACKLOG (1024 * 1024)   /* unsent replies before we give up */

struct client {
	int fd;
	unsigned int id;            /* for log lines */
	bool closing;               /* close once the output is sent */
	uint64_t last_ms;           /* last progress in either direction */
	size_t in_len;
	char *out;
	size_t out_off, out_len, out_cap;
	char in[MAX_LINE];
};

static struct client **clients;
static unsigned int n_clients, next_id;

uint64_t
fnd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[512];
	gid_t gid = (gid_t)-1;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fairnicd: control socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* Only a stale socket is replaced: never a live one, nor a file. */
	if (fnd_sock_claim(path, err, sizeof(err)) != 0 ||
	    (fnd.ctl_group[0] && fnd_group_lookup(fnd.ctl_group, &gid, err, sizeof(err)) != 0)) {
		fprintf(stderr, "fairnicd: control socket: %s\n", err);
		return -1;
	}
	/* Bound and listening under a temporary name, then renamed: the path
	 * appears only once connections to it are accepted, with its final
	 * mode (a client that waits for the file never sees it refuse). */
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	if ((size_t)snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", path,
			     (int)getpid()) >= sizeof(tmp.sun_path))
		tmp = sa;                   /* no room for a suffix: bind in place */
	if (strcmp(tmp.sun_path, path) != 0)
		unlink(tmp.sun_path);       /* ours: the pid is in the name */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* The process umask is 0077 (fnd_main.c): created owner-only. */
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) != 0 || listen(fd, 64) != 0) {
		fprintf(stderr, "fairnicd: cannot listen on %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (fnd_sock_perm(tmp.sun_path, fnd.ctl_group[0] ? 0660 : 0600, gid, err, sizeof(err)) != 0 ||
	    (strcmp(tmp.sun_path, path) != 0 && rename(tmp.sun_path, path) != 0 &&
	     snprintf(err, sizeof(err), "cannot rename %s to %s: %s", tmp.sun_path, path,
		      strerror(errno)) > 0)) {
		fprintf(stderr, "fairnicd: control socket: %s\n", err);
		close(fd);
		unlink(tmp.sun_path);
		return -1;
	}
	return fd;
}

static void
client_drop(unsigned int i, const char *why)
{
	struct client *c = clients[i];
	if (why != NULL)
		fprintf(stderr, "fairnicd: control client %u: %s: disconnected\n", c->id, why);
	close(c->fd);
	free(c->out);
	free(c);
	clients[i] = NULL;
	n_clients--;
}

/* Send what the socket takes now. @return -1 if the client is gone. */
static int
client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
		c->out_off += (size_t)w;
		c->last_ms = fnd_now_ms();
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* Queue one reply line. @return -1 when the backlog limit is passed. */
static int
client_reply(struct client *c, json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (s == NULL)
		return 0;
	size_t n = strlen(s);
	if (c->out_len - c->out_off > OUT_BACKLOG) {
		free(s);
		return -1;
	}
	if (c->out_off > 0) {            /* keep the buffer compact */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + n + 1)
			cap *= 2;
		char *nb = realloc(c->out, cap);
		if (nb == NULL) {
			free(s);
			return -1;
		}
		c->out = nb;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	free(s);
	return 0;
}

/* Read what is available; handle complete lines. @return NULL to keep the
 * client, or why it must go. */
static const char *
client_read(struct client *c)
{
	ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return NULL;
	if (r == 0) {                       /* the client is done sending: */
		c->closing = true;          /* answer what it asked, then close */
		c->in_len = 0;
		return NULL;
	}
	if (r < 0)
		return "";                  /* reset by the client: no log line */
	c->last_ms = fnd_now_ms();
	c->in_len += (size_t)r;
	char *start = c->in, *nl;
	while (!c->closing &&
	       (nl = memchr(start, '\n', c->in_len - (size_t)(start - c->in))) != NULL) {
		bool fatal;
		json_t *resp = fnd_ctl_request(start, (size_t)(nl - start), &fatal);
		fnd_dp_wake();  /* a sleeping data plane sees the change at once */
		if (client_reply(c, resp) != 0)
			return "more than 1 MiB of replies not read";
		c->closing = fatal;
		start = nl + 1;
	}
	c->in_len -= (size_t)(start - c->in);
	memmove(c->in, start, c->in_len);
	if (!c->closing && c->in_len == sizeof(c->in)) {
		client_reply(c, fnd_ctl_error("request line longer than 64 KiB"));
		c->closing = true;
	}
	if (c->closing)
		c->in_len = 0;
	return NULL;
}

static void
client_add(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (n_clients < fnd.ctl_max_clients) {
		for (unsigned int i = 0; i < fnd.ctl_max_clients; i++) {
			if (clients[i] != NULL)
				continue;
			struct client *c = calloc(1, sizeof(*c));
			if (c == NULL)
				break;
			*c = (struct client){ .fd = fd, .id = ++next_id, .last_ms = fnd_now_ms() };
			clients[i] = c;
			n_clients++;
			return;
		}
	}
	/* Refused: say why in one line (a fresh socket buffer takes it). */
	char msg[128];
	int n = snprintf(msg, sizeof(msg),
			 "{\"ok\":false,\"busy\":true,\"error\":\"too many control connections (%u)\"}\n",
			 fnd.ctl_max_clients);
	if (send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;                    /* the client is gone already */
	fprintf(stderr, "fairnicd: control: refused a connection: too many control connections (%u)\n",
		fnd.ctl_max_clients);
	close(fd);
}

/* SIGHUP: `config reload`, here on the control thread like any command
 * (it logs what it changed and each line that failed). */
static void
signal_reload(void)
{
	static const char req[] = "[\"config\",\"reload\"]";
	bool fatal = false;
	fprintf(stderr, "fairnicd: SIGHUP: reloading --config\n");
	json_t *r = fnd_ctl_request(req, sizeof(req) - 1, &fatal);
	json_t *err = json_object_get(r, "error");
	if (json_is_string(err))
		fprintf(stderr, "fairnicd: SIGHUP: %s\n", json_string_value(err));
	json_decref(r);
}

int
fnd_ctl_serve(const char *path)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);        /* reload --config (systemctl reload) */
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	clients = calloc(fnd.ctl_max_clients, sizeof(*clients));
	struct pollfd *pfd = calloc(fnd.ctl_max_clients + 2, sizeof(*pfd));
	unsigned int *who = calloc(fnd.ctl_max_clients + 2, sizeof(*who));
	int lfd = sfd < 0 || clients == NULL || pfd == NULL || who == NULL ? -1 : listen_on(path);
	if (lfd < 0) {
		if (sfd >= 0)
			close(sfd);
		free(clients);
		free(pfd);
		free(who);
		return -1;
	}
	fprintf(stderr, "fairnicd: control socket %s ready\n", path);

	while (!fnd.quit) {
		nfds_t n = 0;
		uint64_t now = fnd_now_ms();
		int timeout = fnd_announce_run(now);
		pfd[n] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		n++;
		pfd[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		n++;
		for (unsigned int i = 0; i < fnd.ctl_max_clients; i++) {
			struct client *c = clients[i];
			if (c == NULL)
				continue;
			if (fnd.ctl_idle_ms) {
				uint64_t due = c->last_ms + fnd.ctl_idle_ms;
				if (due <= now) {
					client_drop(i, "idle too long (--ctl-idle-timeout)");
					continue;
				}
				if (timeout < 0 || due - now < (uint64_t)timeout)
					timeout = (int)(due - now);
			}
			short ev = c->closing ? 0 : POLLIN;
			if (c->out_len > c->out_off)
				ev |= POLLOUT;
			pfd[n] = (struct pollfd){ .fd = c->fd, .events = ev };
			who[n++] = i;
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) <= 0)
				continue;
			if (si.ssi_signo == SIGHUP) {
				signal_reload();
				continue;
			}
			fprintf(stderr, "fairnicd: signal %u, shutting down\n", si.ssi_signo);
			fnd.quit = true;
		}
		for (nfds_t k = 2; k < n; k++) {
			unsigned int i = who[k];
			struct client *c = clients[i];
			const char *why = NULL;
			if (pfd[k].revents == 0)
				continue;
			if (pfd[k].revents & POLLIN)
				why = client_read(c);
			else if (pfd[k].revents & (POLLERR | POLLHUP | POLLNVAL))
				why = "";
			if (why == NULL && client_flush(c) != 0)
				why = "";
			if (why == NULL && c->closing && c->out_len == c->out_off)
				why = "";
			if (why != NULL)
				client_drop(i, why[0] ? why : NULL);
		}
		if (pfd[1].revents)
			client_add(lfd);
	}
	for (unsigned int i = 0; i < fnd.ctl_max_clients; i++)
		if (clients[i] != NULL)
			client_drop(i, NULL);
	free(clients);
	free(pfd);
	free(who);
	close(lfd);
	close(sfd);
	unlink(path);
	return 0;
}
