/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnc: the CLI's side of the control socket (docs/CONTROL.md), shared by
 * fairnicctl.c and fnc_top.c: one request per connection, its reply read
 * and decoded, errors said on one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "fnc.h"

#define FNC_REQ_MAX       (64 * 1024)           /* daemon's request limit */
#define FNC_RESP_MAX      (16 * 1024 * 1024)    /* many vNICs, all counters */
#define FNC_TIMEOUT_SEC   30

const char *
fnc_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void
fnc_err(const char *fmt, ...)
{
	va_list ap;

	fputs("fairnicctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* @return a connected socket, or -1 with errno set. */
static int
fnc_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = FNC_TIMEOUT_SEC };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Best effort: without timeouts we merely block. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EISCONN)   /* an interrupted connect completed */
			break;
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* @return 0, or -1 with errno set. MSG_NOSIGNAL: no SIGPIPE on a dead peer. */
static int
fnc_send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read one '\n'-terminated line of at most FNC_RESP_MAX bytes.
 * @return malloc'd line (newline excluded, NUL-terminated) with *len set,
 *         or NULL after printing why.
 */
static char *
fnc_recv_line(int fd, const char *path, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap), *nl = NULL;

	if (buf == NULL) {
		fnc_err("out of memory");
		return NULL;
	}
	while (nl == NULL) {
		if (used == cap - 1) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				fnc_err("out of memory");
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + used, cap - 1 - used, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				fnc_err("no reply from %s within %d s", path,
					FNC_TIMEOUT_SEC);
			else
				fnc_err("reading from %s: %s", path,
					strerror(errno));
			goto fail;
		}
		if (n == 0) {
			fnc_err("%s closed the connection without a reply",
				path);
			goto fail;
		}
		nl = memchr(buf + used, '\n', (size_t)n);
		used += (size_t)n;
		if ((nl ? (size_t)(nl - buf) : used) > FNC_RESP_MAX) {
			fnc_err("reply from %s longer than %d MiB", path,
				FNC_RESP_MAX >> 20);
			goto fail;
		}
	}
	*len = (size_t)(nl - buf);
	*nl = '\0';
	return buf;
fail:
	free(buf);
	return NULL;
}

/*
 * Send the words, read and decode the reply.
 * @return the reply object, or NULL after printing why.
 */
json_t *
fnc_request(const char *path, int argc, char *argv[])
{
	json_t *req = json_array(), *resp = NULL;
	char *line = NULL, *reply = NULL;
	json_error_t je;
	size_t len;
	int fd = -1;

	if (req == NULL)
		goto oom;
	for (int i = 0; i < argc; i++) {
		/* json_string() refuses invalid UTF-8, which JSON cannot carry. */
		json_t *w = json_string(argv[i]);

		if (w == NULL) {
			fnc_err("argument %d is not valid UTF-8", i + 1);
			goto out;
		}
		if (json_array_append_new(req, w) != 0)
			goto oom;
	}
	line = json_dumps(req, JSON_COMPACT);
	if (line == NULL)
		goto oom;
	len = strlen(line);
	if (len >= FNC_REQ_MAX) {
		fnc_err("command too long (%zu bytes encoded, max %d)", len,
			FNC_REQ_MAX - 1);
		goto out;
	}
	line[len] = '\n';       /* json_dumps' NUL becomes the frame's end */

	fd = fnc_connect(path);
	if (fd < 0) {
		fnc_err("cannot connect to %s: %s (is fairnicd running?)", path,
			strerror(errno));
		goto out;
	}
	if (fnc_send_all(fd, line, len + 1) != 0) {
		/* The daemon may have refused the connection and said why
		 * ("too many control connections") before closing it. */
		int e = errno;
		char why[256];
		ssize_t n = recv(fd, why, sizeof(why) - 1, MSG_DONTWAIT);
		json_t *r = n > 0 ? json_loadb(why, (size_t)n, 0, &je) : NULL;
		const char *msg = r ? fnc_str(r, "error") : NULL;
		if (msg != NULL)
			fnc_err("%s: %s", path, msg);
		else
			fnc_err("sending to %s: %s", path, strerror(e));
		json_decref(r);
		goto out;
	}
	reply = fnc_recv_line(fd, path, &len);
	if (reply == NULL)
		goto out;
	resp = json_loadb(reply, len, 0, &je);
	if (resp == NULL) {
		fnc_err("invalid reply from %s: %s", path, je.text);
	} else if (!json_is_object(resp) ||
		   !json_is_boolean(json_object_get(resp, "ok"))) {
		fnc_err("invalid reply from %s: not {\"ok\": ...}", path);
		json_decref(resp);
		resp = NULL;
	} else if (json_is_true(json_object_get(resp, "busy"))) {
		/* Refused before the command was read: not served at all. */
		const char *msg = fnc_str(resp, "error");
		fnc_err("%s: %s", path, msg ? msg : "fairnicd is busy");
		json_decref(resp);
		resp = NULL;
	}
	goto out;
oom:
	fnc_err("out of memory");
out:
	if (fd >= 0)
		close(fd);
	free(reply);
	free(line);
	json_decref(req);
	return resp;
}
