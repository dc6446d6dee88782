package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Counts, per interpreter, the bytes of obmalloc arenas it holds, so that an own-GIL
 * interpreter (which has its own obmalloc) can be held to a memory cap.
 *
 * <p>How: CPython's arena allocator ({@code PyObject_SetArenaAllocator}) is replaced by a pair
 * of upcalls that call the original and note which interpreter asked (the current thread
 * state's). Arenas are 1 MiB, so the upcall runs once per MiB of small objects: its cost does
 * not show. What it cannot see: objects over 512 bytes, which obmalloc hands to {@code malloc}
 * (large strings, bytes, list buffers).
 *
 * <p>The upcalls count and, when an interpreter crosses its cap, notify the listener; they never
 * run Python code (an allocator runs in the middle of CPython's own work). Installed
 * once per class loader, with the runtime; never removed (an arena may be freed at any time).
 */
final class ArenaAccounting {
    private static final StructLayout ALLOCATOR = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("ctx"), ValueLayout.ADDRESS.withName("alloc"), ValueLayout.ADDRESS.withName("free"));

    private static ArenaAccounting installed;

    private final MethodHandle originalAlloc;
    private final MethodHandle originalFree;
    private final MemorySegment originalCtx;
    private final Map<Long, Long> arenaOwner = new ConcurrentHashMap<>();      // arena address -> interpreter address
    private final Map<Long, AtomicLong> bytesByInterpreter = new ConcurrentHashMap<>();
    private final Map<Long, Long> caps = new ConcurrentHashMap<>();
    private final Map<Long, LongConsumer> overCap = new ConcurrentHashMap<>();

    private ArenaAccounting(MemorySegment original) {
        Linker linker = Linker.nativeLinker();
        originalCtx = original.get(ValueLayout.ADDRESS, 0);
        originalAlloc = linker.downcallHandle(original.get(ValueLayout.ADDRESS, 8),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        originalFree = linker.downcallHandle(original.get(ValueLayout.ADDRESS, 16),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    /** Installs the counting allocator (once); GIL of the main interpreter held. */
    static synchronized ArenaAccounting install() {
        if (installed != null) {
            return installed;
        }
        Arena forever = Arena.global(); // the allocator outlives any bundle: arenas are freed at any time
        MemorySegment original = forever.allocate(ALLOCATOR);
        PyObject_GetArenaAllocator(original);
        ArenaAccounting accounting = new ArenaAccounting(original);
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MemorySegment alloc = linker.upcallStub(
                    lookup.findVirtual(ArenaAccounting.class, "alloc", MethodType.methodType(MemorySegment.class, MemorySegment.class, long.class))
                            .bindTo(accounting),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), forever);
            MemorySegment free = linker.upcallStub(
                    lookup.findVirtual(ArenaAccounting.class, "free", MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class, long.class))
                            .bindTo(accounting),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), forever);
            MemorySegment ours = forever.allocate(ALLOCATOR);
            ours.set(ValueLayout.ADDRESS, 0, MemorySegment.NULL);
            ours.set(ValueLayout.ADDRESS, 8, alloc);
            ours.set(ValueLayout.ADDRESS, 16, free);
            PyObject_SetArenaAllocator(ours);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make the arena allocator upcalls", e);
        }
        installed = accounting;
        return accounting;
    }

    /** Upcall: {@code void *alloc(void *ctx, size_t size)}. Must never throw. */
    private MemorySegment alloc(MemorySegment ctx, long size) {
        MemorySegment arena;
        try {
            arena = (MemorySegment) originalAlloc.invokeExact(originalCtx, size);
        } catch (Throwable t) {
            return MemorySegment.NULL;
        }
        try {
            if (arena.address() != 0) {
                long interpreter = currentInterpreter();
                arenaOwner.put(arena.address(), interpreter);
                long total = bytesByInterpreter.computeIfAbsent(interpreter, k -> new AtomicLong()).addAndGet(size);
                Long cap = caps.get(interpreter);
                if (cap != null && total > cap) {
                    LongConsumer listener = overCap.get(interpreter);
                    if (listener != null) {
                        listener.accept(total);
                    }
                }
            }
        } catch (Throwable ignored) {
            // counting is best effort; an exception escaping an upcall would end the JVM
        }
        return arena;
    }

    /** Upcall: {@code void free(void *ctx, void *ptr, size_t size)}. Must never throw. */
    private void free(MemorySegment ctx, MemorySegment ptr, long size) {
        try {
            Long interpreter = arenaOwner.remove(ptr.address());
            if (interpreter != null) {
                AtomicLong bytes = bytesByInterpreter.get(interpreter);
                if (bytes != null) {
                    bytes.addAndGet(-size);
                }
            }
        } catch (Throwable ignored) {
            // as above
        }
        try {
            originalFree.invokeExact(originalCtx, ptr, size);
        } catch (Throwable ignored) {
            // the original free returns nothing and cannot fail in a way we could act on
        }
    }

    private static long currentInterpreter() {
        MemorySegment tstate = has_PyThreadState_GetUnchecked() ? PyThreadState_GetUnchecked() : MemorySegment.NULL;
        return tstate.address() == 0 ? 0 : PyThreadState_GetInterpreter(tstate).address();
    }

    /**
     * Holds the interpreter at {@code interpreterState} to {@code capBytes} of arenas; crossing it
     * calls {@code listener} (on the allocating thread, holding that interpreter's GIL, inside the
     * allocator: it may set an async exception or hand the news to another thread, nothing more).
     */
    void cap(long interpreterState, long capBytes, LongConsumer listener) {
        overCap.put(interpreterState, listener);
        caps.put(interpreterState, capBytes);
    }

    /** Forgets an interpreter's cap (it ended). */
    void uncap(long interpreterState) {
        caps.remove(interpreterState);
        overCap.remove(interpreterState);
    }

    /** Arena bytes the interpreter holds now. */
    long bytes(long interpreterState) {
        AtomicLong bytes = bytesByInterpreter.get(interpreterState);
        return bytes == null ? 0 : bytes.get();
    }
}
