/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_vport: the registry of vNICs' backends (see fnd_vport.h). No DPDK
 * library call here: the control-plane fuzzer links it as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fnd.h"

const struct fnd_backend_ops *
fnd_backend_of(enum fn_backend type)
{
	return type == FN_BACKEND_TAP ? &fnd_tap_backend : &fnd_vhost_user_backend;
}

int
fnd_vport_init(uint32_t max_vnics)
{
	for (int i = 0; i < FND_VHOST_MAX; i++)
		fnd.vid_vnic[i] = -1;
	fnd.vports = calloc(max_vnics, sizeof(*fnd.vports));
	fnd.active = calloc(max_vnics, sizeof(*fnd.active));
	return fnd.vports != NULL && fnd.active != NULL ? 0 : -1;
}

void
fnd_vport_fini(void)
{
	free(fnd.vports);
	free(fnd.active);
	fnd.vports = NULL;
	fnd.active = NULL;
}

/* fnd.active: the vNICs in use, in id order. */
static void
active_rebuild(void)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++)
		if (fnd.vports[i].in_use)
			fnd.active[n++] = i;
	fnd.n_active = n;
}

struct fnd_vport *
fnd_vport_claim(uint32_t id, enum fn_backend type, const char *name, const char *path)
{
	struct fnd_vport *vp = &fnd.vports[id];
	*vp = (struct fnd_vport){ .in_use = true, .type = type, .ops = fnd_backend_of(type),
				  .vid = -1, .kickfd = -1 };
	snprintf(vp->name, sizeof(vp->name), "%s", name);
	snprintf(vp->path, sizeof(vp->path), "%s", path);
	active_rebuild();
	return vp;
}

void
fnd_vport_release(uint32_t id)
{
	fnd.vports[id].in_use = false;
	fnd.vports[id].ready = false;
	active_rebuild();
}

int32_t
fnd_vport_by_name(const char *name)
{
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++)
		if (fnd.vports[i].in_use && strcmp(fnd.vports[i].name, name) == 0)
			return (int32_t)i;
	return -1;
}

int32_t
fnd_vport_find(enum fn_backend type, const char *path)
{
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++) {
		const struct fnd_vport *vp = &fnd.vports[i];
		if (vp->in_use && vp->type == type && strcmp(vp->path, path) == 0)
			return (int32_t)i;
	}
	return -1;
}

void
fnd_vport_bind_vid(int vid, int32_t id)
{
	if (vid >= 0 && vid < FND_VHOST_MAX)
		fnd.vid_vnic[vid] = id;
}

int32_t
fnd_vport_by_vid(int vid)
{
	return vid >= 0 && vid < FND_VHOST_MAX ? fnd.vid_vnic[vid] : -1;
}
