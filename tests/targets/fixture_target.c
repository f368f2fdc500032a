/* fixture_target: a process with known ground truth, captured into tests/fixtures/proc/.
 *
 * Usage: fixture_target WORKDIR
 * Sets everything up, prints "ready PID ZOMBIE_PID" on stdout, then the main thread blocks in
 * read() on stdin until it is killed. What it holds (asserted by tests/collect_fixtures.rs):
 *   threads  fx-lock (pthread_cond_wait, also blocks SIGUSR2), fx-sleep (clock_nanosleep),
 *            fx-poll (epoll_wait), fx-pipe (read on an empty pipe), fx-accept (accept on ::1)
 *   signals  SIGPIPE and SIGINT ignored, SIGSEGV caught, SIGTERM and SIGRTMIN+3 blocked
 *            everywhere, SIGUSR1 blocked and pending in the main thread only, SIGRTMIN+3
 *            pending process-wide
 *   seccomp  two permissive filters, no_new_privs set
 *   fds      file, directory (/proc), /dev/null, pipe, unix socketpair, TCP listeners on
 *            127.0.0.1 and ::1, one ESTABLISHED client, one accepted socket in CLOSE_WAIT,
 *            eventfd, epoll, timerfd, signalfd, inotify, memfd, a deleted file, fd 200
 *   maps     a shared file mapping of 4 pages truncated to 1 page (3 pages past EOF), a
 *            deleted file mapping, a memfd mapping, shared anonymous memory
 *   limits   nofile 1000/4096, core 1 MiB/unlimited, nproc 4000/8000
 *   misc     oom_score_adj 321, coredump_filter 0x33, an unreaped zombie child, effective
 *            capabilities reduced to CAP_KILL and CAP_NET_BIND_SERVICE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
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
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "truth_signals.h"

static void die(const char *what) {
    perror(what);
    exit(1);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int epoll_fd, pipe_fds[2], listen6;

static void *lock_thread(void *arg) {
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_mutex_lock(&lock);
    for (;;) pthread_cond_wait(&cond, &lock);
    return NULL;
}

static void *sleep_thread(void *arg) {
    (void)arg;
    for (;;) {
        struct timespec ts = {100000, 0};
        clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    }
    return NULL;
}

static void *poll_thread(void *arg) {
    (void)arg;
    struct epoll_event ev;
    for (;;) epoll_wait(epoll_fd, &ev, 1, -1);
    return NULL;
}

static void *pipe_thread(void *arg) {
    (void)arg;
    char c;
    for (;;) read(pipe_fds[0], &c, 1);
    return NULL;
}

static void *accept_thread(void *arg) {
    (void)arg;
    for (;;) accept(listen6, NULL, NULL);
    return NULL;
}

static void segv_handler(int sig) {
    (void)sig;
    _exit(99);
}

static void spawn(void *(*fn)(void *), const char *name) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0) die("pthread_create");
    pthread_setname_np(t, name);
}

static void set_limit(int resource, rlim_t soft, rlim_t hard) {
    struct rlimit rl = {soft, hard};
    if (setrlimit(resource, &rl) != 0) die("setrlimit");
}

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) die(path);
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fixture_target WORKDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char path[4096];
    long page = sysconf(_SC_PAGESIZE);
    /* Start from a known table: only 0, 1 and 2 survive from the parent. */
    syscall(SYS_close_range, 3, ~0U, 0);

    /* Zombie child: exits at once and is never reaped. */
    pid_t zombie = fork();
    if (zombie < 0) die("fork");
    if (zombie == 0) _exit(0);

    /* Signals: dispositions, then the mask every thread inherits. */
    set_truth_signals(segv_handler, SIGTERM, SIGRTMIN + 3);
    signal(SIGINT, SIG_IGN);

    set_limit(RLIMIT_NOFILE, 1000, 4096);
    set_limit(RLIMIT_CORE, 1 << 20, RLIM_INFINITY);
    set_limit(RLIMIT_NPROC, 4000, 8000);
    write_file("/proc/self/oom_score_adj", "321");
    write_file("/proc/self/coredump_filter", "0x33");

    /* Descriptors of every kind. */
    snprintf(path, sizeof path, "%s/data.log", dir);
    if (open(path, O_RDWR | O_CREAT | O_TRUNC, 0644) < 0) die("data.log");
    if (open("/proc", O_RDONLY | O_DIRECTORY) < 0) die("/proc");
    if (open("/dev/null", O_RDONLY) < 0) die("/dev/null");
    if (pipe(pipe_fds) != 0) die("pipe");
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) die("socketpair");

    int listen4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a4;
    memset(&a4, 0, sizeof a4);
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen4, (struct sockaddr *)&a4, sizeof a4) != 0) die("bind4");
    if (listen(listen4, 8) != 0) die("listen4");
    socklen_t len = sizeof a4;
    getsockname(listen4, (struct sockaddr *)&a4, &len);
    /* Client A is accepted, then closes: the accepted end stays in CLOSE_WAIT. */
    int client_a = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client_a, (struct sockaddr *)&a4, sizeof a4) != 0) die("connect a");
    int accepted = accept(listen4, NULL, NULL);
    if (accepted < 0) die("accept");
    close(client_a);
    /* Client B stays ESTABLISHED, queued on the listener (accept queue 1). */
    int client_b = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client_b, (struct sockaddr *)&a4, sizeof a4) != 0) die("connect b");

    listen6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    if (bind(listen6, (struct sockaddr *)&a6, sizeof a6) != 0) die("bind6");
    if (listen(listen6, 8) != 0) die("listen6");

    epoll_fd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = pipe_fds[0]};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pipe_fds[0], &ev);
    if (eventfd(0, 0) < 0) die("eventfd");
    if (timerfd_create(CLOCK_MONOTONIC, 0) < 0) die("timerfd");
    sigset_t sfd_set;
    sigemptyset(&sfd_set);
    sigaddset(&sfd_set, SIGTERM);
    if (signalfd(-1, &sfd_set, 0) < 0) die("signalfd");
    if (inotify_init1(0) < 0) die("inotify");
    int memfd = memfd_create("fixture-jit", 0);
    if (memfd < 0 || ftruncate(memfd, page) != 0) die("memfd");
    snprintf(path, sizeof path, "%s/gone.log", dir);
    if (open(path, O_RDWR | O_CREAT | O_TRUNC, 0644) < 0) die("gone.log");
    unlink(path);
    if (dup2(pipe_fds[1], 200) != 200) die("dup2");

    /* Mappings: truncated shared file (3 pages past EOF), deleted file, memfd, shared anon. */
    snprintf(path, sizeof path, "%s/trunc.dat", dir);
    int tfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (tfd < 0 || ftruncate(tfd, 4 * page) != 0) die("trunc.dat");
    if (mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0) == MAP_FAILED)
        die("mmap trunc");
    if (ftruncate(tfd, page) != 0) die("truncate");
    close(tfd);
    snprintf(path, sizeof path, "%s/mapped-then-deleted.bin", dir);
    int dfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (dfd < 0 || ftruncate(dfd, 2 * page) != 0) die("deleted map");
    if (mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE, dfd, 0) == MAP_FAILED) die("mmap del");
    close(dfd);
    unlink(path);
    if (mmap(NULL, page, PROT_READ, MAP_SHARED, memfd, 0) == MAP_FAILED) die("mmap memfd");
    if (mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) ==
        MAP_FAILED)
        die("mmap shared anon");

    /* Two permissive seccomp filters (allow everything). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {1, allow};
    for (int i = 0; i < 2; i++)
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) die("seccomp");

    spawn(lock_thread, "fx-lock");
    spawn(sleep_thread, "fx-sleep");
    spawn(poll_thread, "fx-poll");
    spawn(pipe_thread, "fx-pipe");
    spawn(accept_thread, "fx-accept");

    /* Pending signals: SIGUSR1 for the main thread only, SIGRTMIN+3 for the process. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
    kill(getpid(), SIGRTMIN + 3);

    /* Effective capabilities: CAP_KILL and CAP_NET_BIND_SERVICE only (when running as root). */
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) == 0) {
        data[0].effective &= (1u << CAP_KILL) | (1u << CAP_NET_BIND_SERVICE);
        data[1].effective = 0;
        syscall(SYS_capset, &header, data);
    }

    printf("ready %d %d\n", getpid(), zombie);
    fflush(stdout);
    char c;
    for (;;)
        if (read(0, &c, 1) == 0) pause();
}
