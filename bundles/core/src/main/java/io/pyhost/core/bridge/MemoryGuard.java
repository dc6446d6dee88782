package io.pyhost.core.bridge;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Raises {@code MemoryError} in a capped interpreter's running call. The news comes from the
 * arena allocator, on the allocating thread, in the middle of CPython's work, where nothing may
 * call into Python; this thread ({@code pyhost-memory-guard}, started on demand, ending after
 * 10 s without work) takes the interpreter's GIL at its next switch and raises there.
 */
final class MemoryGuard {
    private record Request(SubInterpreter interpreter, String because) {
    }

    private static final LinkedBlockingQueue<Request> REQUESTS = new LinkedBlockingQueue<>();
    private static Thread thread; // guarded by MemoryGuard.class

    private MemoryGuard() {
    }

    /** From the allocator upcall: cheap, never blocks for long, never throws. */
    static void raise(SubInterpreter interpreter, String because) {
        REQUESTS.offer(new Request(interpreter, because));
        synchronized (MemoryGuard.class) {
            if (thread == null || !thread.isAlive()) {
                thread = new Thread(MemoryGuard::serve, "pyhost-memory-guard");
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    private static void serve() {
        while (true) {
            Request request;
            try {
                request = REQUESTS.poll(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (request == null) {
                synchronized (MemoryGuard.class) {
                    if (REQUESTS.isEmpty()) {
                        thread = null;
                        return;
                    }
                }
                continue;
            }
            try {
                request.interpreter().raiseInRunningCall(CApi.PyExc_MemoryError, request.because());
            } catch (RuntimeException ignored) {
                // the interpreter ended meanwhile: nothing left to stop
            }
        }
    }
}
