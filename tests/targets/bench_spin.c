/* Benchmark target for the slowdown a profiler causes: one thread does the same CPU-bound
 * chunk of work again and again and prints how long each chunk took, in nanoseconds, one line
 * per chunk ("ready" first). A profiler attached for a while shows as longer chunks. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) static uint64_t chunk(uint64_t seed) {
    uint64_t x = seed;
    for (long i = 0; i < 20000000; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        x ^= x >> 29;
    }
    return x;
}

int main(void) {
    uint64_t x = 1;
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        uint64_t start = now_ns();
        x = chunk(x);
        printf("%llu %llu\n", (unsigned long long)(now_ns() - start), (unsigned long long)(x & 1));
        fflush(stdout);
    }
}
