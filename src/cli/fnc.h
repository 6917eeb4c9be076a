/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FNC_H
#define FNC_H
/*
 * The CLI's client of the control socket (fnc.c), for fairnicctl.c and
 * fnc_top.c: exit statuses, the error line, one request and its reply.
 */
#include <jansson.h>

/** 0 success, 1 the command was refused, 2 the daemon could not be
 *  reached or answered nonsense. */
enum { FNC_EXIT_OK = 0, FNC_EXIT_CMD = 1, FNC_EXIT_COMM = 2 };

/** The string member `key` of object `o`, or NULL. */
const char *fnc_str(json_t *o, const char *key);

/** Print "fairnicctl: MESSAGE\n" on stderr. */
void fnc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Send the words as one request (its own connection), read and decode the
 * reply.
 * @return the reply object ({"ok": ...}), or NULL after printing why.
 */
json_t *fnc_request(const char *path, int argc, char *argv[]);

#endif /* FNC_H */
