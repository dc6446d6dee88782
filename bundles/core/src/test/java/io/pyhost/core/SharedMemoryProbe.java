package io.pyhost.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;

/**
 * Attacks on memory shared without a copy that read or write freed memory when they succeed,
 * run by {@link SharedMemoryAdversaryTest} in a JVM of their own (as {@link AdversaryProbe}):
 * a probe that holds prints {@value #OK} and exits 0; one that crashes the JVM shows as a signal
 * exit status and a missing {@value #OK}.
 */
public final class SharedMemoryProbe {
    static final String OK = "SHARED-MEMORY-PROBE-OK";
    /** Large enough for malloc to map it on its own: freed, it is unmapped, and a read of it faults. */
    private static final long BIG = 64L << 20;

    private SharedMemoryProbe() {
    }

    /** Runs the probe {@code args} in a new JVM; fails the test unless it printed {@value #OK} and exited 0. */
    static void assertHolds(String... args) throws Exception {
        AdversaryProbe.assertHolds(SharedMemoryProbe.class, OK, "shared-memory", args);
    }

    public static void main(String[] args) throws Exception {
        ContextEngine engine = new ContextEngine(EmbeddedPython.runtime(), new PreloadRegistry(), null);
        try {
            switch (args[0]) {
                case "keptViewsAfterTheArenaClosed" -> keptViewsAfterTheArenaClosed(engine, args[1]);
                case "keptExportAfterTheArenaClosed" -> keptExportAfterTheArenaClosed(engine, args[1]);
                default -> throw new IllegalArgumentException(args[0]);
            }
            System.out.println(OK);
            System.out.flush();
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }
        Runtime.getRuntime().halt(0);
    }

    /**
     * The README's own pattern: a confined arena in try-with-resources, so when the call fails
     * because Python kept something over the memory, the arena closes (and frees the memory) on
     * the way out. Python kept slices, casts and copies of the view (global, closure, another
     * thread, a traceback, a suspended generator) and uses them in the next call: each must raise
     * ValueError, not read or write unmapped memory.
     */
    private static void keptViewsAfterTheArenaClosed(ContextEngine engine, String mode) {
        try (PyContext ctx = EmbeddedPython.create(engine, ContextOptions.mode(mode))) {
            ctx.exec("""
                    import threading
                    kept = {}
                    def keep(view):
                        kept['slice'] = view[16:32]
                        kept['cast'] = view.cast('q')
                        kept['copy'] = memoryview(view)
                        kept['readonly'] = view.toreadonly()
                        def closure(v=view[0:8]):
                            return v
                        kept['closure'] = closure
                        def gen(v=view[8:]):
                            yield 1
                            yield v
                        g = gen(); next(g)
                        kept['generator'] = g
                        try:
                            w = view[1:2]
                            raise KeyError('x')
                        except KeyError as e:
                            kept['traceback'] = e
                        got = []
                        t = threading.Thread(target=lambda v=view[4:12]: got.append(v))
                        t.start(); t.join()
                        kept['thread'] = got[0]
                        kept['iterator'] = iter(view[0:64])
                        return 1
                    def use():
                        views = [kept['slice'], kept['cast'], kept['copy'], kept['readonly'], kept['closure'](),
                                 next(kept['generator']), kept['traceback'].__traceback__.tb_frame.f_locals['w'], kept['thread']]
                        outcomes = []
                        for v in views:
                            try:
                                outcomes.append(bytes(v[0:8]))
                            except ValueError:
                                outcomes.append('released')
                            try:
                                v[0] = 1 if v.format != 'q' else 1
                                outcomes.append('written')
                            except (ValueError, TypeError):
                                outcomes.append('released')
                        try:
                            outcomes.append(next(kept['iterator']))
                        except ValueError:
                            outcomes.append('released')
                        return outcomes
                    """);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment big = arena.allocate(BIG);
                ctx.call(null, "keep", List.of(big), null);
            } catch (IllegalStateException kept) {
                // told: Python kept something over the memory; the arena closes all the same
            }
            Object outcomes = ctx.call(null, "use", List.of(), null);
            for (Object outcome : (List<?>) outcomes) {
                if (!"released".equals(outcome)) {
                    throw new AssertionError(mode + ": a view Python kept still reached the freed memory: " + outcomes);
                }
            }
        }
    }

    /**
     * The same pattern with an export Python keeps past the call ({@code struct.iter_unpack} holds
     * the view's buffer, as numpy.frombuffer or ctypes.from_buffer would), in the sandbox: iterating
     * it after the arena closed must not read the freed memory.
     */
    private static void keptExportAfterTheArenaClosed(ContextEngine engine, String mode) {
        try (PyContext ctx = EmbeddedPython.create(engine, ContextOptions.mode(mode))) {
            ctx.exec("""
                    import struct
                    kept = []
                    def keep(view):
                        kept.append(struct.iter_unpack('q', view))
                        return 1
                    def use():
                        try:
                            return sum(x for (x,) in kept[0])
                        except ValueError:
                            return 'released'
                    """);
            try (Arena arena = Arena.ofConfined()) {
                ctx.call(null, "keep", List.of(arena.allocate(BIG)), null);
            } catch (IllegalStateException kept) {
                // told; the arena closes all the same
            }
            Object used = ctx.call(null, "use", List.of(), null);
            if (!"released".equals(used)) {
                throw new AssertionError(mode + ": an export Python kept still read the freed memory: " + used);
            }
        }
    }
}
