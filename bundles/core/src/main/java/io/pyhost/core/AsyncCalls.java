package io.pyhost.core;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import io.pyhost.core.bridge.PyErrors;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.Values;

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
    private MemorySegment state; // the Python AsyncState (owned), made at the first awaitable; GIL held

    AsyncCalls(PythonContext context) {
        this.context = context;
    }

    /** What the call part produces: a new reference to its result, or NULL with an exception raised. */
    interface Producer {
        MemorySegment produce(PythonInterpreter in, InflightCall call);
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
                    MemorySegment result = producer.produce(in, call);
                    if (result.address() == 0) {
                        throw PyErrors.fetch(in, call);
                    }
                    try {
                        if (!awaitable(in, call, result)) {
                            return new Converted(Values.toJava(result));
                        }
                        long token = tokens.incrementAndGet();
                        waiting.put(token, future); // before the task exists: a slice may finish it at once
                        try {
                            schedule(in, call, token, result);
                        } catch (RuntimeException e) {
                            waiting.remove(token);
                            throw e;
                        }
                        return new Scheduled(token);
                    } finally {
                        Py_DecRef(result);
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

    private static boolean awaitable(PythonInterpreter in, InflightCall call, MemorySegment value) {
        MemorySegment answer = in.callHelper("is_awaitable", call, value);
        try {
            return answer.address() == Py_True.address();
        } finally {
            Py_DecRef(answer);
        }
    }

    private void schedule(PythonInterpreter in, InflightCall call, long token, MemorySegment awaitable) {
        if (state == null) {
            MemorySegment made = PyObject_CallObject(in.helper("async_state"), MemorySegment.NULL);
            if (made.address() == 0) {
                throw PyErrors.fetch(in, call);
            }
            state = made;
        }
        MemorySegment tokenObject = Values.toPython(token);
        try {
            callMethod(in, call, "schedule", tokenObject, awaitable);
        } finally {
            Py_DecRef(tokenObject);
        }
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
            MemorySegment t = Values.toPython(token);
            try {
                callMethod(in, call, "cancel", t);
            } finally {
                Py_DecRef(t);
            }
        }
        MemorySegment seconds = PyFloat_FromDouble(SLICE_MILLIS / 1000.0);
        MemorySegment done;
        try {
            done = callMethod(in, call, "drive", seconds);
        } finally {
            Py_DecRef(seconds);
        }
        try {
            long n = PyList_Size(done);
            for (long i = 0; i < n; i++) {
                MemorySegment pair = PyList_GetItem(done, i); // borrowed; `done` (owned) keeps it
                long token = PyLong_AsLongLong(PyTuple_GetItem(pair, 0));
                MemorySegment task = PyTuple_GetItem(pair, 1);
                out.add(outcome(in, call, token, task));
            }
        } finally {
            Py_DecRef(done);
        }
        return out;
    }

    /** The outcome of a done task (borrowed). */
    private static Done outcome(PythonInterpreter in, InflightCall call, long token, MemorySegment task) {
        MemorySegment cancelled = callMethodOf(in, call, task, "cancelled");
        boolean wasCancelled = cancelled.address() == Py_True.address();
        Py_DecRef(cancelled);
        if (wasCancelled) {
            return new Done(token, null, null, true);
        }
        MemorySegment result;
        try {
            result = callMethodOf(in, call, task, "result");
        } catch (PyException raised) {
            return new Done(token, null, raised, false); // the task's own exception
        }
        try {
            return new Done(token, Values.toJava(result), null, false);
        } catch (Values.ConversionException e) {
            return new Done(token, null, PyErrors.fetch(in, call), false);
        } catch (RuntimeException e) {
            return new Done(token, null, e, false);
        } finally {
            Py_DecRef(result);
        }
    }

    // ---- the end ----

    /** GIL held, as the context's globals go: the loop is closed, its tasks cancelled, waiting futures failed. */
    void release() {
        if (state != null) {
            MemorySegment close;
            try (Arena arena = Arena.ofConfined()) {
                close = PyObject_GetAttrString(state, arena.allocateFrom("close"));
            }
            MemorySegment closed = close.address() == 0 ? MemorySegment.NULL : PyObject_CallObject(close, MemorySegment.NULL);
            if (close.address() != 0) {
                Py_DecRef(close);
            }
            if (closed.address() == 0) {
                PyErr_Clear(); // a loop that cannot be closed now goes with the state object
            } else {
                Py_DecRef(closed);
            }
            Py_DecRef(state);
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

    // ---- C API helpers ----

    /** {@code state.name(*args)}: a new reference; a Python exception is thrown as PyException. */
    private MemorySegment callMethod(PythonInterpreter in, InflightCall call, String name, MemorySegment... args) {
        return callMethodOf(in, call, state, name, args);
    }

    private static MemorySegment callMethodOf(PythonInterpreter in, InflightCall call, MemorySegment target, String name,
            MemorySegment... args) {
        MemorySegment method;
        try (Arena arena = Arena.ofConfined()) {
            method = PyObject_GetAttrString(target, arena.allocateFrom(name));
        }
        if (method.address() == 0) {
            throw PyErrors.fetch(in, call);
        }
        MemorySegment result = Values.callWithObjects(method, args);
        Py_DecRef(method);
        if (result.address() == 0) {
            throw PyErrors.fetch(in, call);
        }
        return result;
    }
}
