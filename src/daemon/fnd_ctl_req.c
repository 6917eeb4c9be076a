/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_ctl_req: one control-protocol request line -> one response object
 * (docs/CONTROL.md). Separate from the socket code so that the control
 * protocol can be fuzzed without sockets (fuzz/fuzz_ctl.c).
 */
#include <string.h>
#include <jansson.h>
#include "fnd.h"

#define MAX_WORDS 64

json_t *
fnd_ctl_request(const char *line, size_t len, bool *fatal)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	char *argv[MAX_WORDS];
	size_t n;

	*fatal = true;
	if (req == NULL || !json_is_array(req) ||
	    (n = json_array_size(req)) > MAX_WORDS) {
		json_decref(req);
		return fnd_ctl_error("request must be one line holding a JSON array of at most 64 strings");
	}
	for (size_t i = 0; i < n; i++) {
		json_t *w = json_array_get(req, i);
		argv[i] = (char *)json_string_value(w);
		/* A word with an embedded NUL would mean something else in C. */
		if (argv[i] == NULL || strlen(argv[i]) != json_string_length(w)) {
			json_decref(req);
			return fnd_ctl_error("request words must be JSON strings without NUL characters");
		}
	}
	*fatal = false;
	json_t *r = fnd_ctl_exec((int)n, argv);
	json_decref(req);
	return r;
}
