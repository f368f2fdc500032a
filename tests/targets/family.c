// A process family for the Family view and the picker: a parent ("family-parent") that forks
// N children ("family-child"), each holding 10 + its index open descriptors. Prints
// "ready" once every child has opened its descriptors; children die with the parent.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int children = argc > 1 ? atoi(argv[1]) : 3;
    int ready[2];
    if (pipe(ready) != 0) return 1;
    prctl(PR_SET_NAME, "family-parent");
    for (int i = 0; i < children; i++) {
        pid_t pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() == 1) _exit(0);
            prctl(PR_SET_NAME, "family-child");
            for (int fd = 0; fd < 10 + i; fd++) open("/dev/null", O_RDONLY);
            if (write(ready[1], "x", 1) != 1) _exit(1);
            for (;;) pause();
        }
    }
    char byte;
    for (int i = 0; i < children; i++)
        if (read(ready[0], &byte, 1) != 1) return 1;
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
}
