package io.pyhost.core.bridge;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Raises exceptions into an interpreter's calls without making anyone wait for its GIL.
 *
 * <p>Raising needs the interpreter's GIL, and a call stuck in C code ({@code sum(range(10**12))},
 * a catastrophic regex) keeps that GIL until it returns. So a caller at its deadline, a
 * {@code close()} or the memory watch only <em>request</em> an exception here and go on; one
 * daemon thread per interpreter ({@code pyhost-interrupter-N}, started on demand, ended when no
 * request is left) takes the GIL and raises. The exception is raised again until the call ends,
 * after 50 ms, then 100, 200... up to 1 s apart, so code that catches it once and goes on is
 * interrupted again. (A {@code try} that catches {@code BaseException} around a call into C
 * swallows every one: CPython 3.14 delivers it right after that call, inside the {@code try}.)
 */
final class Interrupter {
    private static final long FIRST_REPEAT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_REPEAT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final PythonInterpreter target;
    private final String name;
    private final Map<InflightCall, Request> pending = new ConcurrentHashMap<>();
    private Thread thread; // guarded by this

    private static final class Request {
        final MemorySegment type;
        final String because;
        final boolean repeat;
        long dueAt = System.nanoTime();
        long repeatNanos = FIRST_REPEAT_NANOS;

        Request(MemorySegment type, String because, boolean repeat) {
            this.type = type;
            this.because = because;
            this.repeat = repeat;
        }
    }

    Interrupter(PythonInterpreter target, String name) {
        this.target = target;
        this.name = name;
    }

    /**
     * Raises {@code type} in {@code call} as soon as its GIL can be had, and (with {@code repeat})
     * again until the call ends. Returns at once; returns whether the call had not ended yet.
     */
    boolean request(InflightCall call, MemorySegment type, String because, boolean repeat) {
        if (call.state() == InflightCall.State.ENDED) {
            return false;
        }
        // a one-off (the memory watch's MemoryError) never replaces a repeating stop (timeout, interrupt, close)
        pending.merge(call, new Request(type, because, repeat), (old, next) -> old.repeat && !next.repeat ? old : next);
        synchronized (this) {
            if (thread == null) {
                thread = new Thread(this::serve, name);
                thread.setDaemon(true);
                thread.start();
            } else {
                LockSupport.unpark(thread);
            }
        }
        return true;
    }

    private void serve() {
        try {
            while (true) {
                pending.keySet().removeIf(call -> call.state() == InflightCall.State.ENDED);
                if (pending.isEmpty()) {
                    synchronized (this) {
                        if (pending.isEmpty()) {
                            thread = null;
                            return;
                        }
                    }
                    continue;
                }
                long now = System.nanoTime();
                long nextDue = Long.MAX_VALUE;
                boolean anyDue = false;
                for (Request r : pending.values()) {
                    anyDue |= r.dueAt - now <= 0;
                    nextDue = Math.min(nextDue, r.dueAt);
                }
                if (anyDue && !target.withGil(() -> raiseDue(now))) {
                    pending.clear(); // the interpreter is gone: nothing left to stop (callers end their own calls)
                    continue;
                }
                if (!anyDue) {
                    LockSupport.parkNanos(this, Math.max(1, nextDue - System.nanoTime()));
                }
            }
        } finally {
            target.interrupterExits();
        }
    }

    /** GIL held: raises in every call whose turn it is and sets its next turn. */
    private void raiseDue(long now) {
        for (Map.Entry<InflightCall, Request> e : pending.entrySet()) {
            Request r = e.getValue();
            if (r.dueAt - now <= 0) {
                long held = e.getKey().raisesHeldFor(now);
                if (held > 0) {
                    r.dueAt = now + held; // its exception is being described: raise after (see InflightCall.holdRaises)
                    continue;
                }
                boolean running = e.getKey().raise(r.type, r.because);
                if (running && !r.repeat) {
                    pending.remove(e.getKey(), r);
                }
                r.dueAt = System.nanoTime() + r.repeatNanos;
                r.repeatNanos = Math.min(MAX_REPEAT_NANOS, r.repeatNanos * 2);
            }
        }
    }
}
