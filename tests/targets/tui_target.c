/* A small, well-known target for the TUI tests and the overhead measurement.
 *
 *   tui_target [THREADS]
 *
 * Starts THREADS sleeping threads named worker-0 … worker-(N-1) (default 8), opens a TCP
 * socket listening on 127.0.0.1 (an ephemeral port), prints "ready <port>" on stdout and
 * then sleeps until killed. Every figure the TUI shows about it can be checked against /proc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void *worker(void *arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 8;
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
        char name[16];
        snprintf(name, sizeof name, "worker-%d", i);
        pthread_setname_np(t, name);
    }
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener, 4) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
        perror("listen");
        return 1;
    }
    printf("ready %d\n", ntohs(addr.sin_port));
    fflush(stdout);
    for (;;) pause();
}
