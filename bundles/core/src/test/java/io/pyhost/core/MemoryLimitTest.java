package io.pyhost.core;

import static org.junit.Assert.*;

import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/** The per-context memory cap of own-GIL contexts, counted on their own obmalloc arenas. */
public class MemoryLimitTest extends EngineTest {
    private static final long MIB = 1024 * 1024;

    @Test
    public void exceedingTheCapRaisesMemoryErrorInThatContextOnly() {
        try (PyContext capped = EmbeddedPython.create(engine, ContextOptions.mode("owngil").withMemoryLimit(64 * MIB));
             PyContext free = EmbeddedPython.create(engine, "owngil")) {
            for (int attempt = 1; attempt <= 2; attempt++) { // the cap still holds the second time
                PyException e = assertThrows(PyException.class, () -> capped.exec("hog = [[] for _ in range(3_000_000)]"));
                assertEquals("attempt " + attempt, "MemoryError", e.pythonType());
                assertEquals("the context exceeded its memory limit of " + 64 * MIB + " bytes", e.pythonMessage());
                assertEquals(4L, capped.eval("2 + 2"));
                assertEquals(false, capped.eval("'hog' in globals()"));
            }
            free.exec("hog = [[] for _ in range(3_000_000)]");
            assertEquals(3_000_000L, free.eval("len(hog)"));
            capped.exec("small = [[] for _ in range(100_000)]"); // well under the cap
            assertEquals(100_000L, capped.eval("len(small)"));
        }
    }

    @Test
    public void modesSharingTheMainAllocatorRefuseTheOption() {
        for (String mode : new String[] {"worker", "subinterp"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EmbeddedPython.create(engine, ContextOptions.mode(mode).withMemoryLimit(64 * MIB)));
            assertEquals("memoryLimit needs an interpreter with its own allocator (mode 'owngil') or its own process (mode 'process'); mode '" + mode
                    + "' shares the main interpreter's, whose memory cannot be told apart per context", e.getMessage());
        }
        for (String mode : new String[] {"worker", "subinterp", "owngil"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EmbeddedPython.create(engine, ContextOptions.mode(mode).withCpuLimit(java.time.Duration.ofSeconds(1))));
            assertEquals("cpuLimit needs a context in its own process (mode 'process'); mode '" + mode
                    + "' runs in this JVM's process, whose CPU time cannot be told apart per context", e.getMessage());
        }
        assertEquals("cpuLimit must be positive, was PT0S",
                assertThrows(IllegalArgumentException.class, () -> ContextOptions.mode("process").withCpuLimit(java.time.Duration.ZERO)).getMessage());
        assertEquals("memoryLimit must be positive, was 0",
                assertThrows(IllegalArgumentException.class, () -> ContextOptions.mode("owngil").withMemoryLimit(0)).getMessage());
    }
}
