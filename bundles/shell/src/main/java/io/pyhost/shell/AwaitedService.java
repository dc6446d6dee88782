package io.pyhost.shell;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The current instance of an optional, dynamic service reference, with a bounded wait for it.
 * The shell's commands wait here instead of failing at once because, right after the framework
 * starts or while core is being updated, CPython may still be initializing.
 */
final class AwaitedService<T> {
    private final String name;
    private final String providedBy;
    private T service;        // guarded by this

    /**
     * @param name       the service's name in messages
     * @param providedBy the bundle that registers it, named in the timeout message
     */
    AwaitedService(String name, String providedBy) {
        this.name = name;
        this.providedBy = providedBy;
    }

    synchronized void arrived(T service) {
        this.service = service;
        notifyAll();
    }

    synchronized void left(T service) {
        if (this.service == service) {
            this.service = null;
        }
    }

    /** The service now, or {@code null}. */
    synchronized T now() {
        return service;
    }

    /**
     * The service, waiting up to {@code wait} for it.
     *
     * @throws IllegalStateException it did not appear in time (the message says which bundle provides it)
     */
    synchronized T await(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (service == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("no " + name + " service" + (wait.isZero() ? "" : " after " + wait.toSeconds() + " s")
                        + ": is bundle " + providedBy + " active? (lb; scr:info)");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the " + name + " service", e);
            }
        }
        return service;
    }
}
