/* A target that tries to attack whoever watches it: its thread names hold raw terminal
 * controls and bytes that are not UTF-8. The main thread's name is not UTF-8 either (that once
 * made `stacks`, `record` and `dump` fail). argv is chosen by the test.
 *
 * Threads (prctl(PR_SET_NAME) from each thread, raw bytes, at most 15):
 *   ESC + SGR           "\x1b[31mRED"
 *   OSC 52 (clipboard)  "\x1b]52;c;aGk=\x07"
 *   raw C1 CSI byte     "c1\x9braw"
 *   U+009B as UTF-8     "c1\xc2\x9benc"
 *   U+202E (RLO)        "bidi\xe2\x80\xaeevil"
 *   newline, ';', '\'   "nl\nfake;x\\y"
 *   XML specials        "xml<&>\"'"
 *   main                "\xff\xfemain"
 * Every thread then waits in pause(). The main thread prints "ready" once every name is set.
 * On SIGUSR1 it writes a "dump" to stderr made of the same kind of bytes (see HOSTILE_DUMP),
 * for `healthtop dump --signal USR1` to show.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char *const NAMES[] = {
    "\x1b[31mRED",
    "\x1b]52;c;aGk=\x07",
    "c1\x9b" "raw",
    "c1\xc2\x9b" "enc",
    "bidi\xe2\x80\xae" "evil",
    "nl\nfake;x\\y",
    "xml<&>\"'",
};
#define COUNT (sizeof NAMES / sizeof NAMES[0])

static pthread_barrier_t named;

static const char HOSTILE_DUMP[] =
    "dump \x1b]52;c;aGk=\x07 \x1b[2J\x9b" "1m\xc2\x9b" "2m\xe2\x80\xae" "rtl\xff\xfe\n"
    "\tnext line\n";

static void on_usr1(int sig) {
    (void)sig;
    /* write(2) is async-signal-safe. */
    ssize_t ignored = write(STDERR_FILENO, HOSTILE_DUMP, sizeof HOSTILE_DUMP - 1);
    (void)ignored;
}

static void *worker(void *arg) {
    prctl(PR_SET_NAME, (const char *)arg, 0, 0, 0);
    pthread_barrier_wait(&named);
    for (;;) pause();
    return NULL;
}

int main(void) {
    struct sigaction action = {0};
    action.sa_handler = on_usr1;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR1, &action, NULL);
    pthread_barrier_init(&named, NULL, COUNT + 1);
    for (size_t i = 0; i < COUNT; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker, (void *)NAMES[i]) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    prctl(PR_SET_NAME, "\xff\xfe" "main", 0, 0, 0);
    pthread_barrier_wait(&named);
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
}
