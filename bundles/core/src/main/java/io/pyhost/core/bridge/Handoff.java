package io.pyhost.core.bridge;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A call handed from the caller's thread to the thread that runs Python, and its result
 * handed back. The caller may stop waiting at its timeout; the running side always finishes.
 */
final class Handoff<T> implements Runnable {
    private final java.util.function.Supplier<T> work;
    private final CompletableFuture<T> result = new CompletableFuture<>();

    Handoff(java.util.function.Supplier<T> work) {
        this.work = work;
    }

    @Override
    public void run() {
        try {
            result.complete(work.get());
        } catch (Throwable t) {
            result.completeExceptionally(t);
        }
    }

    /** Fails the call without running it (its thread is gone). */
    void abandon(RuntimeException why) {
        result.completeExceptionally(why);
    }

    /**
     * Waits for the result.
     *
     * @return the result; throws what the work threw
     * @throws TimeoutException the timeout passed first
     */
    T await(Duration timeout) throws TimeoutException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return timeout == null ? result.get() : result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    // The Python side cannot be abandoned half-way; keep waiting, restore the flag after.
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
