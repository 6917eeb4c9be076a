/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fairnicctl: command-line client of fairnicd's control socket.
 *
 *   fairnicctl [-s SOCK] [--json] COMMAND...
 *
 * The command is first parsed with the same grammar the daemon uses
 * (fn_cmd_parse), so a typo is reported without a daemon and nothing is
 * sent. The words are then sent unchanged as one JSON array line, and one
 * JSON object line is read back (docs/CONTROL.md). With --json the `data`
 * member is printed as is; otherwise it is rendered iproute2-style, with
 * rates and sizes formatted by the grammar's own formatter so the output
 * can be pasted back as input.
 *
 * Exit status: 0 success, 1 the command was refused (locally or by the
 * daemon), 2 the daemon could not be reached or answered nonsense.
 *
 * The client is deliberately one request per connection and fully
 * blocking, with a socket timeout so a wedged daemon cannot hang scripts.
 *
 * `config save [FILE]` is answered from `config show`: the daemon never
 * writes files for a client, fairnicctl replaces FILE atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fn_cmd.h"
#include "fnc.h"
#include "fnc_top.h"

/* Object members keep document order (the stats columns rely on it). */
#if JANSSON_VERSION_HEX < 0x020800
#error "jansson >= 2.8 needed: older versions do not keep member order"
#endif

#define FNC_DEFAULT_SOCK  "/run/fairnic/ctl.sock"

/* FNC_EXIT_*: fnc.h */


static void
fnc_usage(FILE *f)
{
	fprintf(f,
		"Usage: fairnicctl [-s SOCK] [--json] COMMAND...\n"
		"\n"
		"Options:\n"
		"  -s, --socket SOCK  control socket of fairnicd (default "
		"$FAIRNIC_CTL,\n"
		"                     else " FNC_DEFAULT_SOCK ")\n"
		"  -j, --json         print the reply's data as JSON\n"
		"  -h, --help         print this help\n"
		"\n"
		"Live view: top [-d SECONDS] [-n N|--once] [--sort COLUMN] "
		"(top --help)\n"
		"\n%s", fn_cmd_usage());
}

/* ------------------------------------------------------------ transport */

/* ------------------------------------------------------- human output */

static void
fnc_print_vnic(json_t *v)
{
	const char *s, *path;
	char buf[64];
	json_t *j;
	int n = 0;

	s = fnc_str(v, "name");
	printf("%s:", s ? s : "?");
	if ((s = fnc_str(v, "mac")) != NULL)
		printf(" mac %s", s);
	s = fnc_str(v, "backend");
	path = fnc_str(v, "path");
	if (s != NULL)
		printf(" %s %s", s, path ? path : "?");
	if ((s = fnc_str(v, "uplink")) != NULL && s[0] != '\0')
		printf(" uplink %s", s);
	if (json_is_integer(j = json_object_get(v, "vlan")))
		printf(" vlan %lld", (long long)json_integer_value(j));
	if (json_is_boolean(j = json_object_get(v, "local")))
		printf(" local %s", json_is_true(j) ? "on" : "off");
	if ((s = fnc_str(v, "mode")) != NULL)
		printf(" mode %s", s);
	if ((s = fnc_str(v, "group")) != NULL)
		printf(" group %s", s);
	if (json_is_boolean(j = json_object_get(v, "connected")))
		printf(" %s", json_is_true(j) ? "connected" : "disconnected");
	putchar('\n');

	/* The L3 guard's keys (ip, dhcp-server, ra), as typed, on a line. */
	for (size_t i = 0; i < fn_vnic_nkeys; i++) {
		const struct fn_key_info *k = &fn_vnic_keys[i];
		if ((k->val == FN_VAL_IPSET || k->val == FN_VAL_ALLOW) &&
		    (s = fnc_str(v, k->field)) != NULL)
			printf("%s%s %s", n++ ? " " : "    ", k->name, s);
	}
	if (n > 0)
		putchar('\n');
	n = 0;

	/* The limits, as FN_VNIC_KEYS lists them (HOME LIMIT), in its order
	 * and spelling; one line per direction (a new line where the keyword's
	 * "rx-"/"tx-" prefix changes). */
	const char *line = NULL;
	for (size_t i = 0; i < fn_vnic_nkeys; i++) {
		const struct fn_key_info *k = &fn_vnic_keys[i];
		json_int_t x = 0;

		if (k->home != FN_HOME_LIMIT)
			continue;
		j = json_object_get(v, k->field);
		s = buf;
		if (json_is_integer(j) && (x = json_integer_value(j)) >= 0) {
			if (x == 0 && k->zero != NULL)
				s = k->zero;
			else if (k->val == FN_VAL_RATE)
				fn_format_rate((uint64_t)x, buf, sizeof(buf));
			else if (k->val == FN_VAL_SIZE)
				fn_format_size((uint64_t)x, buf, sizeof(buf));
			else
				snprintf(buf, sizeof(buf), "%lld", (long long)x);
		} else if (json_is_boolean(j)) {
			s = json_is_true(j) ? "on" : "off";
		} else if (json_is_string(j)) {
			s = json_string_value(j);
		} else {
			continue;
		}
		if (line != NULL && strncmp(line, k->name, 3) != 0) {
			putchar('\n');
			n = 0;
		}
		line = k->name;
		printf("%s%s %s", n++ ? " " : "    ", k->name, s);
	}
	if (n > 0)
		putchar('\n');
}

/* One line per uplink: its name, then every member in document order;
 * the capacities as rates ("unlimited" for 0), "(auto)" after an
 * automatic tx-rate. */
static void
fnc_print_uplink(json_t *u)
{
	const char *key, *s = fnc_str(u, "name");
	char buf[64];
	json_t *j;

	printf("%s:", s ? s : "?");
	json_object_foreach(u, key, j) {
		if (strcmp(key, "name") == 0 || strcmp(key, "tx_rate_auto") == 0)
			continue;
		if ((strcmp(key, "rx_rate") == 0 || strcmp(key, "tx_rate") == 0) &&
		    json_is_integer(j) && json_integer_value(j) >= 0) {
			json_int_t x = json_integer_value(j);
			printf(" %c%c-rate %s", key[0], key[1], x == 0 ? "unlimited" :
			       fn_format_rate((uint64_t)x, buf, sizeof(buf)));
			if (key[0] == 't' &&
			    json_is_true(json_object_get(u, "tx_rate_auto")))
				printf(" (auto)");
		} else if (json_is_string(j))
			printf(" %s %s", key, json_string_value(j));
		else if (json_is_integer(j))
			printf(" %s %lld", key, (long long)json_integer_value(j));
		else if (json_is_boolean(j) && strcmp(key, "link") == 0)
			printf(" link %s", json_is_true(j) ? "up" : "down");
		else if (json_is_boolean(j))
			printf(" %s %s", key, json_is_true(j) ? "on" : "off");
	}
	putchar('\n');
}

/*
 * A table of objects: a name column, then every number member any row
 * has, in the order first seen (fractions with 3 decimals). Rows lacking
 * a column show "-".
 */
static size_t
fnc_num(json_t *j, char *buf, size_t len)
{
	int r = json_is_integer(j)
		? snprintf(buf, len, "%lld", (long long)json_integer_value(j))
		: snprintf(buf, len, "%.3f", json_real_value(j));
	return r < 0 ? 0 : (size_t)r;
}

static void
fnc_print_table(json_t *rows, const char *first)
{
	const char **col = NULL;
	size_t ncol = 1, *w = NULL, i, r;
	json_t *o, *j;
	const char *key;
	char num[32];

	if (json_array_size(rows) == 0)
		return;
	/* Every row may add columns; no row has more than its members. */
	size_t maxcol = 1;
	json_array_foreach(rows, r, o)
		maxcol += json_object_size(o);
	col = calloc(maxcol, sizeof(*col));
	w = calloc(maxcol, sizeof(*w));
	if (col == NULL || w == NULL) {
		fnc_err("out of memory");
		goto out;
	}
	col[0] = first;
	w[0] = strlen(first);
	json_array_foreach(rows, r, o) {
		const char *name = fnc_str(o, "name");

		if (name != NULL && strlen(name) > w[0])
			w[0] = strlen(name);
		json_object_foreach(o, key, j) {
			if (!json_is_number(j))
				continue;
			for (i = 1; i < ncol && strcmp(col[i], key) != 0; i++)
				;
			if (i == ncol) {
				col[ncol] = key;
				w[ncol++] = strlen(key);
			}
			size_t l = fnc_num(j, num, sizeof(num));
			if (l > w[i])
				w[i] = l;
		}
	}

	printf("%-*s", (int)w[0], col[0]);
	for (i = 1; i < ncol; i++)
		printf("  %*s", (int)w[i], col[i]);
	putchar('\n');
	json_array_foreach(rows, r, o) {
		const char *name = fnc_str(o, "name");

		printf("%-*s", (int)w[0], name ? name : "?");
		for (i = 1; i < ncol; i++) {
			j = json_object_get(o, col[i]);
			if (json_is_number(j)) {
				fnc_num(j, num, sizeof(num));
				printf("  %*s", (int)w[i], num);
			} else
				printf("  %*s", (int)w[i], "-");
		}
		putchar('\n');
	}
out:
	free(col);
	free(w);
}

/* What `config reload` did: one line per vNIC or uplink it changed, and
 * the lines of the file that failed. */
static void
fnc_print_reload(json_t *data)
{
	static const char *const what[][2] = {
		{ "added", "vnic %s added\n" }, { "changed", "vnic %s changed\n" },
		{ "deleted", "vnic %s deleted\n" },
		{ "uplinks_changed", "uplink %s changed\n" }, { "failed", "%s\n" },
	};
	json_t *o;
	size_t i;

	for (size_t k = 0; k < sizeof(what) / sizeof(what[0]); k++)
		json_array_foreach(json_object_get(data, what[k][0]), i, o)
			if (json_is_string(o))
				printf(what[k][1], json_string_value(o));
}

/* @return 0, or -1 if `data` does not have the documented shape. */
static int
fnc_print_human(const struct fn_cmd *cmd, json_t *data)
{
	json_t *vnics = json_object_get(data, "vnics");
	json_t *uplinks = json_object_get(data, "uplinks");
	json_t *o;
	size_t i;

	switch (cmd->op) {
	case FN_CMD_VNIC_SHOW:
		if (!json_is_array(vnics))
			return -1;
		json_array_foreach(vnics, i, o)
			if (json_is_object(o))
				fnc_print_vnic(o);
		return 0;
	case FN_CMD_UPLINK_SHOW:
		if (!json_is_array(uplinks))
			return -1;
		json_array_foreach(uplinks, i, o)
			if (json_is_object(o))
				fnc_print_uplink(o);
		return 0;
	case FN_CMD_STATS_SHOW:
		if (!json_is_array(vnics) ||
		    (uplinks != NULL && !json_is_array(uplinks)))
			return -1;
		fnc_print_table(vnics, "vnic");
		if (json_array_size(vnics) > 0 && json_array_size(uplinks) > 0)
			putchar('\n');
		fnc_print_table(uplinks, "uplink");
		return 0;
	case FN_CMD_CONFIG_SHOW:
		if (!json_is_string(json_object_get(data, "config")))
			return -1;
		fputs(fnc_str(data, "config"), stdout);
		return 0;
	case FN_CMD_CONFIG_RELOAD:
		fnc_print_reload(data);
		return 0;
	default:
		return 0;       /* add, set, del, reset: silence is success */
	}
}

static void
fnc_print_json(json_t *data)
{
	char *s;

	/* Scripts always get an object to parse, even for "no data". */
	if (data == NULL || json_is_null(data)) {
		puts("{\"ok\": true}");
		return;
	}
	s = json_dumps(data, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		       JSON_ENCODE_ANY);
	if (s == NULL) {
		fnc_err("out of memory");
		return;
	}
	puts(s);
	free(s);
}

/* ---------------------------------------------------------- config save */

static int
fnc_write_all(int fd, const char *s)
{
	for (size_t n = strlen(s); n > 0;) {
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

/* Replace `file` with `text` atomically: a temporary file in its directory,
 * fsync, rename, fsync of the directory. A reader sees the old or the new
 * file, never half of one. @return 0, or -1 after saying why. */
static int
fnc_write_atomic(const char *file, const char *text)
{
	size_t n = strlen(file);
	char *tmp = malloc(n + 8), *dir = strdup(file);
	int fd = -1, e = ENOMEM;

	if (tmp != NULL && dir != NULL) {
		snprintf(tmp, n + 8, "%s.XXXXXX", file);
		fd = mkstemp(tmp);
		e = errno;
	}
	if (fd < 0) {
		fnc_err("cannot create a temporary file next to %s: %s", file, strerror(e));
		free(tmp);
		free(dir);
		return -1;
	}
	mode_t um = umask(0);
	umask(um);
	int rc = fchmod(fd, 0666 & ~um) || fnc_write_all(fd, text) || fsync(fd);
	e = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && rename(tmp, file) != 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0) {
		unlink(tmp);
		fnc_err("writing %s: %s", file, strerror(e));
	} else {
		char *slash = strrchr(dir, '/');
		if (slash != NULL)
			slash[slash == dir] = '\0';
		int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {         /* best effort: the file is complete */
			(void)fsync(dfd);
			close(dfd);
		}
	}
	free(tmp);
	free(dir);
	return rc ? -1 : 0;
}

/* `config save [FILE]`: the daemon's `config show`, on stdout or in FILE. */
static int
fnc_config_save(const char *sock, const char *file)
{
	char *words[] = { "config", "show" };
	json_t *resp = fnc_request(sock, 2, words);
	int rc = FNC_EXIT_CMD;

	if (resp == NULL)
		return FNC_EXIT_COMM;
	const char *text = fnc_str(json_object_get(resp, "data"), "config");
	if (!json_is_true(json_object_get(resp, "ok")) || text == NULL)
		fnc_err("%s", fnc_str(resp, "error") ? fnc_str(resp, "error") :
			"fairnicd sent no configuration");
	else if (file == NULL)
		rc = fputs(text, stdout) < 0 ? FNC_EXIT_CMD : FNC_EXIT_OK;
	else
		rc = fnc_write_atomic(file, text) == 0 ? FNC_EXIT_OK : FNC_EXIT_CMD;
	json_decref(resp);
	return rc;
}

/* ----------------------------------------------------------------- main */

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json",   no_argument,       NULL, 'j' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("FAIRNIC_CTL");
	bool json = false;
	struct fn_cmd cmd;
	char err[256];
	json_t *resp, *ok;
	int c, rc;

	if (sock == NULL || sock[0] == '\0')
		sock = FNC_DEFAULT_SOCK;
	/* '+': stop at the command, so "rx-rate -1" reaches the grammar. */
	while ((c = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fnc_usage(stdout);
			return FNC_EXIT_OK;
		default:
			fprintf(stderr, "Try 'fairnicctl --help'.\n");
			return FNC_EXIT_CMD;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		fnc_usage(stderr);
		return FNC_EXIT_CMD;
	}
	if (strcmp(argv[0], "top") == 0)        /* the CLI's own, not the grammar's */
		return fnc_top(sock, argc, argv);
	if (fn_cmd_parse(argc, argv, &cmd, err, sizeof(err)) != 0) {
		fnc_err("%s", err);
		return FNC_EXIT_CMD;
	}
	if (cmd.op == FN_CMD_HELP) {
		/* Answered here: the help is the grammar's, no daemon needed. */
		if (cmd.topic == FN_HELP_ALL)
			fnc_usage(stdout);
		else
			fputs(fn_cmd_help(cmd.topic, cmd.markdown), stdout);
		return fflush(stdout) == 0 ? FNC_EXIT_OK : FNC_EXIT_CMD;
	}
	if (cmd.op == FN_CMD_CONFIG_SAVE) {
		rc = fnc_config_save(sock, cmd.file);
		return fflush(stdout) == 0 ? rc : FNC_EXIT_CMD;
	}

	resp = fnc_request(sock, argc, argv);
	if (resp == NULL)
		return FNC_EXIT_COMM;
	ok = json_object_get(resp, "ok");
	if (json_is_false(ok)) {
		const char *e = fnc_str(resp, "error");

		fnc_err("%s", e ? e : "fairnicd refused the command (no reason "
			"given)");
		rc = FNC_EXIT_CMD;
	} else if (json) {
		fnc_print_json(json_object_get(resp, "data"));
		rc = FNC_EXIT_OK;
	} else if (fnc_print_human(&cmd, json_object_get(resp, "data")) != 0) {
		/* Unexpected shape: show what came rather than nothing. */
		fnc_print_json(json_object_get(resp, "data"));
		rc = FNC_EXIT_OK;
	} else {
		rc = FNC_EXIT_OK;
	}
	json_decref(resp);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fnc_err("writing output: %s", strerror(errno));
		rc = FNC_EXIT_CMD;
	}
	return rc;
}
