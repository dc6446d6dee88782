package io.pyhost.core.bridge;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Loads libpython once per class loader. {@link CApi}'s handles are bound to the lookup made
 * here, so {@link #load(Path)} must run before {@code CApi} is first touched.
 *
 * <p>The library is opened with {@code dlopen(RTLD_NOW | RTLD_GLOBAL)} first: extension modules
 * of the standard library ({@code _ssl}, {@code _decimal}...) resolve libpython's symbols from the
 * global namespace, which {@link SymbolLookup#libraryLookup} alone does not populate. A second
 * {@code dlopen} of the same file (after a core bundle update) returns the same handle.
 */
public final class LibPython {
    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;

    private static volatile SymbolLookup lookup;
    private static volatile Path loaded;

    private LibPython() {
    }

    /** Opens {@code library}; later calls with the same path do nothing, another path is refused. */
    public static synchronized void load(Path library) {
        Objects.requireNonNull(library, "library");
        Path real = library.toAbsolutePath().normalize();
        if (loaded != null) {
            if (!loaded.equals(real)) {
                throw new IllegalStateException("libpython " + loaded + " is already loaded in this JVM; cannot switch to " + real);
            }
            return;
        }
        if (!Files.isRegularFile(real)) {
            throw new IllegalArgumentException("libpython not found: " + real);
        }
        dlopenGlobal(real);
        lookup = SymbolLookup.libraryLookup(real, Arena.global());
        loaded = real;
    }

    /** The lookup of the loaded library. */
    static SymbolLookup lookup() {
        SymbolLookup l = lookup;
        if (l == null) {
            throw new IllegalStateException("libpython is not loaded");
        }
        return l;
    }

    /** The loaded library, or null. */
    public static Path loaded() {
        return loaded;
    }

    private static void dlopenGlobal(Path library) {
        Linker linker = Linker.nativeLinker();
        MethodHandle dlopen = linker.downcallHandle(
                linker.defaultLookup().find("dlopen").orElseThrow(() -> new IllegalStateException("libc has no dlopen")),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle dlerror = linker.downcallHandle(
                linker.defaultLookup().find("dlerror").orElseThrow(() -> new IllegalStateException("libc has no dlerror")),
                FunctionDescriptor.of(ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(library.toString()), RTLD_NOW | RTLD_GLOBAL);
            if (handle.address() == 0) {
                MemorySegment err = (MemorySegment) dlerror.invokeExact();
                String why = err.address() == 0 ? "unknown error" : err.reinterpret(4096).getString(0);
                throw new IllegalStateException("dlopen(" + library + ") failed: " + why);
            }
            // The handle is deliberately never closed: CPython is never finalized in this JVM.
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("dlopen(" + library + ") failed", t);
        }
    }
}
