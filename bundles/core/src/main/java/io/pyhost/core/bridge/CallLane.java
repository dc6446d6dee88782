package io.pyhost.core.bridge;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A platform thread that runs the calls handed to it, in order. Handing over costs what waking a
 * parked thread costs (10-15 µs) unless the lane is still spinning after its last call: it
 * spins for {@link #SPIN_NANOS} before parking, so back-to-back calls pass in well under a
 * microsecond while an idle lane costs no CPU.
 */
final class CallLane {
    /** How long a lane, or a caller waiting for a result, spins before parking. */
    static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong("pyhost.handoff.spinMicros", 50));

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean parked;

    /**
     * @param body what the thread runs; it calls {@link #next(long)} to take calls
     */
    CallLane(String name, Runnable body) {
        thread = new Thread(body, name);
        thread.setDaemon(true);
    }

    Thread thread() {
        return thread;
    }

    void start() {
        thread.start();
    }

    /** Hands a call to the lane (any thread). */
    void offer(Runnable call) {
        queue.offer(call);
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * The next call, on the lane's thread: spins briefly, then parks until one arrives or
     * {@code idleNanos} pass (then null). Interrupts are ignored: only a call ends a lane.
     */
    Runnable next(long idleNanos) {
        Runnable call = queue.poll();
        if (call != null) {
            return call;
        }
        long start = System.nanoTime();
        while (System.nanoTime() - start < SPIN_NANOS) {
            Thread.onSpinWait();
            if ((call = queue.poll()) != null) {
                return call;
            }
        }
        boolean forever = idleNanos == Long.MAX_VALUE;
        long deadline = forever ? 0 : start + idleNanos;
        while (true) {
            parked = true; // set before the re-check below, so offer() either sees it or we see the call
            call = queue.poll();
            if (call != null) {
                parked = false;
                return call;
            }
            if (forever) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    parked = false;
                    return null;
                }
                LockSupport.parkNanos(this, left);
            }
            parked = false;
            Thread.interrupted();
        }
    }

    /** Calls left behind when the lane stops. */
    Runnable poll() {
        return queue.poll();
    }
}
