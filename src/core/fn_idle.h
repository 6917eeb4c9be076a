/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_IDLE_H
#define FN_IDLE_H
/*
 * fn_idle: when the data-plane worker may stop polling, and for how long.
 *
 * The worker busy-polls while rounds move frames. After a spell of empty
 * rounds (`idle_after`, so that a short gap between bursts costs no
 * wake-up latency) it may sleep:
 *  - blocked on its wake-up sources (guest kicks, uplink receive
 *    interrupts, the control plane) when every source it polls can wake
 *    it and nothing waits on time; the caller arms them, polls once more
 *    (no lost wake-up), then blocks for at most `block_max`;
 *  - otherwise for a bounded time that doubles from `sleep_min` up to
 *    `sleep_max` while the worker stays idle (a port without interrupts:
 *    OVS's pmd-sleep-max), or at most `sleep_min` while frames wait for
 *    time to pass (a shaped queue's next tokens, a busy uplink).
 * --poll-mode busy never sleeps. Time is an argument (cycles of hz).
 */
#include <stdbool.h>
#include <stdint.h>

enum fn_idle_mode { FN_IDLE_ADAPTIVE, FN_IDLE_BUSY };

struct fn_idle_conf {
	enum fn_idle_mode mode;
	uint64_t idle_after;    /**< empty rounds for this long before a sleep */
	uint64_t sleep_min;     /**< first timed sleep, and the most while frames wait */
	uint64_t sleep_max;     /**< longest timed sleep (--idle-sleep-max) */
	uint64_t block_max;     /**< longest blocked sleep (timers still run) */
};

/** Defaults at `hz`: idle after 200 us, timed sleeps 10 us .. sleep_max_us
 *  (--idle-sleep-max, default 500 us), blocked sleeps at most 100 ms. */
void fn_idle_conf_default(struct fn_idle_conf *c, uint64_t hz, uint64_t sleep_max_us);

enum fn_idle_action {
	FN_IDLE_POLL,           /**< poll again at once */
	FN_IDLE_SLEEP,          /**< sleep for *cycles (a wake-up may end it early) */
	FN_IDLE_BLOCK,          /**< arm the wake-up sources, poll once more, then
				     block for at most *cycles */
};

struct fn_idle {
	bool idle;              /**< the last round moved nothing */
	uint64_t idle_since;    /**< first of the current run of empty rounds */
	uint64_t next_sleep;    /**< the next timed sleep, cycles */
	uint64_t sleeps, blocks;/**< statistics */
};

void fn_idle_init(struct fn_idle *s, const struct fn_idle_conf *c);

/**
 * After a round at `now` that moved `work` frames. `waiting`: frames wait
 * on time (queued but not deliverable yet, or a port that is busy);
 * `wakeable`: every source the worker polls can wake it. `deadline`: the
 * time something must be done (a held frame is due), or UINT64_MAX.
 * @return what to do; *cycles the longest sleep.
 */
enum fn_idle_action fn_idle_round(struct fn_idle *s, const struct fn_idle_conf *c,
				  uint64_t now, uint32_t work, bool waiting,
				  bool wakeable, uint64_t deadline, uint64_t *cycles);

#endif /* FN_IDLE_H */
