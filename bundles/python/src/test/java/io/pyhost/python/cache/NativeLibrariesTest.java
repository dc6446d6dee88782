package io.pyhost.python.cache;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Test;

public class NativeLibrariesTest {

    /** {@code dlsym(RTLD_DEFAULT, name)}: a symbol of the global namespace, or 0. */
    private static long globalSymbol(String name) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle dlsym = linker.downcallHandle(linker.defaultLookup().find("dlsym").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            return ((MemorySegment) dlsym.invokeExact(MemorySegment.NULL, arena.allocateFrom(name))).address();
        }
    }

    @Test
    public void aLibraryLoadedGloballyLendsItsSymbolsToEveryone() throws Throwable {
        // the JVM loads libjava with RTLD_LOCAL: its symbols are not global until loaded again with RTLD_GLOBAL
        Path libjava = Path.of(System.getProperty("java.home"), "lib", "libjava.so");
        assertTrue(libjava + " exists", Files.isRegularFile(libjava));
        assertEquals("before: not in the global namespace", 0L, globalSymbol("JNU_NewStringPlatform"));
        NativeLibraries.loadGlobally(List.of(libjava));
        assertNotEquals("after: in the global namespace", 0L, globalSymbol("JNU_NewStringPlatform"));
    }

    @Test
    public void aLibraryThatCannotBeLoadedFailsWithDlerrorsText() {
        Path missing = Path.of("/nonexistent/libnothing.so.1");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NativeLibraries.loadGlobally(List.of(missing)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("dlopen(" + missing + ") failed: "));
        assertTrue(e.getMessage(), e.getMessage().contains("No such file"));
    }
}
