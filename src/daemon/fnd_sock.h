/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FND_SOCK_H
#define FND_SOCK_H
/*
 * fnd_sock: the rules for every UNIX socket path fairnicd creates (the
 * control socket and each vhost-user socket), and the one-instance lock.
 *
 *  - A path that exists is reused only if it is a stale socket: connect()
 *    is refused (ECONNREFUSED), so nobody listens on it. A live socket, a
 *    file of another type, or a path we cannot probe is refused with one
 *    line naming the path and why. fairnicd therefore never unlinks a
 *    socket someone is listening on (another daemon's, or its own).
 *  - Permissions are explicit: sockets are created under umask 0077 (so
 *    never open to others in between) and then set to the mode and group
 *    asked for, whatever the daemon's umask.
 *  - One daemon per control path: an exclusive flock() on "<ctl>.lock",
 *    taken before any socket is touched; the lock file holds the owner's
 *    PID so a second instance can name it.
 */
#include <stddef.h>
#include <sys/types.h>

/**
 * Canonical form of a socket path: the directory resolved by realpath(),
 * then "/" and the last component. The directory must exist.
 * @return 0, or -1 with one line in err.
 */
int fnd_sock_canon(const char *path, char *out, size_t outlen, char *err, size_t len);

/**
 * Make `path` free for bind(): nothing there, or a stale socket (removed).
 * @return 0, or -1 with one line in err (the path is left untouched).
 */
int fnd_sock_claim(const char *path, char *err, size_t len);

/**
 * Set a socket's mode and group (gid (gid_t)-1 keeps the group).
 * @return 0, or -1 with one line in err.
 */
int fnd_sock_perm(const char *path, mode_t mode, gid_t gid, char *err, size_t len);

/**
 * A group by name or number. @return 0, or -1 with one line in err.
 */
int fnd_group_lookup(const char *name, gid_t *gid, char *err, size_t len);

/**
 * Take the instance lock for control socket `ctl` (creating its directory).
 * @return the lock's fd (keep it open for the process's life), or -1 with
 * one line in err naming the running instance's PID when there is one.
 */
int fnd_instance_lock(const char *ctl, char *err, size_t len);

#endif /* FND_SOCK_H */
