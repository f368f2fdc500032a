/* Ground truth for healthtop's report: a process with known threads, fds, mappings,
 * signal dispositions and a seccomp filter. Prints "ready" on stdout once set up; the
 * test then waits until every worker is parked in its known system call. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "truth_signals.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int pipe_fds[2];
static int listener = -1;

static void die(const char *what) { perror(what); exit(1); }
static void on_segv(int sig) { (void)sig; _exit(139); }

__attribute__((noinline)) static void park_in_pause(void) { for (;;) pause(); }
__attribute__((noinline)) static void park_in_futex(void) {
    pthread_mutex_lock(&lock);
    for (;;) pthread_cond_wait(&never, &lock);
}
__attribute__((noinline)) static void park_in_sleep(void) {
    for (;;) { struct timespec t = {3600, 0}; nanosleep(&t, NULL); }
}
__attribute__((noinline)) static void park_in_accept(void) {
    /* While blocked here the kernel holds a reserved fd slot that /proc/PID/fd does not list. */
    for (;;) accept(listener, NULL, NULL);
}
__attribute__((noinline)) static void park_in_read(void) {
    char c;
    for (;;) if (read(pipe_fds[0], &c, 1) <= 0) pause();
}

static void *worker(void *arg) {
    const char *name = arg;
    pthread_setname_np(pthread_self(), name);
    if (strcmp(name, "worker-sleep") == 0) {
        sigset_t extra;
        sigemptyset(&extra);
        sigaddset(&extra, SIGUSR1);
        sigaddset(&extra, SIGRTMIN + 2);
        pthread_sigmask(SIG_BLOCK, &extra, NULL);
        park_in_sleep();
    }
    if (strcmp(name, "worker-pause") == 0) park_in_pause();
    if (strcmp(name, "worker-futex") == 0) park_in_futex();
    if (strcmp(name, "worker-accept") == 0) park_in_accept();
    park_in_read();
    return NULL;
}

static void *map_file(const char *path, size_t map_len, off_t keep_len, int unlink_after) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) die("open map file");
    if (ftruncate(fd, (off_t)map_len) != 0) die("ftruncate");
    void *p = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    if (ftruncate(fd, keep_len) != 0) die("truncate");
    close(fd);
    if (unlink_after) unlink(path);
    return p;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: truth_target SCRATCH_DIR\n"); return 2; }
    const char *dir = argv[1];
    char path[4096];
    long page = sysconf(_SC_PAGESIZE);

    /* Signals: SIGPIPE ignored, SIGSEGV caught, SIGTERM and SIGUSR2 blocked everywhere. */
    set_truth_signals(on_segv, SIGTERM, SIGUSR2);

    /* Fds of every kind. */
    if (pipe(pipe_fds) != 0) die("pipe");
    snprintf(path, sizeof path, "%s/regular.txt", dir);
    if (open(path, O_RDWR | O_CREAT, 0600) < 0) die("regular");
    snprintf(path, sizeof path, "%s/held-deleted.log", dir);
    if (open(path, O_RDWR | O_CREAT, 0600) < 0) die("deleted");
    unlink(path);
    if (open(dir, O_RDONLY | O_DIRECTORY) < 0) die("directory");
    if (open("/dev/null", O_RDONLY) < 0) die("/dev/null");
    if (eventfd(0, 0) < 0) die("eventfd");
    if (epoll_create1(0) < 0) die("epoll");
    if (timerfd_create(CLOCK_MONOTONIC, 0) < 0) die("timerfd");
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 8)) die("listen");
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, (struct sockaddr *)&addr, sizeof addr)) die("connect");
    if (accept(listener, NULL, NULL) < 0) die("accept");
    close(client); /* our accepted end now sits in CLOSE_WAIT */

    /* A shared mapping of 4 pages over a file cut to 1 page, and a deleted-file mapping. */
    snprintf(path, sizeof path, "%s/truncated.dat", dir);
    map_file(path, 4 * page, page, 0);
    snprintf(path, sizeof path, "%s/mapped-deleted.dat", dir);
    map_file(path, 2 * page, 2 * page, 1);

    /* A permissive seccomp filter under NoNewPrivs. */
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {1, &allow};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
        die("seccomp");

    static const char *names[] = {"worker-pause", "worker-futex", "worker-sleep", "worker-read", "worker-accept"};
    for (int i = 0; i < 5; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, (void *)names[i])) die("pthread_create");
    }
    printf("ready\n");
    fflush(stdout);
    park_in_pause();
}
