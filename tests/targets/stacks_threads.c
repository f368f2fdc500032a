/* Test target for healthtop's stack capture: named threads parked in known functions.
 *
 * usage: stacks_threads PARKED [--spin] [--ticker FILE]
 *   PARKED threads named "parked-N": parked_main -> level_one -> level_two -> pause()
 *   --spin: one thread "spinner": spinner_main -> spin_here (19 parts) / cold_here (1 part)
 *   --ticker FILE: one thread "ticker" rewrites an increasing counter in FILE every ~1 ms
 *   --rtsig COUNT FILE: one thread "signaller" queues COUNT real-time signals (SIGRTMIN+1) to
 *            the process, ~100 us apart; a handler counts them; when all have arrived (or after
 *            10 s) it writes "sent S received R" to FILE. Real-time signals queue, so a signal
 *            lost by a tracer shows as R < S.
 *   --churn: one thread "churner" creates and joins short-lived threads ("shortlived") forever,
 *            so threads exit while they are being captured
 *   --vdso: the spinner calls clock_gettime (served by the vDSO) in its hot loop
 *   --vfork: one thread "vforker" vforks a child that pauses, so the thread waits in
 *            uninterruptible sleep (state D) for as long as the child lives
 * The main thread prints "ready" once every thread has started, then parks like the others
 * (main -> level_one -> level_two -> pause()).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile long sink;
static atomic_int started;

__attribute__((noinline)) void level_two(void) {
    for (;;) {
        pause();
        sink++;
    }
}

__attribute__((noinline)) void level_one(void) {
    level_two();
    sink++;
}

static int use_vdso;

__attribute__((noinline)) void spin_here(void) {
    if (use_vdso) {
        struct timespec now;
        for (long i = 0; i < 1000000; i++) clock_gettime(CLOCK_MONOTONIC, &now);
        return;
    }
    for (long i = 0; i < 19000000; i++) sink++;
}

__attribute__((noinline)) void cold_here(void) {
    for (long i = 0; i < 1000000; i++) sink++;
}

static void *parked_main(void *name) {
    pthread_setname_np(pthread_self(), name);
    atomic_fetch_add(&started, 1);
    level_one();
    return NULL;
}

static void *spinner_main(void *unused) {
    (void)unused;
    pthread_setname_np(pthread_self(), "spinner");
    atomic_fetch_add(&started, 1);
    for (;;) {
        spin_here();
        cold_here();
    }
    return NULL;
}

static void *ticker_main(void *path) {
    pthread_setname_np(pthread_self(), "ticker");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); exit(1); }
    atomic_fetch_add(&started, 1);
    for (long counter = 1;; counter++) {
        char line[32];
        int n = snprintf(line, sizeof line, "%020ld\n", counter);
        if (pwrite(fd, line, n, 0) != n) { perror("pwrite"); exit(1); }
        usleep(1000);
    }
    return NULL;
}

static atomic_long received;
static long rt_count;
static const char *rt_file;

static void on_rt(int sig) {
    (void)sig;
    atomic_fetch_add(&received, 1);
}

static void *signaller_main(void *unused) {
    (void)unused;
    pthread_setname_np(pthread_self(), "signaller");
    atomic_fetch_add(&started, 1);
    long sent = 0;
    for (; sent < rt_count; sent++) {
        union sigval value = {.sival_int = (int)sent};
        while (sigqueue(getpid(), SIGRTMIN + 1, value) != 0) usleep(100); /* queue full: retry */
        usleep(100);
    }
    for (int i = 0; i < 10000 && atomic_load(&received) < sent; i++) usleep(1000);
    FILE *out = fopen(rt_file, "w");
    if (!out) { perror("fopen"); exit(1); }
    fprintf(out, "sent %ld received %ld\n", sent, atomic_load(&received));
    fclose(out);
    for (;;) pause();
    return NULL;
}

static void *shortlived_main(void *unused) {
    (void)unused;
    pthread_setname_np(pthread_self(), "shortlived");
    for (int i = 0; i < 1000; i++) sink++;
    return NULL;
}

static void *churner_main(void *unused) {
    (void)unused;
    pthread_setname_np(pthread_self(), "churner");
    atomic_fetch_add(&started, 1);
    for (;;) {
        pthread_t t;
        if (pthread_create(&t, NULL, shortlived_main, NULL) == 0) pthread_join(t, NULL);
    }
    return NULL;
}

static void *vforker_main(void *unused) {
    (void)unused;
    pthread_setname_np(pthread_self(), "vforker");
    atomic_fetch_add(&started, 1);
    if (vfork() == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with the target */
        for (;;) pause();
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s PARKED [--spin] [--ticker FILE]\n", argv[0]); return 2; }
    int parked = atoi(argv[1]);
    int spin = 0, vforker = 0, churn = 0;
    const char *ticker = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--spin") == 0) spin = 1;
        else if (strcmp(argv[i], "--vfork") == 0) vforker = 1;
        else if (strcmp(argv[i], "--churn") == 0) churn = 1;
        else if (strcmp(argv[i], "--vdso") == 0) use_vdso = 1;
        else if (strcmp(argv[i], "--rtsig") == 0 && i + 2 < argc) {
            rt_count = atol(argv[++i]);
            rt_file = argv[++i];
        }
        else if (strcmp(argv[i], "--ticker") == 0 && i + 1 < argc) ticker = argv[++i];
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int total = parked + spin + vforker + churn + (ticker != NULL) + (rt_file != NULL);
    if (rt_file) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_rt;
        sigaction(SIGRTMIN + 1, &action, NULL);
    }
    for (int i = 0; i < parked; i++) {
        char *name = malloc(24);
        snprintf(name, 24, "parked-%d", i + 1);
        pthread_t t;
        if (pthread_create(&t, &attr, parked_main, name) != 0) { perror("pthread_create"); return 1; }
    }
    pthread_t t;
    if (spin && pthread_create(&t, &attr, spinner_main, NULL) != 0) { perror("pthread_create"); return 1; }
    if (ticker && pthread_create(&t, &attr, ticker_main, (void *)ticker) != 0) { perror("pthread_create"); return 1; }
    if (rt_file && pthread_create(&t, &attr, signaller_main, NULL) != 0) { perror("pthread_create"); return 1; }
    if (churn && pthread_create(&t, &attr, churner_main, NULL) != 0) { perror("pthread_create"); return 1; }
    if (vforker && pthread_create(&t, &attr, vforker_main, NULL) != 0) { perror("pthread_create"); return 1; }
    while (atomic_load(&started) < total) usleep(1000);
    printf("ready\n");
    fflush(stdout);
    level_one();
    return 0;
}
