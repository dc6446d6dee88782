package io.pyhost.packages.numpy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.pyhost.python.cache.NativeLibraries;
import io.pyhost.python.cache.UnpackCache;

/** The real nested jars (target/classes/natives), unpacked into a temporary cache root. */
public class NumpyTreeTest {
    @ClassRule
    public static final TemporaryFolder TEMP = TemporaryFolder.builder().assureDeletion().build();

    @Test
    public void unpacksNumpyWithPyhostsDistributorInitAndOpenBlasOnceAndReusesThem() throws Exception {
        Path root = TEMP.newFolder("once").toPath();
        NumpyTree first = NumpyTree.installEmbedded(root, NumpyPackage.VERSION);
        assertTrue(first.unpackedNow());
        assertTrue(first.directory().getFileName().toString().startsWith("numpy-" + NumpyPackage.VERSION + "-"));
        Path numpy = first.pythonDir().resolve("numpy");
        assertTrue(Files.isRegularFile(numpy.resolve("__init__.py")));
        assertTrue("the capability's version is the unpacked numpy's",
                Files.isDirectory(first.pythonDir().resolve("numpy-" + NumpyPackage.VERSION + ".dist-info")));
        assertTrue("numpy's distributor init is replaced by pyhost's",
                Files.readString(numpy.resolve("_distributor_init.py")).contains("numpy needs a worker context"));
        for (Path library : first.libraries()) {
            assertTrue(library + " is unpacked", Files.isRegularFile(library));
            assertTrue(library + " is executable", Files.isExecutable(library));
        }
        assertFalse("JavaCPP's JNI glue is not needed", Files.exists(first.directory().resolve("lib/libjniopenblas.so")));

        NumpyTree second = NumpyTree.installEmbedded(root, NumpyPackage.VERSION);
        assertFalse(second.unpackedNow());
        assertEquals(first.directory(), second.directory());
    }

    @Test
    public void aTreeWhoseDistributorInitIsNumpysOwnIsUnpackedAgain() throws Exception {
        Path root = TEMP.newFolder("shim").toPath();
        NumpyTree tree = NumpyTree.installEmbedded(root, NumpyPackage.VERSION);
        Files.writeString(tree.pythonDir().resolve("numpy/_distributor_init.py"), "# numpy's own\n");
        NumpyTree again = NumpyTree.installEmbedded(root, NumpyPackage.VERSION);
        assertTrue(again.unpackedNow());
        assertTrue(Files.readString(again.pythonDir().resolve("numpy/_distributor_init.py")).contains("io.pyhost.package.numpy"));
        assertTrue(Files.isRegularFile(again.directory().resolve(UnpackCache.MARKER_FILE)));
    }

    @Test
    public void theLibrariesLoadInTheirOrderAndOfferOpenBlasGlobally() throws Throwable {
        NumpyTree tree = NumpyTree.installEmbedded(TEMP.newFolder("load").toPath(), NumpyPackage.VERSION);
        NativeLibraries.loadGlobally(tree.libraries());
        Linker linker = Linker.nativeLinker();
        MethodHandle dlsym = linker.downcallHandle(linker.defaultLookup().find("dlsym").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ddot = (MemorySegment) dlsym.invokeExact(MemorySegment.NULL, arena.allocateFrom("cblas_ddot"));
            assertNotEquals("cblas_ddot is in the global namespace", 0L, ddot.address());
        }
    }
}
