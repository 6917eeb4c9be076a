/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_fifo: receive queues of frame pointers (see fn_fifo.h). */
#include <errno.h>
#include <stdlib.h>
#include "fn_fifo.h"

int
fn_fifo_pool_init(struct fn_fifo_pool *p, uint32_t chunks)
{
	p->mem = p->free = NULL;
	p->size = p->n_free = 0;
	if (chunks == 0)
		return -EINVAL;
	p->mem = calloc(chunks, sizeof(*p->mem));
	if (p->mem == NULL)
		return -ENOMEM;
	for (uint32_t i = chunks; i-- > 0;) {
		p->mem[i].next = p->free;
		p->free = &p->mem[i];
	}
	p->size = p->n_free = chunks;
	return 0;
}

void
fn_fifo_pool_fini(struct fn_fifo_pool *p)
{
	free(p->mem);
	p->mem = p->free = NULL;
	p->size = p->n_free = 0;
}
