package io.pyhost.core.bridge;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.pyhost.spi.PythonVersion;

/**
 * The memory cap of own-allocator sub-interpreters, without Java on CPython's allocator path.
 *
 * <p>Why not count in the allocator: CPython's arena allocator hook is process-wide, so a Java
 * upcall there runs on every thread of every interpreter, including threads Python starts
 * itself; CPython 3.14 lets deep C recursion (deallocating a 10^6-deep list, a caught
 * RecursionError) run those threads' stacks down to a 16-48 KiB reserve, and a JVM upcall needs
 * more than that (its shadow zone alone is 80 KiB): the JVM aborts. No Python code must be able
 * to do that, so nothing of Java is ever called from inside CPython's allocator.
 *
 * <p>How instead: one daemon thread ({@code pyhost-memory-watch}, alive while a cap exists)
 * reads every capped interpreter's count of obmalloc arenas (1 MiB each) every millisecond,
 * straight from CPython's memory: no GIL, no upcall, a few nanoseconds per read. Over the cap,
 * the running call gets {@code MemoryError} through the interpreter's {@link Interrupter}, again
 * every 50 ms while it stays over. What that costs in precision: a call allocates on for up to a
 * millisecond plus the time to take its GIL (CPython's 5 ms switch interval) past the cap: 13-18
 * MiB over a 64 MiB cap in a tight {@code hog.append([])} loop. Objects over 512 bytes come from
 * {@code malloc}, not arenas, and are not counted.
 *
 * <p>The count's place is not public C API: it is read at offsets of CPython 3.14.3's
 * {@code PyInterpreterState.obmalloc} and {@code _obmalloc_state.mgmt.narenas_currently_allocated}
 * (from its internal headers), checked once per JVM against a real allocation before the first
 * cap is accepted. Other CPython versions refuse the option.
 */
final class MemoryWatch {
    static final PythonVersion MEASURED_ON = new PythonVersion(3, 14, 3);
    /** CPython 3.14.3's {@code PyInterpreterState} up to its {@code obmalloc} pointer (at 10872, internal headers). */
    private static final StructLayout INTERPRETER_STATE_HEAD = MemoryLayout.structLayout(
            MemoryLayout.paddingLayout(10872), ValueLayout.ADDRESS.withName("obmalloc"));
    /** CPython 3.14.3's {@code struct _obmalloc_state} up to {@code mgmt.narenas_currently_allocated} (at 1064). */
    private static final StructLayout OBMALLOC_STATE_HEAD = MemoryLayout.structLayout(
            MemoryLayout.paddingLayout(1064), ValueLayout.JAVA_LONG.withName("narenas_currently_allocated"));
    private static final long OBMALLOC_OFFSET = INTERPRETER_STATE_HEAD.byteOffset(MemoryLayout.PathElement.groupElement("obmalloc"));
    private static final long NARENAS_OFFSET = OBMALLOC_STATE_HEAD.byteOffset(MemoryLayout.PathElement.groupElement("narenas_currently_allocated"));
    static final long ARENA_BYTES = 1 << 20;
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long REPEAT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private record Cap(SubInterpreter interpreter, MemorySegment counter, long bytes) {
    }

    private static final Map<SubInterpreter, Cap> CAPS = new ConcurrentHashMap<>();
    private static final Map<SubInterpreter, Long> LAST_RAISED = new ConcurrentHashMap<>();
    private static Thread thread; // guarded by MemoryWatch.class

    private MemoryWatch() {
    }

    /** Why caps cannot be had on {@code version}, or null when they can. */
    static String unsupportedOn(PythonVersion version) {
        return version.equals(MEASURED_ON) ? null
                : "memoryLimit reads CPython's per-interpreter arena count, whose place is known for CPython "
                        + MEASURED_ON + " only; this JVM runs CPython " + version;
    }

    /**
     * The arena counter of {@code interpreterState} (an interpreter with its own obmalloc), as a
     * segment to read without the GIL while the interpreter lives.
     */
    static MemorySegment counterOf(MemorySegment interpreterState) {
        MemorySegment obmalloc = interpreterState.reinterpret(INTERPRETER_STATE_HEAD.byteSize()).get(ValueLayout.ADDRESS, OBMALLOC_OFFSET);
        if (obmalloc.address() == 0 || obmalloc.address() % 8 != 0) {
            throw new IllegalStateException("the interpreter has no obmalloc state of its own");
        }
        return obmalloc.reinterpret(OBMALLOC_STATE_HEAD.byteSize()).asSlice(NARENAS_OFFSET, ValueLayout.JAVA_LONG);
    }

    private static volatile String verified; // null: not yet; "": the counter moved as it should; else why not

    /**
     * Checks once per JVM, inside a capped interpreter (its GIL held), that the counter read at
     * the known offsets really counts arenas: it must grow by several arenas while 200,000 floats
     * (24 bytes each, about 4.6 MiB of small objects) are alive.
     */
    static void verifyCounter(MemorySegment counter) {
        String outcome = verified;
        if (outcome == null) {
            synchronized (MemoryWatch.class) {
                if (verified == null) {
                    verified = measure(counter);
                }
                outcome = verified;
            }
        }
        if (!outcome.isEmpty()) {
            throw new IllegalStateException(outcome);
        }
    }

    private static String measure(MemorySegment counter) {
        long before = arenas(counter);
        int n = 200_000;
        MemorySegment list = CApi.PyList_New(n);
        if (list.address() == 0) {
            CApi.PyErr_Clear();
            return "memoryLimit: the arena count could not be checked (out of memory)";
        }
        long during;
        try {
            for (int i = 0; i < n; i++) {
                CApi.PyList_SetItem(list, i, CApi.PyFloat_FromDouble(i + 0.5)); // steals
            }
            during = arenas(counter);
        } finally {
            CApi.Py_DecRef(list);
        }
        long grown = during - before;
        return before >= 1 && grown >= 3 && grown <= 16 ? ""
                : "memoryLimit: CPython's arena count does not behave as measured on " + MEASURED_ON
                        + " (" + before + " arenas, then " + during + " with 4.6 MiB of small objects alive)";
    }

    static long arenas(MemorySegment counter) {
        return counter.get(ValueLayout.JAVA_LONG, 0);
    }

    /** Starts watching; the interpreter calls {@link #forget} before it ends. */
    static void watch(SubInterpreter interpreter, MemorySegment counter, long bytes) {
        CAPS.put(interpreter, new Cap(interpreter, counter, bytes));
        synchronized (MemoryWatch.class) {
            if (thread == null) {
                thread = new Thread(MemoryWatch::serve, "pyhost-memory-watch");
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    /** Stops watching; after this returns the watch no longer reads the interpreter's memory. */
    static void forget(SubInterpreter interpreter) {
        CAPS.remove(interpreter);
        LAST_RAISED.remove(interpreter);
        synchronized (MemoryWatch.class) {
            // a poll that read the map before the removal finishes under this lock
        }
    }

    private static void serve() {
        while (true) {
            synchronized (MemoryWatch.class) {
                if (CAPS.isEmpty()) {
                    thread = null;
                    return;
                }
                long now = System.nanoTime();
                for (Cap cap : CAPS.values()) {
                    if (arenas(cap.counter()) * ARENA_BYTES > cap.bytes()) {
                        Long last = LAST_RAISED.get(cap.interpreter());
                        if (last == null || now - last >= REPEAT_NANOS) {
                            LAST_RAISED.put(cap.interpreter(), now);
                            cap.interpreter().overCap(cap.bytes());
                        }
                    }
                }
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
