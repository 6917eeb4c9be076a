/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_ctl_sock: the control socket (protocol: docs/CONTROL.md).
 *
 * A poll() loop on the main lcore: the listening socket, a signalfd for
 * SIGINT/SIGTERM, and up to MAX_CLIENTS connections, each with its own
 * line buffer. One request line -> one response line. A client that sends
 * garbage gets an error and, if the framing itself is broken (line too
 * long, not a JSON array of strings), is disconnected; nobody else notices.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <jansson.h>
#include "fnd.h"

#define MAX_CLIENTS 32
#define MAX_LINE    (64 * 1024)

struct client {
	int fd;
	size_t len;
	char buf[MAX_LINE];
};

static struct client *clients[MAX_CLIENTS];

static int
listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fairnicd: control socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* Create the parent directory (e.g. /run/fairnic) if needed. */
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	mode_t old = umask(0077);           /* socket created mode 0600 */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		fprintf(stderr, "fairnicd: cannot listen on %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void
send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void
reply(int fd, json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (s == NULL)
		return;
	send_all(fd, s, strlen(s));
	send_all(fd, "\n", 1);
	free(s);
}

static json_t *
framing_error(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* Handle one request line. @return 0 to keep the client, -1 to drop it. */
static int
handle_line(int fd, const char *line, size_t len)
{
	bool fatal;
	reply(fd, fnd_ctl_request(line, len, &fatal));
	return fatal ? -1 : 0;
}

/* Read what is available; handle complete lines. @return -1 to drop. */
static int
client_read(struct client *c)
{
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0)
		return -1;
	c->len += (size_t)r;
	char *start = c->buf, *nl;
	while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf))) != NULL) {
		*nl = '\0';
		if (handle_line(c->fd, start, (size_t)(nl - start)) != 0)
			return -1;
		start = nl + 1;
	}
	c->len -= (size_t)(start - c->buf);
	memmove(c->buf, start, c->len);
	if (c->len == sizeof(c->buf)) {
		reply(c->fd, framing_error("request line longer than 64 KiB"));
		return -1;
	}
	return 0;
}

static void
client_add(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 2 };   /* a client that never reads */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i] == NULL) {
			clients[i] = calloc(1, sizeof(struct client));
			if (clients[i] != NULL) {
				clients[i]->fd = fd;
				return;
			}
			break;
		}
	}
	reply(fd, framing_error("too many control connections"));
	close(fd);
}

static void
client_drop(int i)
{
	close(clients[i]->fd);
	free(clients[i]);
	clients[i] = NULL;
}

int
fnd_ctl_serve(const char *path)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int lfd = listen_on(path);
	if (sfd < 0 || lfd < 0)
		return -1;
	fprintf(stderr, "fairnicd: control socket %s ready\n", path);

	while (!fnd.quit) {
		struct pollfd pfd[MAX_CLIENTS + 2];
		int who[MAX_CLIENTS + 2], n = 0;
		pfd[n] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		who[n++] = -2;
		pfd[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		who[n++] = -1;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (clients[i] != NULL) {
				pfd[n] = (struct pollfd){ .fd = clients[i]->fd, .events = POLLIN };
				who[n++] = i;
			}
		}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (pfd[k].revents == 0)
				continue;
			if (who[k] == -2) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) > 0)
					fprintf(stderr, "fairnicd: signal %u, shutting down\n", si.ssi_signo);
				fnd.quit = true;
			} else if (who[k] == -1) {
				client_add(lfd);
			} else if (client_read(clients[who[k]]) != 0) {
				client_drop(who[k]);
			}
		}
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i] != NULL)
			client_drop(i);
	close(lfd);
	close(sfd);
	unlink(path);
	return 0;
}
