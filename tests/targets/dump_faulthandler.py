# Test target for `healthtop dump --method python`: registers faulthandler on SIGUSR1 (unless
# run with "noregister"), parks in a known function, prints "ready" when set up. stderr is a
# regular file in the test, so healthtop can capture faulthandler's output.
import faulthandler
import signal
import sys


def parked_in_python():
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.read()


if __name__ == "__main__":
    if "noregister" not in sys.argv:
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    parked_in_python()
