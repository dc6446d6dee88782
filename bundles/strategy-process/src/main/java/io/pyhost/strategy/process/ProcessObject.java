package io.pyhost.strategy.process;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import io.pyhost.api.PyBuffer;
import io.pyhost.api.PyObject;

/**
 * A {@link PyObject} of a {@code process} context: the id of an object the child keeps in its
 * handle table. Every method is one request over the context's channel, serialized with the
 * context's other calls and bounded by its call timeout; {@link #close()} sends no request (the
 * child drops the object when it next reads the channel).
 */
final class ProcessObject implements PyObject {
    /** Most Python steps a stream takes in one request. */
    static final int MAX_BATCH = 1024;

    private final ProcessContext context;
    final long id;
    private final String type;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ProcessContext.HandleRef ref; // dropped unclosed, the child is told at the context's next request

    ProcessObject(ProcessContext context, long id, String type) {
        this.context = context;
        this.id = id;
        this.type = type;
        this.ref = context.track(this);
    }

    boolean belongsTo(ProcessContext c) {
        return context == c;
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public String type() {
        checkOpen();
        return type;
    }

    @Override
    public Object toJava() {
        return op("java");
    }

    @Override
    public PyObject getAttr(String name) {
        checkName(name);
        return (PyObject) op("getattr", name);
    }

    @Override
    public void setAttr(String name, Object value) {
        checkName(name);
        op("setattr", name, value);
    }

    @Override
    public Object call(Object... args) {
        return callKw(args == null ? null : Arrays.asList(args), null);
    }

    @Override
    public Object callKw(List<?> args, Map<String, ?> kwargs) {
        if (kwargs != null) {
            kwargs.keySet().forEach(ProcessObject::checkName);
        }
        return op("call", args == null ? List.of() : args, kwargs, false);
    }

    @Override
    public PyObject callObject(Object... args) {
        return (PyObject) op("call", args == null ? List.of() : Arrays.asList(args), null, true);
    }

    @Override
    public Object callMethod(String name, Object... args) {
        checkName(name);
        return op("method", name, args == null ? List.of() : Arrays.asList(args));
    }

    @Override
    public Iterator<Object> iterator() {
        return new Steps((ProcessObject) op("iter"), 1);
    }

    @Override
    public Stream<Object> stream() {
        Steps steps = new Steps((ProcessObject) op("iter"), MAX_BATCH);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(steps, Spliterator.ORDERED), false).onClose(steps::close);
    }

    /** Refused: the object's memory is in the child process, which the JVM cannot map. */
    @Override
    public PyBuffer buffer() {
        checkOpen();
        throw new UnsupportedOperationException("a PyObject of " + context + " has no buffer for Java: its memory is in the child "
                + "process (use an in-process mode to share memory, or toJava() to copy it)");
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            context.untrack(ref);
            context.drop(id);
        }
    }

    @Override
    public String toString() {
        return "PyObject[" + id + " of " + context + (closed.get() ? ", closed" : "") + "]";
    }

    private Object op(String operation, Object... args) {
        checkOpen();
        Object[] request = new Object[args.length + 2];
        request[0] = operation;
        request[1] = id;
        System.arraycopy(args, 0, request, 2, args.length);
        return context.handleOp(Arrays.asList(request));
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this PyObject of " + context + " was closed");
        }
        context.checkOpen();
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("attribute name " + (name == null ? "is null" : name.isEmpty() ? "is empty"
                    : "contains a NUL character"));
        }
    }

    /**
     * Pulls from the child's iterator: {@code iterator()} one step per request, a stream in growing
     * batches (1, 2, 4, ... {@value #MAX_BATCH}). A Python exception is thrown once the elements before
     * it were delivered; closing before the end closes a generator (its {@code finally} blocks run).
     */
    private static final class Steps implements Iterator<Object>, AutoCloseable {
        private final ProcessObject iterator;
        private final int maxBatch;
        private int batch = 1;
        private final ArrayDeque<Object[]> buffered = new ArrayDeque<>(); // one-element boxes: null is a value
        private boolean exhausted;
        private boolean finished;

        Steps(ProcessObject iterator, int maxBatch) {
            this.iterator = iterator;
            this.maxBatch = maxBatch;
        }

        @Override
        public boolean hasNext() {
            if (buffered.isEmpty() && !exhausted && !finished) {
                try {
                    pull();
                } catch (RuntimeException e) {
                    finish();
                    throw e;
                }
            }
            if (buffered.isEmpty()) {
                finish();
                return false;
            }
            return true;
        }

        private void pull() {
            int wanted = batch;
            batch = Math.min(maxBatch, batch * 2);
            List<?> answer = (List<?>) iterator.op("next", wanted);
            for (Object item : (List<?>) answer.get(0)) {
                buffered.add(new Object[] {item});
            }
            exhausted = Boolean.TRUE.equals(answer.get(1));
        }

        @Override
        public Object next() {
            if (!hasNext()) {
                throw new NoSuchElementException("the Python iterator is exhausted");
            }
            return buffered.poll()[0];
        }

        private void finish() {
            finished = true;
            iterator.close();
        }

        @Override
        public void close() {
            buffered.clear();
            if (!finished && !exhausted && !iterator.isClosed() && !iterator.context.isClosed()) {
                try {
                    iterator.op("close");
                } finally {
                    finish();
                }
            }
            finish();
        }
    }
}
