#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

uint64_t ad_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum ad_poll ad_poll_fd(int fd, short events, uint64_t deadline, ad_stop_fn stop, void *ctx)
{
    for (;;) {
        if (stop && stop(ctx))
            return AD_POLL_STOPPED;
        uint64_t now = ad_now_ms();
        if (now >= deadline)
            return AD_POLL_TIMEOUT;
        uint64_t left = deadline - now;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, (int)(left > AD_WAIT_SLICE_MS ? AD_WAIT_SLICE_MS : left));
        if (r < 0 && errno != EINTR)
            return AD_POLL_ERROR;
        if (r > 0)
            return AD_POLL_READY;
    }
}
