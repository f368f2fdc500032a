/* Real misbehaving (and well-behaved) processes for the rules tests.
 * Usage: rules_target MODE [ARGS]; prints "ready" (or "ready PORT") on stdout when set up,
 * and for leaks one more line "emfile MS" / "enomem MS" (ms since the epoch) when the limit
 * is hit, then waits forever (`fdleak LIMIT RATE exit` exits instead; `fdburst` waits for its
 * stdin to close, then says "start MS" and "stopped MS" around its burst). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const char *line) {
    printf("%s\n", line);
    fflush(stdout);
}

static void forever(void) {
    for (;;) pause();
}

/* Calls step() `rate` times a second on a steady clock until it returns nonzero. */
static void every(double rate, int (*step)(void)) {
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long period_ns = (long)(1e9 / rate);
    for (;;) {
        if (step()) return;
        next.tv_nsec += period_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
}

static void set_limit(int resource, rlim_t soft, rlim_t hard) {
    struct rlimit rl = {soft, hard};
    if (setrlimit(resource, &rl) != 0) {
        perror("setrlimit");
        exit(2);
    }
}

static int open_one(void) {
    if (open("/dev/null", O_RDONLY) >= 0) return 0;
    if (errno == EMFILE) {
        printf("emfile %lld\n", now_ms());
        fflush(stdout);
        return 1;
    }
    perror("open");
    exit(2);
}

static long burst_left = 0;
static int burst_one(void) {
    if (burst_left-- <= 0) return 1;
    return open_one();
}

static void *blocked_thread(void *arg) {
    (void)arg;
    forever();
    return NULL;
}

static int threads_made = 0;
static int spawn_one(void) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (pthread_create(&t, &attr, blocked_thread, NULL) != 0) {
        printf("eagain %lld\n", now_ms());
        fflush(stdout);
        return 1;
    }
    return ++threads_made >= 3000;
}

static size_t chunk_bytes = 4 << 20;
static int grow_one(void) {
    void *p = mmap(NULL, chunk_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("enomem %lld\n", now_ms());
        fflush(stdout);
        return 1;
    }
    ((char *)p)[0] = 1; /* touch one page: RSS grows a little, VmSize by the chunk */
    return 0;
}

static int listen_local(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) {
        perror("listen");
        exit(2);
    }
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    printf("ready %d\n", ntohs(a.sin_port));
    fflush(stdout);
    return s;
}

static int churn_fds[64];
static int churn_n = 0;
static int churn_one(void) {
    if (churn_n < 64) {
        churn_fds[churn_n++] = open("/dev/null", O_RDONLY);
    } else {
        while (churn_n > 0) close(churn_fds[--churn_n]);
    }
    return 0;
}

static void *saw_chunks[8];
static int saw_n = 0;
static int saw_one(void) {
    if (saw_n < 8) {
        saw_chunks[saw_n] = malloc(16 << 20);
        memset(saw_chunks[saw_n], 1, 16 << 20);
        saw_n++;
    } else {
        while (saw_n > 0) free(saw_chunks[--saw_n]);
    }
    return 0;
}

static void on_term(int sig) { (void)sig; }

static void *blocking_thread(void *arg) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    sigaddset(&set, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    *(volatile int *)arg = 1;
    forever();
    return NULL;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "fdleak")) {
        rlim_t limit = strtoul(argv[2], NULL, 10);
        set_limit(RLIMIT_NOFILE, limit, limit);
        say("ready");
        every(atof(argv[3]), open_one);
        if (argc > 4 && !strcmp(argv[4], "exit")) exit(1); /* crash at EMFILE */
        forever();
    } else if (!strcmp(mode, "fdburst")) {
        /* fdburst LIMIT RATE COUNT: after stdin closes, open COUNT fds at RATE a second (or
         * until EMFILE), then hold them: a leak that starts on cue and stops. */
        rlim_t limit = strtoul(argv[2], NULL, 10);
        set_limit(RLIMIT_NOFILE, limit, limit);
        burst_left = atol(argv[4]);
        say("ready");
        char c;
        while (read(0, &c, 1) > 0) {
        }
        printf("start %lld\n", now_ms());
        fflush(stdout);
        every(atof(argv[3]), burst_one);
        printf("stopped %lld\n", now_ms());
        fflush(stdout);
        forever();
    } else if (!strcmp(mode, "threads")) {
        /* threads N: N blocked threads besides main, then ready (tasks of one user). */
        int n = atoi(argv[2]);
        for (int i = 0; i < n; i++) spawn_one();
        say("ready");
        forever();
    } else if (!strcmp(mode, "threadleak")) {
        say("ready");
        every(atof(argv[2]), spawn_one);
        forever();
    } else if (!strcmp(mode, "memleak")) {
        rlim_t limit = strtoull(argv[2], NULL, 10) << 20;
        set_limit(RLIMIT_AS, limit, limit);
        say("ready");
        every(atof(argv[3]), grow_one);
        forever();
    } else if (!strcmp(mode, "server") || !strcmp(mode, "stall")) {
        int s = listen_local();
        int c = accept(s, NULL, NULL);
        if (c < 0) {
            perror("accept");
            exit(2);
        }
        if (!strcmp(mode, "stall")) {
            static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
            pthread_mutex_lock(&m);
            say("stuck");
            pthread_mutex_lock(&m); /* default mutex: deadlocks on itself */
        }
        char buf[4096];
        for (;;) {
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0) break;
        }
        forever();
    } else if (!strcmp(mode, "acceptor")) {
        /* Accepts every connection and never closes one: peers' closes leave CLOSE_WAIT. */
        int s = listen_local();
        for (;;) {
            if (accept(s, NULL, NULL) < 0) {
                perror("accept");
                exit(2);
            }
        }
    } else if (!strcmp(mode, "sawtooth")) {
        say("ready");
        every(4, saw_one);
    } else if (!strcmp(mode, "fdchurn")) {
        say("ready");
        every(32, churn_one);
    } else if (!strcmp(mode, "vfork")) {
        say("ready");
        pid_t child = vfork();
        if (child == 0) {
            char b;
            /* The parent stays in uninterruptible sleep until this child exits or execs. */
            while (read(0, &b, 1) > 0) {}
            _exit(0);
        }
        forever();
    } else if (!strcmp(mode, "sigbus") || !strcmp(mode, "mapped")) {
        long page = sysconf(_SC_PAGESIZE);
        int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, 4 * page) != 0) {
            perror("file");
            exit(2);
        }
        void *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            perror("mmap");
            exit(2);
        }
        if (!strcmp(mode, "sigbus") && ftruncate(fd, page) != 0) {
            perror("truncate");
            exit(2);
        }
        say("ready");
        forever();
    } else if (!strcmp(mode, "blocksegv")) {
        volatile int started = 0;
        pthread_t t;
        pthread_create(&t, NULL, blocking_thread, (void *)&started);
        while (!started) usleep(1000);
        say("ready");
        forever();
    } else if (!strcmp(mode, "worker")) {
        /* A master and its worker, one program: the worker ignores SIGTERM (as a postgres
         * checkpointer does) and says "ready PID"; the master waits for it. */
        pid_t worker = fork();
        if (worker == 0) {
            signal(SIGTERM, SIG_IGN);
            printf("ready %d\n", getpid());
            fflush(stdout);
            forever();
        }
        for (;;) waitpid(worker, NULL, 0);
    } else if (!strcmp(mode, "ignoreterm")) {
        signal(SIGTERM, SIG_IGN);
        say("ready");
        forever();
    } else if (!strcmp(mode, "blockterm")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        say("ready");
        forever();
    } else if (!strcmp(mode, "socket")) {
        if (socket(AF_INET, SOCK_STREAM, 0) < 0) exit(2);
        say("ready");
        forever();
    } else if (!strcmp(mode, "pending")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        raise(SIGUSR1);
        say("ready");
        forever();
    } else if (!strcmp(mode, "seccomp")) {
        struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        struct sock_fprog prog = {1, allow};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
            perror("seccomp");
            exit(2);
        }
        say("ready");
        forever();
    } else if (!strcmp(mode, "zombies")) {
        int n = atoi(argv[2]);
        for (int i = 0; i < n; i++)
            if (fork() == 0) _exit(0);
        say("ready");
        forever();
    } else if (!strcmp(mode, "cpuspin")) {
        rlim_t limit = strtoul(argv[2], NULL, 10);
        if (limit > 0) set_limit(RLIMIT_CPU, limit, limit + 5);
        say("ready");
        for (volatile unsigned long i = 0;; i++) {}
    } else if (!strcmp(mode, "nocore")) {
        set_limit(RLIMIT_CORE, 0, 0);
        say("ready");
        forever();
    } else if (!strcmp(mode, "healthy")) {
        /* Everything the static rules ask for: SIGPIPE ignored, SIGTERM handled, cores on. */
        signal(SIGPIPE, SIG_IGN);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sigaction(SIGTERM, &sa, NULL);
        struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
        setrlimit(RLIMIT_CORE, &rl);
        if (socket(AF_INET, SOCK_STREAM, 0) < 0) exit(2);
        for (int i = 0; i < 3; i++)
            if (fork() == 0) _exit(0);
        while (wait(NULL) > 0) {}
        say("ready");
        forever();
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
