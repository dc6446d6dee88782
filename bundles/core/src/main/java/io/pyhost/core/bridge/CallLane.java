package io.pyhost.core.bridge;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A platform thread that runs the calls handed to it, in order. Handing over costs what waking a
 * parked thread costs (10-15 µs) unless the lane is still spinning after its last call: it
 * spins for {@link #SPIN_NANOS} before parking (when the spin budget allows), so back-to-back
 * calls pass in well under a microsecond while an idle lane costs no CPU.
 */
final class CallLane {
    /** How long a lane, or a caller waiting for a result, spins before parking. */
    static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong("pyhost.handoff.spinMicros", 20));

    /**
     * Spinning pays only while every spinning thread has a core of its own: a thread spinning on
     * the core a woken thread needs delays that thread by a scheduler slice. A call in flight keeps
     * two threads busy (its caller, its interpreter thread), so once more calls overlap than half
     * the cores can carry, nobody spins for the next millisecond and handoffs park and wake
     * instead (cheap on a busy machine). Measured on 2 cores (JMH ThroughputBench, owngil): one
     * context alone 479 calls/ms with this, 78 never spinning; two contexts from two threads
     * 544 with this, 19 always spinning.
     */
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final int PAIRS = Math.max(1, CORES / 2);
    private static final long CONTENDED_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Semaphore SPINNERS = new Semaphore(CORES); // a caller and its lane alternate: both may spin
    private static final AtomicInteger IN_FLIGHT = new AtomicInteger();
    private static volatile long contendedUntil;

    /** Marks a handed-off call as started ({@link #callEnded()} when its caller has the result). */
    static void callStarted() {
        if (IN_FLIGHT.incrementAndGet() > PAIRS) {
            contendedUntil = System.nanoTime() + CONTENDED_NANOS;
        }
    }

    static void callEnded() {
        IN_FLIGHT.decrementAndGet();
    }

    /**
     * Spins until {@code ready} holds or {@link #SPIN_NANOS} pass; returns at once, without
     * spinning, when calls overlap more than the cores carry. Returns whether {@code ready} holds.
     */
    static boolean spinUntil(java.util.function.BooleanSupplier ready) {
        if (ready.getAsBoolean()) {
            return true;
        }
        if (SPIN_NANOS == 0 || System.nanoTime() - contendedUntil < 0 || !SPINNERS.tryAcquire()) {
            return false;
        }
        try {
            long start = System.nanoTime();
            while (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
                if (ready.getAsBoolean()) {
                    return true;
                }
            }
            return false;
        } finally {
            SPINNERS.release();
        }
    }

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
        if (call != null || spinUntil(() -> !queue.isEmpty())) {
            return call != null ? call : queue.poll();
        }
        long start = System.nanoTime();
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
