/* The signal state the ground-truth C targets (fixture_target.c, truth_target.c) start from,
 * set in one place. Include after <signal.h>, <pthread.h> and <string.h>. */
#ifndef TRUTH_SIGNALS_H
#define TRUTH_SIGNALS_H

/* SIGPIPE ignored, SIGSEGV caught by `on_segv`, and `first` and `second` blocked in the
 * calling thread, whose mask every thread it starts afterwards inherits. */
static void set_truth_signals(void (*on_segv)(int), int first, int second) {
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, first);
    sigaddset(&blocked, second);
    pthread_sigmask(SIG_BLOCK, &blocked, NULL);
}

#endif
