/* poll_big: a target of the size the collector must poll cheaply (benches/poll.rs).
 *
 * Usage: poll_big THREADS FDS MAPPINGS
 * Raises its own RLIMIT_NOFILE soft limit to the hard limit, opens descriptors until FDS are
 * open (a mix of kinds, mostly /dev/null), makes MAPPINGS separate VMAs by mprotecting
 * alternate pages of one anonymous region (neighbours with different protections cannot
 * merge), and starts THREADS threads on small stacks carved from one region (no guard pages,
 * so the stacks add one VMA, not two per thread). Each thread blocks in pause().
 * Prints "ready PID" when all of it exists, then blocks until killed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void *idle(void *arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: poll_big THREADS FDS MAPPINGS\n");
        return 2;
    }
    long threads = atol(argv[1]), fds = atol(argv[2]), mappings = atol(argv[3]);
    long page = sysconf(_SC_PAGESIZE);
    /* Die with the benchmark even if it is killed before its guard runs. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) return 1;
    /* Only 0, 1 and 2 survive from the parent, so the count below is exact. */
    syscall(SYS_close_range, 3, ~0U, 0);

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit");
    if ((rlim_t)fds + 16 > rl.rlim_max) {
        fprintf(stderr, "hard RLIMIT_NOFILE %lu is below %ld\n", (unsigned long)rl.rlim_max,
                fds + 16);
        return 1;
    }
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit");

    /* Descriptors: every hundredth a pipe pair, socketpair or eventfd, the rest /dev/null. */
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0) die("/dev/null");
    long open_now = 4; /* 0, 1, 2 and null_fd */
    for (long i = 0; open_now < fds; i++) {
        int pair[2];
        if (i % 100 == 1 && open_now + 2 <= fds) {
            if (pipe(pair) != 0) die("pipe");
            open_now += 2;
        } else if (i % 100 == 2 && open_now + 2 <= fds) {
            if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) die("socketpair");
            open_now += 2;
        } else if (i % 100 == 3) {
            if (eventfd(0, 0) < 0) die("eventfd");
            open_now += 1;
        } else {
            if (dup(null_fd) < 0) die("dup");
            open_now += 1;
        }
    }

    /* Mappings: one region, alternate pages made writable. */
    char *region = mmap(NULL, mappings * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) die("mmap region");
    for (long i = 1; i < mappings; i += 2)
        if (mprotect(region + i * page, page, PROT_READ | PROT_WRITE) != 0) die("mprotect");

    /* Threads on stacks from one region. */
    char *stacks = mmap(NULL, threads * STACK_SIZE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (stacks == MAP_FAILED) die("mmap stacks");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    for (long i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_attr_setstack(&attr, stacks + i * STACK_SIZE, STACK_SIZE) != 0)
            die("setstack");
        if (pthread_create(&t, &attr, idle, NULL) != 0) die("pthread_create");
    }

    printf("ready %d\n", getpid());
    fflush(stdout);
    for (;;) pause();
}
