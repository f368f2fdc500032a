/* Test target for `healthtop dump --method signal`: on SIGUSR1 writes a small "dump" to
 * stderr (the test redirects stderr to a regular file). Prints "ready" on stdout once the
 * handler is installed. With argument "nohandler" it installs nothing, so SIGUSR1 would kill
 * it (the test checks healthtop refuses). Stays alive until stdin closes. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char DUMP[] =
    "=== dump_usr1 state dump ===\n"
    "worker 1: waiting for job queue\n"
    "worker 2: idle\n"
    "=== end of dump ===\n";

static void on_usr1(int sig) {
    (void)sig;
    /* write(2) is async-signal-safe. */
    ssize_t ignored = write(STDERR_FILENO, DUMP, sizeof DUMP - 1);
    (void)ignored;
}

int main(int argc, char **argv) {
    if (!(argc > 1 && strcmp(argv[1], "nohandler") == 0)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGUSR1, &sa, NULL) != 0) {
            perror("sigaction");
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    return 0;
}
