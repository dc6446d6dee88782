package io.pyhost.core.bridge;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Keeps the stack a Java upcall needs out of CPython's reach.
 *
 * <p>CPython 3.14 lets Python code reached through deep C recursion run with the stack pointer
 * as little as 37 KiB above the thread's stack base (measured); a JVM upcall needs its shadow
 * zone (80 KiB) and guard pages free below the stack pointer, or the JVM aborts. Telling
 * CPython that the thread's usable stack starts {@link #RESERVE} higher
 * ({@code PyUnstable_ThreadState_SetStackProtection}) makes it raise {@code RecursionError}
 * while that much is still free: with 256 KiB the same recursion stops 288 KiB above the base.
 * CPython checks its limit before it calls a builtin function, so an upcall on a thread guarded
 * here always starts with at least {@link #RESERVE} of stack. Costs three libc calls per thread
 * state, once.
 */
public final class StackGuard {
    /** Stack kept free below the lowest point Python code may reach on a guarded thread. */
    public static final long RESERVE = Long.getLong("pyhost.stack.reserveKiB", 256) * 1024;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle PTHREAD_SELF = libc("pthread_self", FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final MethodHandle PTHREAD_GETATTR_NP = libc("pthread_getattr_np",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle PTHREAD_ATTR_GETSTACK = libc("pthread_attr_getstack",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle PTHREAD_ATTR_DESTROY = libc("pthread_attr_destroy",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    /** sizeof(pthread_attr_t) is 56 on x86_64 and 64 on aarch64 glibc: room for either. */
    private static final long PTHREAD_ATTR_SIZE = 128;

    private StackGuard() {
    }

    private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        return LINKER.defaultLookup().find(name).map(symbol -> LINKER.downcallHandle(symbol, descriptor)).orElse(null);
    }

    /** Whether this CPython and libc let a thread state be guarded. */
    private static boolean available() {
        return CApi.has_PyUnstable_ThreadState_SetStackProtection() && PTHREAD_SELF != null && PTHREAD_GETATTR_NP != null
                && PTHREAD_ATTR_GETSTACK != null && PTHREAD_ATTR_DESTROY != null;
    }

    /**
     * Guards the current thread's attached thread state (GIL held); returns false when it cannot
     * be (then upcalls must not run on this thread).
     */
    public static boolean guardCurrentThread() {
        if (!available()) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(PTHREAD_ATTR_SIZE, 16);
            if ((int) PTHREAD_GETATTR_NP.invokeExact((long) PTHREAD_SELF.invokeExact(), attr) != 0) {
                return false;
            }
            MemorySegment addr = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            int rc = (int) PTHREAD_ATTR_GETSTACK.invokeExact(attr, addr, size);
            int ignored = (int) PTHREAD_ATTR_DESTROY.invokeExact(attr);
            long base = addr.get(ValueLayout.ADDRESS, 0).address();
            long length = size.get(ValueLayout.JAVA_LONG, 0);
            if (rc != 0 || base == 0 || length <= 2 * RESERVE) {
                return false;
            }
            return CApi.PyUnstable_ThreadState_SetStackProtection(CApi.PyThreadState_Get(), MemorySegment.ofAddress(base + RESERVE),
                    length - RESERVE) == 0;
        } catch (Throwable t) {
            CApi.PyErr_Clear();
            return false;
        }
    }
}
