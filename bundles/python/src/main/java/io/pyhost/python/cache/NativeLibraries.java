package io.pyhost.python.cache;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads shared libraries into the process's global symbol namespace,
 * {@code dlopen(path, RTLD_NOW | RTLD_GLOBAL)} through the FFM API, so that extension modules
 * loaded later by CPython find them by their soname without {@code LD_LIBRARY_PATH} (numpy's
 * {@code _multiarray_umath} needs {@code libopenblas.so.0}). {@link System#load} is not enough:
 * it loads with {@code RTLD_LOCAL}.
 *
 * <p>Thread-safe; a library stays loaded for the life of the process (the handles are never
 * closed), and loading one again costs a {@code dlopen} that only counts a reference. Needs native
 * access for the caller's module ({@code --enable-native-access=ALL-UNNAMED} for bundle code).
 */
public final class NativeLibraries {
    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;

    /**
     * The directories of the libraries loaded so far, in load order. Once per class loader, not once
     * per process: a refreshed {@code io.pyhost.python} starts empty, and so do the bundles wired to
     * it (a package bundle is refreshed with it and loads its libraries again).
     */
    private static final java.util.Set<Path> DIRECTORIES = new java.util.LinkedHashSet<>();

    private NativeLibraries() {
    }

    /**
     * The directories of every library {@link #loadGlobally} loaded in this JVM, in load order: what a
     * child process running the same Python needs on its {@code LD_LIBRARY_PATH} to find them by
     * soname, as this process finds them already loaded (the {@code process} mode's children).
     */
    public static List<Path> loadedDirectories() {
        synchronized (DIRECTORIES) {
            return List.copyOf(DIRECTORIES);
        }
    }

    /**
     * Loads {@code libraries} globally, in the given order: list each library after the ones it
     * needs, so that every dependency is found among those already loaded.
     *
     * @throws IllegalStateException a library could not be loaded ({@code dlerror()}'s text)
     */
    public static void loadGlobally(List<Path> libraries) {
        Linker linker = Linker.nativeLinker();
        MethodHandle dlopen = linker.downcallHandle(
                linker.defaultLookup().find("dlopen").orElseThrow(() -> new IllegalStateException("libc has no dlopen")),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle dlerror = linker.downcallHandle(
                linker.defaultLookup().find("dlerror").orElseThrow(() -> new IllegalStateException("libc has no dlerror")),
                FunctionDescriptor.of(ValueLayout.ADDRESS));
        for (Path library : libraries) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(library.toString()), RTLD_NOW | RTLD_GLOBAL);
                if (handle.address() == 0) {
                    MemorySegment error = (MemorySegment) dlerror.invokeExact();
                    String why = error.address() == 0 ? "unknown error" : error.reinterpret(4096).getString(0);
                    throw new IllegalStateException("dlopen(" + library + ") failed: " + why);
                }
                if (library.getParent() != null) {
                    synchronized (DIRECTORIES) {
                        DIRECTORIES.add(library.toAbsolutePath().getParent());
                    }
                }
            } catch (RuntimeException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("dlopen(" + library + ") failed", t);
            }
        }
    }
}
