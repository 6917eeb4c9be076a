/* SPDX-License-Identifier: BSD-3-Clause */
/* fnd_sock: socket-path rules and the instance lock (see fnd_sock.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "fnd_sock.h"

int
fnd_sock_canon(const char *path, char *out, size_t outlen, char *err, size_t len)
{
	char d[PATH_MAX], b[PATH_MAX], real[PATH_MAX];

	if (snprintf(d, sizeof(d), "%s", path) >= (int)sizeof(d) ||
	    snprintf(b, sizeof(b), "%s", path) >= (int)sizeof(b)) {
		snprintf(err, len, "%s: path too long", path);
		return -1;
	}
	const char *base = basename(b);
	if (path[strlen(path) - 1] == '/' || !strcmp(base, ".") || !strcmp(base, "..")) {
		snprintf(err, len, "%s: not a socket file name", path);
		return -1;
	}
	const char *dir = dirname(d);
	if (realpath(dir, real) == NULL) {
		snprintf(err, len, "%s: directory %s: %s", path, dir, strerror(errno));
		return -1;
	}
	int n = snprintf(out, outlen, "%s/%s", strcmp(real, "/") ? real : "", base);
	if (n < 0 || (size_t)n >= outlen || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, len, "%s: path too long for a UNIX socket (%zu bytes at most)",
			 path, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -1;
	}
	return 0;
}

int
fnd_sock_claim(const char *path, char *err, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, len, "%s exists and is not a socket; refusing to replace it", path);
		return -1;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, len, "%s: path too long for a UNIX socket", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* A stream socket first; a listener of another type refuses it with
	 * EPROTOTYPE, which still means somebody is there. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, len, "%s: cannot probe: %s", path, strerror(errno));
		return -1;
	}
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS || e == EPROTOTYPE) {
		snprintf(err, len, "%s is in use: a process is listening on it", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, len, "%s: cannot tell whether the socket is in use (%s)",
			 path, strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, len, "%s: cannot remove the stale socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
fnd_sock_perm(const char *path, mode_t mode, gid_t gid, char *err, size_t len)
{
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0) {
		snprintf(err, len, "%s: cannot set group %u: %s", path, (unsigned)gid, strerror(errno));
		return -1;
	}
	if (chmod(path, mode) != 0) {
		snprintf(err, len, "%s: cannot set mode %04o: %s", path, (unsigned)mode, strerror(errno));
		return -1;
	}
	return 0;
}

int
fnd_group_lookup(const char *name, gid_t *gid, char *err, size_t len)
{
	char buf[4096], *end;
	struct group gr, *res = NULL;

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 && res != NULL) {
		*gid = res->gr_gid;
		return 0;
	}
	errno = 0;
	unsigned long v = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && *end == '\0' && errno == 0 && v < UINT_MAX) {
		*gid = (gid_t)v;
		return 0;
	}
	snprintf(err, len, "no group named \"%s\"", name);
	return -1;
}

int
fnd_instance_lock(const char *ctl, char *err, size_t len)
{
	char lock[PATH_MAX], dir[PATH_MAX];

	if (snprintf(lock, sizeof(lock), "%s.lock", ctl) >= (int)sizeof(lock)) {
		snprintf(err, len, "%s: path too long", ctl);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", ctl);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			snprintf(err, len, "cannot create %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, len, "cannot open lock file %s: %s", lock, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			snprintf(err, len, "another fairnicd (pid %s) is running with --ctl %s (lock %s)",
				 pid[0] ? pid : "unknown", ctl, lock);
		else
			snprintf(err, len, "cannot lock %s: %s", lock, strerror(e));
		close(fd);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		snprintf(err, len, "cannot write lock file %s: %s", lock, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
