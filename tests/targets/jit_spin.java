// Test target for JIT frame names: one thread, "jit-spinner", calls JitSpin.spin in a loop so
// HotSpot compiles it; the main thread prints "ready PID" and waits for stdin to close.
class JitSpin {
    static volatile long sink;

    static long spin(long n) {
        long x = 0;
        for (long i = 0; i < n; i++) {
            x += i ^ (x >>> 3);
        }
        return x;
    }

    public static void main(String[] args) throws Exception {
        Thread spinner = new Thread(() -> {
            while (true) {
                sink += spin(1_000_000);
            }
        }, "jit-spinner");
        spinner.setDaemon(true);
        spinner.start();
        System.out.println("ready " + ProcessHandle.current().pid());
        System.out.flush();
        while (System.in.read() >= 0) {
        }
    }
}
