// Test target for `healthtop dump` on a JVM: 12 named threads parked in Parker.parkHere.
// Half park with LockSupport.park (blocker object -> "parking to wait for"), half wait on a
// monitor (-> "waiting on" + "locked"). Prints "ready" once every worker is WAITING, so the
// test never sleeps to synchronise.
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

class Parker {
    static final Object MONITOR = new Object();
    static final Object BLOCKER = new Object();

    static void parkHere(boolean useMonitor) throws InterruptedException {
        if (useMonitor) {
            synchronized (MONITOR) {
                while (true) {
                    MONITOR.wait();
                }
            }
        }
        while (true) {
            LockSupport.park(BLOCKER);
        }
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            final boolean useMonitor = i % 2 == 1;
            Thread t = new Thread(() -> {
                try {
                    parkHere(useMonitor);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, String.format("parked-worker-%02d", i));
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            while (t.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
        }
        System.out.println("ready " + ProcessHandle.current().pid());
        System.out.flush();
        // Block until stdin closes: the test owns our lifetime.
        while (System.in.read() >= 0) {
        }
    }
}
