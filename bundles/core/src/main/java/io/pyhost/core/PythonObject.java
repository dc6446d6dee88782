package io.pyhost.core;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import io.pyhost.api.PyObject;
import io.pyhost.api.PyException;
import io.pyhost.core.bridge.PyRef;
import io.pyhost.core.interop.PythonHandle;
import io.pyhost.core.interop.PythonHost;

/**
 * A {@link PyObject}: the id of a reference its {@link PythonContext} holds. The reference itself
 * lives in the context and is only touched in the context's calls, with the GIL held; closing (or
 * dropping) the handle queues its release for the next call, and closing the context releases
 * every reference it still holds.
 */
final class PythonObject implements PyObject, PythonHandle {
    private final PythonContext context;
    private final long id;
    private final AtomicBoolean closed = new AtomicBoolean();

    PythonObject(PythonContext context, long id) {
        this.context = context;
        this.id = id;
    }

    @Override
    public String type() {
        return run(PyRef::typeName);
    }

    @Override
    public Object toJava() {
        return run(PyRef::toJava);
    }

    @Override
    public PyObject getAttr(String name) {
        checkName(name);
        return run(self -> context.keep(self.getAttr(name)));
    }

    @Override
    public void setAttr(String name, Object value) {
        checkName(name);
        run(self -> {
            self.setAttr(name, value);
            return null;
        });
    }

    @Override
    public Object call(Object... args) {
        return callKw(args == null ? null : java.util.Arrays.asList(args), null);
    }

    @Override
    public Object callKw(List<?> args, Map<String, ?> kwargs) {
        checkKwargs(kwargs);
        return run(self -> self.call(args, kwargs));
    }

    @Override
    public PyObject callObject(Object... args) {
        List<?> list = args == null ? null : java.util.Arrays.asList(args);
        return run(self -> context.keep(self.callObject(list, null)));
    }

    @Override
    public Object callMethod(String name, Object... args) {
        checkName(name);
        List<?> list = args == null ? null : java.util.Arrays.asList(args);
        return run(self -> self.callMethod(name, list));
    }

    @Override
    public Iterator<Object> iterator() {
        return steps(1);
    }

    private Steps steps(int maxBatch) {
        PythonObject iterator = run(self -> context.keep(self.iterator()));
        return new Steps(iterator, maxBatch);
    }

    @Override
    public Stream<Object> stream() {
        Steps steps = steps(MAX_BATCH);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(steps, Spliterator.ORDERED), false).onClose(steps::close);
    }

    @Override
    public io.pyhost.api.PyBuffer buffer() {
        return run(self -> context.exportBuffer(self));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            context.release(id);
        }
    }

    @Override
    public PyRef newReference(PythonHost current) {
        if (current != context) {
            throw new IllegalArgumentException("a PyObject of " + context.describe() + " cannot be used in "
                    + (current == null ? "code that runs in no context" : current.describe()));
        }
        if (closed.get() || !context.isLive(id)) {
            throw new IllegalStateException("this PyObject of " + context.describe() + " was closed");
        }
        return context.reference(id).newReference();
    }

    @Override
    public String toString() {
        return "PyObject[" + id + " of " + context.describe() + (closed.get() ? ", closed" : "") + "]";
    }

    // ---- the iterator: Python steps pulled when Java asks ----

    /** Most Python steps a stream takes in one call of the context. */
    static final int MAX_BATCH = 1024;

    /**
     * Pulls from a Python iterator: {@code iterator()} one step per {@code next()}; a stream in
     * growing batches (1, 2, 4, ... {@value #MAX_BATCH} steps per call into Python), so a bulk
     * transfer does not pay a call per element while memory stays bounded by the batch. A Python
     * exception is thrown once the elements before it were delivered.
     */
    private final class Steps implements Iterator<Object>, AutoCloseable {
        private final PythonObject iterator;
        private final int maxBatch;
        private int batch = 1;
        private final java.util.ArrayDeque<Object> buffered = new java.util.ArrayDeque<>(); // elements, nulls boxed
        private RuntimeException failure;   // what the step after the buffered ones raised
        private boolean exhausted;          // Python said StopIteration (or failed)
        private boolean closedSteps;

        Steps(PythonObject iterator, int maxBatch) {
            this.iterator = iterator;
            this.maxBatch = maxBatch;
        }

        @Override
        public boolean hasNext() {
            if (buffered.isEmpty() && !exhausted && !closedSteps) {
                pull();
            }
            if (!buffered.isEmpty()) {
                return true;
            }
            if (failure != null) {
                RuntimeException f = failure;
                failure = null;
                finish();
                throw f;
            }
            finish();
            return false;
        }

        private void pull() {
            int wanted = batch;
            batch = Math.min(maxBatch, batch * 2);
            iterator.run(self -> {
                for (int i = 0; i < wanted; i++) {
                    Object item;
                    try {
                        item = self.next(END);
                    } catch (RuntimeException e) { // Python raised, or the item cannot be converted
                        exhausted = true;
                        failure = e;
                        return null;
                    }
                    if (item == END) {
                        exhausted = true;
                        return null;
                    }
                    buffered.add(new Step(item));
                }
                return null;
            });
        }

        @Override
        public Object next() {
            if (!hasNext()) {
                throw new NoSuchElementException("the Python iterator is exhausted");
            }
            return ((Step) buffered.poll()).value();
        }

        private void finish() {
            closedSteps = true;
            iterator.close();
        }

        /** Closes the Python iterator (a generator runs its finally blocks) and releases it. */
        @Override
        public void close() {
            buffered.clear();
            if (!closedSteps && !exhausted && !iterator.closed.get() && !context.isClosed()) {
                try {
                    iterator.run(self -> {
                        try (PyRef close = closeMethod(self)) {
                            if (close != null) { // else not a generator: nothing to close
                                close.callObject(null, null).close();
                            }
                        }
                        return null;
                    });
                } finally {
                    finish();
                }
            }
            finish();
        }
    }

    /** The iterator's {@code close} method, or null when it has none (or getting it raises). */
    private static PyRef closeMethod(PyRef iterator) {
        try {
            return iterator.getAttrOrNull("close");
        } catch (PyException noClose) {
            return null;
        }
    }

    /** What {@link PyRef#next} answers at the end of the iterator. */
    private static final Object END = new Object();

    /** A converted element (null is a value, so it needs a box). */
    private record Step(Object value) {
    }

    // ---- helpers ----

    /** Work on the handle's object (the context's reference, lent for the call: never closed here). */
    private interface HandleTask<T> {
        T run(PyRef self);
    }

    private <T> T run(HandleTask<T> task) {
        if (closed.get()) {
            throw new IllegalStateException("this PyObject of " + context.describe() + " was closed");
        }
        return context.handleCall((in, call) -> task.run(context.reference(id)));
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("attribute name " + (name == null ? "is null" : name.isEmpty() ? "is empty"
                    : "contains a NUL character"));
        }
    }

    private static void checkKwargs(Map<String, ?> kwargs) {
        if (kwargs != null) {
            for (String k : kwargs.keySet()) {
                checkName(k);
            }
        }
    }
}
