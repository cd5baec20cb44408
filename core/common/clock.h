/* Monotonic clock and an interruptible wait on one socket (core and plugins). */
#ifndef AD_CLOCK_H
#define AD_CLOCK_H

#include <stdint.h>

/* How often a wait asks whether to stop (the plugin ABI's 100 ms). */
#define AD_WAIT_SLICE_MS 100

/* Monotonic clock in milliseconds. */
uint64_t ad_now_ms(void);

/* Asked at least every AD_WAIT_SLICE_MS during a wait: non-zero means stop. */
typedef int (*ad_stop_fn)(void *ctx);

enum ad_poll { AD_POLL_READY, AD_POLL_TIMEOUT, AD_POLL_ERROR, AD_POLL_STOPPED };

/* Wait until FD is ready for EVENTS (poll(2) bits), DEADLINE (ad_now_ms
 * time) passes, or STOP(CTX) says to stop (STOP may be NULL).  An error or
 * hang-up on FD counts as ready, so that the next read or write reports it. */
enum ad_poll ad_poll_fd(int fd, short events, uint64_t deadline, ad_stop_fn stop, void *ctx);

#endif
