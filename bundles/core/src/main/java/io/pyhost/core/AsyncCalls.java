package io.pyhost.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.pyhost.api.PyException;
import io.pyhost.core.bridge.InflightCall;
import io.pyhost.core.bridge.PyRef;
import io.pyhost.core.bridge.PythonInterpreter;

/**
 * {@code evalAsync}/{@code callAsync} of one context. The call itself runs on a virtual thread as
 * an ordinary call of the context; an awaitable result (a coroutine, a future) becomes a task of
 * the context's own asyncio event loop. That loop runs only in <em>slices</em>: calls of the
 * context, made by a driver thread while tasks are pending, that run the loop until a task is
 * done or {@value #SLICE_MILLIS} ms passed. Between slices the context serves its other calls,
 * so tasks and synchronous calls interleave and many tasks run concurrently.
 *
 * <p>Cancelling a future cancels its task at the next slice, or interrupts the call while it
 * still runs. Closing the context fails what is pending with {@link IllegalStateException}.
 */
final class AsyncCalls {
    static final long SLICE_MILLIS = 20;

    private final PythonContext context;
    private final Map<Long, CompletableFuture<Object>> waiting = new ConcurrentHashMap<>();
    private final Set<Long> toCancel = ConcurrentHashMap.newKeySet();
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicBoolean driving = new AtomicBoolean();
    private PyRef state; // the Python AsyncState (owned), made at the first awaitable; GIL held

    AsyncCalls(PythonContext context) {
        this.context = context;
    }

    /** What the call part produces: a new reference to its result (a Python exception is thrown). */
    interface Producer {
        PyRef produce(PythonInterpreter in, InflightCall call);
    }

    private record Scheduled(long token) {
    }

    private record Converted(Object value) {
    }

    CompletableFuture<Object> submit(Producer producer) {
        CompletableFuture<Object> future = new CompletableFuture<>();
        AtomicReference<InflightCall> running = new AtomicReference<>();
        future.whenComplete((value, error) -> {
            if (future.isCancelled()) {
                InflightCall call = running.get();
                if (call != null && call.state() != InflightCall.State.ENDED) {
                    context.interruptCall(call); // still in its synchronous part
                }
            }
        });
        Thread.ofVirtual().name("pyhost-async-" + context.id()).start(() -> {
            try {
                Object outcome = context.handleCall((in, call) -> {
                    running.set(call);
                    if (future.isCancelled()) {
                        return null;
                    }
                    try (PyRef result = producer.produce(in, call)) {
                        if (!awaitable(in, result)) {
                            return new Converted(result.toJava());
                        }
                        long token = tokens.incrementAndGet();
                        waiting.put(token, future); // before the task exists: a slice may finish it at once
                        try {
                            schedule(in, token, result);
                        } catch (RuntimeException e) {
                            waiting.remove(token);
                            throw e;
                        }
                        return new Scheduled(token);
                    }
                });
                if (outcome instanceof Converted converted) {
                    future.complete(converted.value());
                } else if (outcome instanceof Scheduled scheduled) {
                    future.whenComplete((v, e) -> {
                        if (future.isCancelled() && waiting.containsKey(scheduled.token())) {
                            toCancel.add(scheduled.token());
                        }
                    });
                    ensureDriving();
                }
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    private static boolean awaitable(PythonInterpreter in, PyRef value) {
        try (PyRef answer = in.callHelper("is_awaitable", List.of(value))) {
            return Boolean.TRUE.equals(answer.toJava());
        }
    }

    private void schedule(PythonInterpreter in, long token, PyRef awaitable) {
        if (state == null) {
            state = in.callHelper("async_state", List.of());
        }
        state.callMethodObject("schedule", List.of(token, awaitable)).close();
    }

    // ---- the driver ----

    private void ensureDriving() {
        if (driving.compareAndSet(false, true)) {
            Thread.ofVirtual().name("pyhost-async-driver-" + context.id()).start(this::drive);
        }
    }

    private record Done(long token, Object value, RuntimeException error, boolean cancelled) {
    }

    private void drive() {
        try {
            while (!waiting.isEmpty()) {
                List<Done> done;
                try {
                    done = context.handleCall(this::slice);
                } catch (IllegalStateException closed) {
                    failAll(closed);
                    return;
                } catch (PyException e) {
                    continue; // the slice was interrupted (a context interrupt, a timeout): the tasks go on
                }
                for (Done d : done) {
                    CompletableFuture<Object> future = waiting.remove(d.token());
                    toCancel.remove(d.token());
                    if (future == null) {
                        continue;
                    }
                    if (d.cancelled()) {
                        future.cancel(false);
                    } else if (d.error() != null) {
                        future.completeExceptionally(d.error());
                    } else {
                        future.complete(d.value());
                    }
                }
            }
        } finally {
            driving.set(false);
            if (!waiting.isEmpty() && !context.isClosed()) {
                ensureDriving(); // a task arrived as this driver was leaving
            }
        }
    }

    /** One slice, GIL held: cancels what Java cancelled, runs the loop, takes the outcomes of tasks done. */
    private List<Done> slice(PythonInterpreter in, InflightCall call) {
        List<Done> out = new ArrayList<>();
        if (state == null) {
            return out;
        }
        for (Long token : List.copyOf(toCancel)) {
            state.callMethodObject("cancel", List.of(token)).close();
        }
        try (PyRef done = state.callMethodObject("drive", List.of(SLICE_MILLIS / 1000.0))) {
            long n = done.size();
            for (long i = 0; i < n; i++) {
                try (PyRef pair = done.item(i); PyRef token = pair.item(0); PyRef task = pair.item(1)) {
                    out.add(outcome((Long) token.toJava(), task));
                }
            }
        }
        return out;
    }

    /** The outcome of a done task. */
    private static Done outcome(long token, PyRef task) {
        boolean wasCancelled;
        try (PyRef cancelled = task.callMethodObject("cancelled", List.of())) {
            wasCancelled = Boolean.TRUE.equals(cancelled.toJava());
        }
        if (wasCancelled) {
            return new Done(token, null, null, true);
        }
        PyRef result;
        try {
            result = task.callMethodObject("result", List.of());
        } catch (PyException raised) {
            return new Done(token, null, raised, false); // the task's own exception
        }
        try (result) {
            return new Done(token, result.toJava(), null, false);
        } catch (RuntimeException e) {
            return new Done(token, null, e, false);
        }
    }

    // ---- the end ----

    /** GIL held, as the context's globals go: the loop is closed, its tasks cancelled, waiting futures failed. */
    void release() {
        if (state != null) {
            try {
                state.callMethodObject("close", List.of()).close();
            } catch (PyException notNow) {
                // a loop that cannot be closed now goes with the state object
            }
            state.close();
            state = null;
        }
        // completing runs the application's callbacks: never under the GIL (one calling a worker context would wait for it)
        IllegalStateException closed = new IllegalStateException(context.describe() + " was closed before the asynchronous call ended");
        Thread.ofVirtual().name("pyhost-async-closed-" + context.id()).start(() -> failAll(closed));
    }

    private void failAll(RuntimeException why) {
        for (Long token : List.copyOf(waiting.keySet())) {
            CompletableFuture<Object> future = waiting.remove(token);
            if (future != null) {
                future.completeExceptionally(why);
            }
        }
    }

}
