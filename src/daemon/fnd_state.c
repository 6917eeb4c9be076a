/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_state: the running configuration kept across restarts, and the
 * --config file applied again on SIGHUP (docs/STATE.md).
 *
 * --state FILE: after every change (a successful vnic add/set/del or
 * uplink set, from any source) the running configuration, as `config
 * show` writes it, replaces FILE: written to FILE.tmp, fsync'ed, renamed
 * over FILE, and the directory fsync'ed, so FILE is always one whole
 * version, never a partial one. It is written before the command's reply
 * is sent: a client told "ok" knows the change survives a crash. A text
 * equal to the last one written is not written again.
 *
 * Start-up: if FILE exists it is the latest running state and is loaded
 * instead of --config (which is then not applied); if it does not, --config
 * is applied and FILE written. A FILE that fails to load stops start-up
 * with FILE:LINE, and is left as it is. The commands of a file (at start
 * or a reload) are one batch: the state is written once, at its end, so a
 * crash in the middle of --config leaves no state and the next start
 * applies --config again.
 *
 * Reload (`config reload`, which SIGHUP asks for): every line of --config
 * is applied again, and a failed line is logged and skipped; `vnic add` of
 * a vNIC that exists with the same backend becomes a `vnic set` of the
 * keys on the line, so its guest stays connected; vNICs the file does not
 * name are kept. What changed is logged, by comparing `vnic show` and
 * `uplink show` before and after.
 *
 * SIGHUP: blocked in every thread (fnd_main.c) and read from the control
 * loop's signalfd (fnd_ctl_sock.c), which runs `config reload` there: on
 * the control thread, like every command; no work in a signal handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "fnd.h"
#include "fnd_sock.h"

#define STATE_HEADER \
	"# fairnicd --state: the running configuration, rewritten at every change\n" \
	"# and loaded at start instead of --config (docs/STATE.md). Do not edit it\n" \
	"# while fairnicd runs.\n"

static const char *state_path;          /* --state, or NULL */
static const char *config_path;         /* --config, or NULL */
static unsigned int batch;              /* inside a file's commands: write at its end */
static bool dirty;                      /* changed since the state was written */
static char *last;                      /* the text last written */
static bool reloading;

static bool
reply_is_ok(json_t *r)
{
	return json_is_true(json_object_get(r, "ok"));
}

void
fnd_state_init(const char *state, const char *config)
{
	state_path = state;
	config_path = config;
}

bool
fnd_state_enabled(void)
{
	return state_path != NULL;
}

/* ---- writing the state file ------------------------------------------- */

static int
write_all(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync the directory holding `path`: the rename is on disk once it is. */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';     /* "/x" -> "/" */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* Replace the state file with `text`: FILE.tmp, fsync, rename, fsync of
 * the directory. @return 0, or -1 and one line in err. */
static int
state_write(const char *text, char *err, size_t len)
{
	char tmp[PATH_MAX];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", state_path) >= sizeof(tmp)) {
		snprintf(err, len, "path too long");
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, len, "cannot create %.300s: %s", tmp, strerror(errno));
		return -1;
	}
	int rc = write_all(fd, STATE_HEADER) || write_all(fd, text) || fsync(fd);
	int e = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && rename(tmp, state_path) != 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0) {
		unlink(tmp);
		snprintf(err, len, "cannot write %.300s: %s", tmp, strerror(e));
		return -1;
	}
	if (sync_dir(state_path) != 0 && errno != EINVAL) {
		snprintf(err, len, "cannot sync its directory: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Write the state if it changed. @return 0, or -1 (logged). */
static int
state_flush(void)
{
	char err[512];

	if (state_path == NULL || !dirty)
		return 0;
	char *text = fnd_ctl_config(err, sizeof(err));
	if (text != NULL && last != NULL && strcmp(text, last) == 0) {
		free(text);
		dirty = false;
		return 0;
	}
	if (text == NULL || state_write(text, err, sizeof(err)) != 0) {
		/* still dirty: tried again at the next change */
		fprintf(stderr, "fairnicd: state %s not written: %s (the running "
			"configuration would not survive a restart)\n", state_path, err);
		free(text);
		return -1;
	}
	free(last);
	last = text;
	dirty = false;
	return 0;
}

void
fnd_state_changed(void)
{
	dirty = true;
	if (batch == 0)
		state_flush();
}

/* ---- start-up ----------------------------------------------------------- */

/* The state file if there is one, else --config. @return 0, or -1. */
static int
start_from(void)
{
	struct stat st;

	if (stat(state_path, &st) == 0) {
		fprintf(stderr, "fairnicd: loading state %s (the running configuration "
			"at the last change)%s%s%s\n", state_path,
			config_path ? "; --config " : "", config_path ? config_path : "",
			config_path ? " not applied" : "");
		if (fnd_ctl_run_config(state_path) == 0)
			return 0;
		fprintf(stderr, "fairnicd: state %s not loaded, and left as it is: fix "
			"it, or remove it to start from --config\n", state_path);
		return -1;
	}
	if (errno != ENOENT) {
		fprintf(stderr, "fairnicd: state %s: %s\n", state_path, strerror(errno));
		return -1;
	}
	fprintf(stderr, "fairnicd: no state %s yet: applying %s%s\n", state_path,
		config_path ? "--config " : "no --config", config_path ? config_path : "");
	return config_path ? fnd_ctl_run_config(config_path) : 0;
}

int
fnd_state_start(void)
{
	if (state_path == NULL)
		return config_path ? fnd_ctl_run_config(config_path) : 0;
	batch++;
	int rc = start_from();
	batch--;
	if (rc != 0)
		return -1;
	dirty = true;
	return state_flush();
}

/* ---- reload ------------------------------------------------------------ */

static json_t *
exec2(const char *a, const char *b)
{
	char *argv[] = { (char *)a, (char *)b };
	return fnd_ctl_exec(2, argv);
}

/* The objects of `show`'s array `key`, by name, less the members in `skip`
 * (live state, not configuration). */
static json_t *
by_name(json_t *show, const char *key, const char *const skip[])
{
	json_t *out = json_object(), *o;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(show, "data"), key), i, o) {
		json_t *c = json_copy(o);
		for (int k = 0; skip[k] != NULL; k++)
			json_object_del(c, skip[k]);
		json_object_set_new(out, json_string_value(json_object_get(o, "name")), c);
	}
	json_decref(show);
	return out;
}

/* What a reload may change: {"vnics": {NAME: VNIC}, "uplinks": {...}}. */
static json_t *
snapshot(void)
{
	static const char *const vnic_live[] = { "connected", "rx_coalescing", NULL };
	static const char *const uplink_live[] = { "link", "speed_mbps", "mac", NULL };
	return json_pack("{s:o, s:o}",
			 "vnics", by_name(exec2("vnic", "show"), "vnics", vnic_live),
			 "uplinks", by_name(exec2("uplink", "show"), "uplinks", uplink_live));
}

/* Is `w` a spelling of the backend key ("vhost-user", "tap")? */
static bool
backend_word(const char *w)
{
	for (size_t i = 0; i < fn_vnic_nkeys; i++)
		if (fn_vnic_keys[i].key == FN_K_BACKEND && strcmp(fn_vnic_keys[i].name, w) == 0)
			return true;
	return false;
}

/* Does vNIC id have the backend `p` asks for (socket paths compared in
 * canonical form, as vnic add compares them)? */
static bool
same_backend(int32_t id, const struct fn_vnic_params *p)
{
	const struct fnd_vport *vp = &fnd.vports[id];
	char path[FN_PATH_MAX], err[256];

	if (vp->type != p->backend)
		return false;
	if (!vp->ops->has_socket)
		return strcmp(vp->path, p->path) == 0;
	return fnd_sock_canon(p->path, path, sizeof(path), err, sizeof(err)) == 0 &&
	       strcmp(vp->path, path) == 0;
}

/* One line of --config, as a reload applies it. */
static json_t *
reload_line(int argc, char *argv[])
{
	struct fn_cmd cmd;
	char err[256];

	if (fn_cmd_parse(argc, argv, &cmd, err, sizeof(err)) != 0 ||
	    cmd.op != FN_CMD_VNIC_ADD || fnd_vport_by_name(cmd.name) < 0)
		return fnd_ctl_exec(argc, argv);
	int32_t id = fnd_vport_by_name(cmd.name);
	if (!same_backend(id, &cmd.p))
		return fnd_ctl_error("vnic add %s: it exists with backend %s %s: left as "
				   "it is (delete it to add it with another)", cmd.name,
				   fnd.vports[id].ops->name, fnd.vports[id].path);
	/* "vnic add NAME KEY VALUE..." -> "vnic set NAME" and the same keys
	 * but the backend, which cannot change */
	char *set[FN_CFG_WORDS_MAX] = { "vnic", "set", argv[2] };
	int n = 3;
	for (int i = 3; i + 1 < argc; i += 2) {
		if (backend_word(argv[i]))
			continue;
		set[n++] = argv[i];
		set[n++] = argv[i + 1];
	}
	return fnd_ctl_exec(n, set);
}

/* "rx_rate 10000000 -> 20000000, ..." for the members of b that differ
 * in a (a NULL: b is new). @return malloc'd text. */
static char *
differences(json_t *a, json_t *b)
{
	char *text = NULL;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	const char *key, *sep = "";
	json_t *vb;

	if (f == NULL)
		return NULL;
	json_object_foreach(b, key, vb) {
		json_t *va = json_object_get(a, key);
		if (json_equal(va, vb))
			continue;
		char *x = va ? json_dumps(va, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		char *y = json_dumps(vb, JSON_ENCODE_ANY | JSON_COMPACT);
		fprintf(f, "%s%s %s -> %s", sep, key, x ? x : "(none)", y ? y : "?");
		sep = ", ";
		free(x);
		free(y);
	}
	fclose(f);
	return text;
}

/* Log what changed between two snapshots of `kind` ("vnics", "uplinks");
 * @return {"added": [NAME...], "changed": [...], "deleted": [...]}. */
static json_t *
compare(json_t *before, json_t *after, const char *kind, const char *what)
{
	json_t *a = json_object_get(before, kind), *b = json_object_get(after, kind);
	json_t *added = json_array(), *changed = json_array(), *deleted = json_array();
	const char *name;
	json_t *o;

	json_object_foreach(b, name, o) {
		json_t *old = json_object_get(a, name);
		if (old != NULL && json_equal(old, o))
			continue;
		char *d = differences(old, o);
		fprintf(stderr, "fairnicd: reload: %s %s %s%s%s\n", what, name,
			old ? "changed" : "added", old && d ? ": " : "", old && d ? d : "");
		free(d);
		json_array_append_new(old ? changed : added, json_string(name));
	}
	json_object_foreach(a, name, o)
		if (json_object_get(b, name) == NULL) {
			fprintf(stderr, "fairnicd: reload: %s %s deleted\n", what, name);
			json_array_append_new(deleted, json_string(name));
		}
	return json_pack("{s:o, s:o, s:o}", "added", added, "changed", changed,
			 "deleted", deleted);
}

/* Apply every line of --config, logging and skipping the ones that fail.
 * @return the messages of the failed lines, "FILE:LINE: message". */
static json_t *
reload_lines(FILE *f)
{
	char line[FN_CFG_LINE_MAX];
	json_t *failed = json_array();
	int lineno = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		char *argv[FN_CFG_WORDS_MAX], msg[640];
		bool whole = strchr(line, '\n') != NULL || feof(f);
		lineno++;
		int argc = whole ? fn_cmd_split(line, argv, FN_CFG_WORDS_MAX) : -1;
		if (argc == 0)
			continue;
		json_t *r = !whole ? fnd_ctl_error("line longer than %d bytes", FN_CFG_LINE_MAX - 2)
			    : argc < 0 ? fnd_ctl_error("too many words")
			    : reload_line(argc, argv);
		if (!reply_is_ok(r)) {
			snprintf(msg, sizeof(msg), "%s:%d: %s", config_path, lineno,
				 json_string_value(json_object_get(r, "error")));
			fprintf(stderr, "fairnicd: reload: %s\n", msg);
			json_array_append_new(failed, json_string(msg));
		}
		json_decref(r);
		/* the rest of a line too long is not a line of its own */
		while (!whole && fgets(line, sizeof(line), f) != NULL &&
		       strchr(line, '\n') == NULL)
			;
	}
	return failed;
}

json_t *
fnd_state_reload(void)
{
	if (config_path == NULL)
		return fnd_ctl_error("config reload: fairnicd was started without --config");
	if (reloading)
		return fnd_ctl_error("config reload: not inside the file it reloads");
	FILE *f = fopen(config_path, "r");
	if (f == NULL)
		return fnd_ctl_error("config reload: cannot open %s: %s", config_path,
				   strerror(errno));
	fprintf(stderr, "fairnicd: reload: applying %s again\n", config_path);
	json_t *before = snapshot();
	reloading = true;
	batch++;
	json_t *failed = reload_lines(f);
	batch--;
	reloading = false;
	fclose(f);
	json_t *after = snapshot();
	json_t *data = compare(before, after, "vnics", "vnic");
	json_t *up = compare(before, after, "uplinks", "uplink");
	json_object_set(data, "uplinks_changed", json_object_get(up, "changed"));
	json_object_set_new(data, "failed", failed);
	fprintf(stderr, "fairnicd: reload of %s: %zu vnic(s) added, %zu changed, "
		"%zu deleted, %zu uplink(s) changed, %zu line(s) failed\n", config_path,
		json_array_size(json_object_get(data, "added")),
		json_array_size(json_object_get(data, "changed")),
		json_array_size(json_object_get(data, "deleted")),
		json_array_size(json_object_get(up, "changed")), json_array_size(failed));
	json_decref(up);
	json_decref(before);
	json_decref(after);
	state_flush();
	return json_pack("{s:b, s:o}", "ok", 1, "data", data);
}

