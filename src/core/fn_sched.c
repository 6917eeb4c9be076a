/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_sched: guarantees, weights and ceilings on one link (see fn_sched.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fn_sched.h"

#define NONE FN_SCHED_NONE
#define SCALE 16                        /* deficits in 1/65536 byte */

/* A bucket of `rate` bits/s holding 10 ms (as the vNICs' default bursts),
 * never less than `floor_b` bytes: credit a stall of the port or the core
 * would otherwise lose (measured: with 1 ms, a 1 Gbit/s uplink behind a
 * busy receiver carried 72 % of its tx-rate, and guarantees fell short). */
static int
bits_profile(struct fn_tb_profile *p, uint64_t rate, uint64_t burst_bytes,
	     uint64_t floor_b, uint64_t hz)
{
	if (rate == 0)
		return fn_tb_profile_init(p, 0, 0, hz);
	if (burst_bytes == 0) {
		burst_bytes = rate / 8 / 100;
		if (burst_bytes < floor_b)
			burst_bytes = floor_b;
		/* exact accounting needs burst * hz < 2^62: a default never
		 * exceeds that (10 ms of 200 Gbit/s would, at 2.4 GHz) */
		uint64_t most = (UINT64_C(1) << 62) / hz / 8 - 1;
		if (burst_bytes > most)
			burst_bytes = most;
	}
	return fn_tb_profile_init(p, rate, burst_bytes * 8, hz);
}

static int
pps_profile(struct fn_tb_profile *p, uint64_t pps, uint64_t burst, uint64_t hz)
{
	if (pps == 0)
		return fn_tb_profile_init(p, 0, 0, hz);
	if (burst == 0) {
		burst = pps / 100;     /* 10 ms, as the bits buckets and the vNIC keys */
		if (burst < FN_SCHED_BURST)
			burst = FN_SCHED_BURST;
	}
	return fn_tb_profile_init(p, pps, burst, hz);
}

static void set_unit(struct fn_sched *s);

struct profiles {
	struct fn_tb_profile min_p, ceil_p, pps_p;
};

static int
make_profiles(const struct fn_sched *s, const struct fn_sched_conf *c, struct profiles *o)
{
	int rc;
	if (c->weight < 1 || c->weight > FN_SCHED_WEIGHT_MAX)
		return -EINVAL;
	if (c->ceil && c->min > c->ceil)
		return -EINVAL;
	if ((rc = bits_profile(&o->min_p, c->min, 0, FN_SCHED_QUANTUM, s->hz)) != 0 ||
	    (rc = bits_profile(&o->ceil_p, c->ceil, c->ceil_burst, FN_SCHED_QUANTUM, s->hz)) != 0 ||
	    (rc = pps_profile(&o->pps_p, c->ceil_pps, c->ceil_pps_burst, s->hz)) != 0)
		return rc;
	return 0;
}

int
fn_sched_init(struct fn_sched *s, uint32_t max_flows, uint64_t hz)
{
	memset(s, 0, sizeof(*s));
	if (max_flows == 0 || hz == 0)
		return -EINVAL;
	s->flows = calloc(max_flows, sizeof(*s->flows));
	if (s->flows == NULL)
		return -ENOMEM;
	s->hz = hz;
	s->max_flows = max_flows;
	s->ring = s->cursor = s->ghead = s->gpos = NONE;
	s->w_max = 1;
	set_unit(s);
	return fn_tb_profile_init(&s->cap_p, 0, 0, hz);
}

void
fn_sched_free(struct fn_sched *s)
{
	free(s->flows);
	s->flows = NULL;
}

int
fn_sched_set_capacity(struct fn_sched *s, uint64_t rate, uint64_t now)
{
	struct fn_tb_profile p;
	int rc = bits_profile(&p, rate, 0, FN_SCHED_QUANTUM, s->hz);
	if (rc != 0)
		return rc;
	fn_tb_reprofile(&s->cap_tb, &s->cap_p, &p, now);
	s->cap_p = p;
	return 0;
}

int
fn_sched_conf_check(const struct fn_sched *s, const struct fn_sched_conf *c)
{
	struct profiles p;
	return make_profiles(s, c, &p);
}

/*
 * A pass gives the heaviest awake flow about one burst when few flows are
 * awake, one frame when many are: a pass over n flows stays short, so
 * shares converge within milliseconds even with thousands, and a lone busy
 * flow beside idle (sleeping) ones still gets whole bursts. O(1): called
 * whenever a flow sleeps or wakes.
 */
static void
set_unit(struct fn_sched *s)
{
	uint64_t q = FN_SCHED_QUANTUM / (s->n_members ? s->n_members : 1);
	if (q < FN_SCHED_FRAME)
		q = FN_SCHED_FRAME;
	s->unit = (q << SCALE) / s->w_max;
}

/* Quanta are relative to the largest weight among configured flows. */
static void
requantize(struct fn_sched *s)
{
	uint32_t w_max = 1;
	for (uint32_t id = 0; id < s->max_flows; id++)
		if (s->flows[id].member && s->flows[id].conf.weight > w_max)
			w_max = s->flows[id].conf.weight;
	s->w_max = w_max;
	set_unit(s);
}

/* Scaled bytes a visit adds to flow f's deficit. */
static inline uint64_t
quantum(const struct fn_sched *s, const struct fn_sched_flow *f)
{
	return s->unit * f->conf.weight;
}

static void
green_unlink(struct fn_sched *s, uint32_t id)
{
	uint32_t *pp = &s->ghead;
	while (*pp != NONE && *pp != id)
		pp = &s->flows[*pp].gnext;
	if (*pp == id)
		*pp = s->flows[id].gnext;
	if (s->gpos == id)
		s->gpos = s->flows[id].gnext;
	s->flows[id].gnext = NONE;
}

int
fn_sched_flow_set(struct fn_sched *s, uint32_t id, const struct fn_sched_conf *c,
		  uint64_t now)
{
	struct profiles p;
	int rc;
	if (id >= s->max_flows)
		return -EINVAL;
	if ((rc = make_profiles(s, c, &p)) != 0)
		return rc;
	struct fn_sched_flow *f = &s->flows[id];
	bool had_min = f->awake && f->conf.min != 0;
	bool joined = !f->member;
	if (!f->member) {
		memset(f, 0, sizeof(*f));
		f->member = true;
		f->avg_size = FN_SCHED_FRAME;
		f->gnext = NONE;
		fn_tb_init(&f->min_tb, &p.min_p, now);
		fn_tb_init(&f->ceil_tb, &p.ceil_p, now);
		fn_tb_init(&f->pps_tb, &p.pps_p, now);
		s->n_flows++;
	} else {
		fn_tb_reprofile(&f->min_tb, &f->min_p, &p.min_p, now);
		fn_tb_reprofile(&f->ceil_tb, &f->ceil_p, &p.ceil_p, now);
		fn_tb_reprofile(&f->pps_tb, &f->pps_p, &p.pps_p, now);
	}
	f->min_p = p.min_p;
	f->ceil_p = p.ceil_p;
	f->pps_p = p.pps_p;
	f->conf = *c;
	if (f->awake && c->min != 0 && !had_min) {
		f->gnext = s->ghead;
		s->ghead = id;
	} else if (f->awake && c->min == 0 && had_min) {
		green_unlink(s, id);
	}
	if (joined)
		fn_sched_wake(s, id);
	requantize(s);
	return 0;
}

void
fn_sched_flow_del(struct fn_sched *s, uint32_t id)
{
	if (id >= s->max_flows || !s->flows[id].member)
		return;
	fn_sched_sleep(s, id);
	s->flows[id].member = false;
	s->n_flows--;
	requantize(s);
}

void
fn_sched_wake(struct fn_sched *s, uint32_t id)
{
	if (id >= s->max_flows || !s->flows[id].member || s->flows[id].awake)
		return;
	struct fn_sched_flow *f = &s->flows[id];
	f->awake = true;
	f->open = false;
	if (s->ring == NONE) {
		f->next = f->prev = id;
		s->ring = s->cursor = id;
	} else {
		/* join at the back of the round: just before the cursor */
		uint32_t at = s->cursor;
		f->next = at;
		f->prev = s->flows[at].prev;
		s->flows[f->prev].next = id;
		s->flows[at].prev = id;
	}
	s->n_members++;
	set_unit(s);
	if (f->conf.min != 0) {
		f->gnext = s->ghead;
		s->ghead = id;
	}
}

void
fn_sched_sleep(struct fn_sched *s, uint32_t id)
{
	if (id >= s->max_flows || !s->flows[id].awake)
		return;
	struct fn_sched_flow *f = &s->flows[id];
	if (f->conf.min != 0)
		green_unlink(s, id);
	if (f->next == id) {
		s->ring = s->cursor = NONE;
	} else {
		s->flows[f->prev].next = f->next;
		s->flows[f->next].prev = f->prev;
		if (s->ring == id)
			s->ring = f->next;
		if (s->cursor == id)
			s->cursor = f->next;
	}
	f->awake = false;
	f->open = false;
	if (f->deficit > 0)
		f->deficit = 0;     /* unused credit is lost; debt is kept */
	s->n_members--;
	set_unit(s);
	if (s->visits_left > s->n_members)
		s->visits_left = s->n_members;
}

void
fn_sched_begin(struct fn_sched *s, uint64_t now)
{
	s->now = now;
	s->round++;
	s->gpos = s->ghead;
	s->visits_left = s->n_members;
	s->served_any = false;
}

static inline bool
has_credit(struct fn_tb *tb, const struct fn_tb_profile *p, uint64_t now)
{
	if (p->unlimited)
		return true;
	fn_tb_refill(tb, p, now);
	return tb->tokens > 0;
}

static inline bool
is_empty(const struct fn_sched *s, const struct fn_sched_flow *f)
{
	return f->empty_round == s->round;
}

/* Below its ceilings (bits and frames)? */
static inline bool
under_ceiling(struct fn_sched *s, struct fn_sched_flow *f)
{
	return has_credit(&f->ceil_tb, &f->ceil_p, s->now) &&
	       has_credit(&f->pps_tb, &f->pps_p, s->now);
}

/*
 * Frames a flow may take now: a burst, less what its pps ceiling allows;
 * in the yellow pass no more than its deficit covers at its usual frame
 * size (at least one), so its debt stays within about a frame and small
 * quanta stay fair.
 */
static inline uint32_t
serve(struct fn_sched *s, uint32_t id, bool green, uint32_t *budget)
{
	struct fn_sched_flow *f = &s->flows[id];
	uint32_t max = FN_SCHED_BURST;
	if (!green) {
		uint64_t frames = ((uint64_t)f->deficit >> SCALE) / f->avg_size + 1;
		if (frames < max)
			max = (uint32_t)frames;
	}
	f->green_served = green;
	*budget = fn_tb_shape_budget(&f->pps_tb, &f->pps_p, s->now, max);
	return id;
}

static inline void
advance(struct fn_sched *s)
{
	s->flows[s->cursor].open = false;
	s->cursor = s->flows[s->cursor].next;
	s->visits_left--;
}

/*
 * A whole yellow pass served nobody: every flow that could send is still
 * in deficit. Skip the rounds in which nothing would change: add k quanta
 * to each such flow, k the fewest that makes one of them positive.
 * @return false when no member could send at all.
 */
static bool
fast_forward(struct fn_sched *s)
{
	uint64_t k = UINT64_MAX;
	uint32_t id = s->ring;
	for (uint32_t i = 0; i < s->n_members; i++, id = s->flows[id].next) {
		struct fn_sched_flow *f = &s->flows[id];
		if (is_empty(s, f) || !under_ceiling(s, f))
			continue;
		uint64_t need = (uint64_t)(1 - f->deficit);     /* deficit <= 0 here */
		uint64_t q = quantum(s, f);
		uint64_t r = (need + q - 1) / q;
		if (r < k)
			k = r;
	}
	if (k == UINT64_MAX)
		return false;
	id = s->ring;
	for (uint32_t i = 0; i < s->n_members; i++, id = s->flows[id].next) {
		struct fn_sched_flow *f = &s->flows[id];
		if (!is_empty(s, f) && under_ceiling(s, f))
			f->deficit += (int64_t)(k * quantum(s, f));
	}
	return true;
}

uint32_t
fn_sched_next(struct fn_sched *s, uint32_t *budget)
{
	if (s->n_members == 0 || !has_credit(&s->cap_tb, &s->cap_p, s->now))
		return NONE;
	/* Green: guarantees first, each while its guarantee bucket has credit. */
	while (s->gpos != NONE) {
		struct fn_sched_flow *f = &s->flows[s->gpos];
		if (!is_empty(s, f) && has_credit(&f->min_tb, &f->min_p, s->now) &&
		    under_ceiling(s, f))
			return serve(s, s->gpos, true, budget);
		s->gpos = f->gnext;
	}
	/* Yellow: deficit round robin by weight. */
	for (int pass = 0; pass < 2; pass++) {
		while (s->visits_left > 0) {
			struct fn_sched_flow *f = &s->flows[s->cursor];
			if (!f->open) {
				if (is_empty(s, f) || !under_ceiling(s, f)) {
					advance(s);
					continue;
				}
				f->deficit += (int64_t)quantum(s, f);
				f->open = true;
			}
			if (f->deficit > 0 && !is_empty(s, f) && under_ceiling(s, f))
				return serve(s, s->cursor, false, budget);
			advance(s);
		}
		if (s->served_any || pass == 1 || !fast_forward(s))
			break;
		s->visits_left = s->n_members;
	}
	return NONE;
}

void
fn_sched_done(struct fn_sched *s, uint32_t id, uint32_t frames, uint64_t bytes,
	      bool empty)
{
	if (id >= s->max_flows || !s->flows[id].member)
		return;
	struct fn_sched_flow *f = &s->flows[id];
	if (frames)
		f->avg_size = (uint32_t)(bytes / frames) ? (uint32_t)(bytes / frames) : 1;
	fn_tb_charge(&f->ceil_tb, &f->ceil_p, bytes * 8);
	fn_tb_charge(&f->pps_tb, &f->pps_p, frames);
	fn_tb_charge(&s->cap_tb, &s->cap_p, bytes * 8);
	if (f->green_served) {
		fn_tb_charge(&f->min_tb, &f->min_p, bytes * 8);
	} else {
		f->deficit -= (int64_t)(bytes << SCALE);
		/* a pass that found only empty flows served nobody: it may
		 * fast-forward (fn_sched_next) */
		if (frames)
			s->served_any = true;
	}
	if (empty || frames == 0) {
		f->empty_round = s->round;
		if (f->deficit > 0)
			f->deficit = 0;     /* unused credit is lost; debt is kept */
	}
}

void
fn_sched_refund(struct fn_sched *s, uint64_t bytes)
{
	if (s->cap_p.unlimited)
		return;
	__int128 t = (__int128)s->cap_tb.tokens + (__int128)bytes * 8 * s->cap_p.unit_cost;
	s->cap_tb.tokens = t > s->cap_p.max_tokens ? s->cap_p.max_tokens : (int64_t)t;
}
