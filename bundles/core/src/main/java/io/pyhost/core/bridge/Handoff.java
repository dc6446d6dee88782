package io.pyhost.core.bridge;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A call handed from the caller's thread to a thread that runs Python, and its result handed
 * back. The caller spins for {@link CallLane#SPIN_NANOS} before parking, so a quick call comes
 * back without a wake-up. The caller may stop waiting at its timeout; the running side always
 * finishes.
 */
final class Handoff<T> implements Runnable {
    private final Supplier<T> work;
    private volatile boolean done;
    private volatile Thread waiter;
    private T value;         // written before `done`, read after it
    private Throwable error; // likewise

    Handoff(Supplier<T> work) {
        this.work = work;
    }

    @Override
    public void run() {
        try {
            value = work.get();
        } catch (Throwable t) {
            error = t;
        }
        complete();
    }

    /** Fails the call without running it (its thread is gone). */
    void abandon(RuntimeException why) {
        error = why;
        complete();
    }

    private void complete() {
        done = true;
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /**
     * Waits for the result; throws what the work threw. Java interrupts do not stop the wait
     * (Python cannot be abandoned half-way); the flag is restored afterwards.
     *
     * @throws TimeoutException the timeout (null: none) passed first
     */
    T await(Duration timeout) throws TimeoutException {
        CallLane.callStarted();
        try {
            return awaitResult(timeout);
        } finally {
            CallLane.callEnded();
        }
    }

    private T awaitResult(Duration timeout) throws TimeoutException {
        long start = System.nanoTime();
        if (!CallLane.spinUntil(() -> done)) {
            long deadline = timeout == null ? Long.MAX_VALUE : start + timeout.toNanos();
            boolean interrupted = false;
            waiter = Thread.currentThread();
            while (!done) {
                if (timeout == null) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    LockSupport.parkNanos(this, left);
                }
                interrupted |= Thread.interrupted();
            }
            waiter = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (!done) {
                throw new TimeoutException();
            }
        }
        if (error != null) {
            if (error instanceof RuntimeException r) {
                throw r;
            }
            if (error instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(error);
        }
        return value;
    }
}
