package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.pyhost.api.Fragment;
import io.pyhost.api.PyContext;

/**
 * What the plugin tests share on top of {@link PyhostTestSupport}: plugin bundles built in
 * memory with a manifest the test writes (plain {@code java.util.jar}), the example bundles from
 * {@code target/bundles}, both uninstalled after each test; the preload extender waited for
 * before each test; a capture of core's log lines.
 */
public abstract class PluginTestSupport extends PyhostTestSupport {

    /** The requirement of a plugin bundle on the extender, as DESIGN.md writes it. */
    static final String EXTENDER_REQUIREMENT = "osgi.extender;filter:=\"(osgi.extender=io.pyhost.preload)\"";

    /** core's extender component (its default component name is its class name); also its logger's name. */
    static final String EXTENDER = "io.pyhost.core.PreloadExtender";

    static final String CORE_BSN = "io.pyhost.core";

    private static final AtomicInteger LOCATIONS = new AtomicInteger();

    private final List<Bundle> installed = new ArrayList<>();
    private final List<LogCapture> captures = new ArrayList<>();

    /**
     * The extender has no service to wait for: wait until SCR reports its component active, so a
     * plugin started by the test is seen while it starts, not picked up later by chance.
     */
    @Before
    public final void awaitExtender() {
        ServiceComponentRuntime scr = service(ServiceComponentRuntime.class);
        Bundle core = Stream.of(bundleContext.getBundles()).filter(b -> CORE_BSN.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + CORE_BSN + " bundle; bundles: " + bundleStates()));
        awaitCondition(() -> "component " + EXTENDER + " of " + CORE_BSN + " to be active", () -> {
            ComponentDescriptionDTO description = scr.getComponentDescriptionDTO(core, EXTENDER);
            return description != null && scr.getComponentConfigurationDTOs(description).stream()
                    .anyMatch(c -> c.state == ComponentConfigurationDTO.ACTIVE);
        });
    }

    @After
    public final void uninstallPlugins() {
        captures.forEach(LogCapture::close);
        captures.clear();
        uninstallInstalled();
    }

    /** Uninstalls every bundle this test installed and has not uninstalled yet, newest first. */
    protected final void uninstallInstalled() {
        List<Throwable> failures = new ArrayList<>();
        for (Bundle b : installed.reversed()) {
            if (b.getState() != Bundle.UNINSTALLED) {
                try {
                    b.uninstall();
                } catch (BundleException | RuntimeException e) {
                    failures.add(e);
                }
            }
        }
        installed.clear();
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("could not uninstall every plugin bundle: " + failures);
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    /**
     * {@link #forEachMode}, uninstalling after each mode the bundles its run installed, passed or
     * failed, so that the next mode can install them again.
     */
    protected final void forEachPluginMode(ModeTest test) {
        forEachMode(mode -> {
            try {
                test.run(mode);
            } finally {
                uninstallInstalled();
            }
        });
    }

    // ------------------------------------------------------------------ plugin bundles

    /** A plugin bundle to build: its manifest headers and entries. Entries are UTF-8 unless given as bytes. */
    protected static final class PluginJar {
        final String symbolicName;
        final String version;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private final Map<String, byte[]> entries = new TreeMap<>();
        private boolean directoryEntries = true;

        private PluginJar(String symbolicName, String version) {
            this.symbolicName = symbolicName;
            this.version = version;
            headers.put("Require-Capability", EXTENDER_REQUIREMENT);
        }

        /** A manifest header; a null value removes it (say, the default Require-Capability). */
        PluginJar header(String name, String value) {
            if (value == null) {
                headers.remove(name);
            } else {
                headers.put(name, value);
            }
            return this;
        }

        PluginJar preload(String value) {
            return header("Python-Preload", value);
        }

        PluginJar path(String value) {
            return header("Python-Path", value);
        }

        PluginJar imports(String value) {
            return header("Python-Import", value);
        }

        PluginJar entry(String path, String text) {
            return entry(path, text.getBytes(StandardCharsets.UTF_8));
        }

        PluginJar entry(String path, byte[] bytes) {
            entries.put(path, bytes.clone());
            return this;
        }

        /**
         * Writes only file entries, no {@code dir/} entries (as {@code zip -D} or a hand-rolled
         * writer would); by default every parent directory gets its own entry, as {@code jar} and
         * bnd write them.
         */
        PluginJar withoutDirectoryEntries() {
            directoryEntries = false;
            return this;
        }

        byte[] bytes() {
            Manifest manifest = new Manifest();
            Attributes main = manifest.getMainAttributes();
            main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
            main.putValue("Bundle-ManifestVersion", "2");
            main.putValue("Bundle-SymbolicName", symbolicName);
            main.putValue("Bundle-Version", version);
            headers.forEach(main::putValue);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JarOutputStream jar = new JarOutputStream(out, manifest)) {
                Set<String> written = new LinkedHashSet<>();
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    if (directoryEntries) {
                        for (int slash = e.getKey().indexOf('/'); slash > 0; slash = e.getKey().indexOf('/', slash + 1)) {
                            String dir = e.getKey().substring(0, slash + 1);
                            if (written.add(dir)) {
                                jar.putNextEntry(new JarEntry(dir));
                                jar.closeEntry();
                            }
                        }
                    }
                    jar.putNextEntry(new JarEntry(e.getKey()));
                    jar.write(e.getValue());
                    jar.closeEntry();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }
    }

    /** A plugin bundle to build, requiring the extender as DESIGN.md shows. */
    protected static PluginJar plugin(String symbolicName, String version) {
        return new PluginJar(symbolicName, version);
    }

    /** Installs {@code jar} (not started); uninstalled after the test. */
    protected final Bundle install(PluginJar jar) throws BundleException {
        String location = "pyhost-it:" + jar.symbolicName + "/" + jar.version + "#" + LOCATIONS.incrementAndGet();
        return track(bundleContext.installBundle(location, new ByteArrayInputStream(jar.bytes())));
    }

    /** Installs and starts {@code jar}; uninstalled after the test. */
    protected final Bundle start(PluginJar jar) throws BundleException {
        Bundle bundle = install(jar);
        bundle.start();
        assertEquals(jar.symbolicName + " is active", Bundle.ACTIVE, bundle.getState());
        return bundle;
    }

    /** Installs an example plugin bundle from {@code target/bundles} (not started); uninstalled after the test. */
    protected final Bundle installExample(String artifactId) throws BundleException {
        Path jar = Paths.get(System.getProperty("pyhost.itest.bundles", "target/bundles")).resolve(artifactId + ".jar");
        assertTrue(jar + " is missing: " + artifactId + " must be a runtime dependency of itests/pom.xml", Files.isRegularFile(jar));
        return track(bundleContext.installBundle(jar.toUri().toString()));
    }

    private Bundle track(Bundle bundle) {
        installed.add(bundle);
        return bundle;
    }

    /** The origin of a bundle entry's fragment: {@code BSN/version!entry/path}. */
    protected static String origin(Bundle bundle, String entry) {
        return bundle.getSymbolicName() + "/" + bundle.getVersion() + "!" + entry;
    }

    /** The origins of {@code PreloadService.fragments()}, in order. */
    protected final List<String> origins() {
        return preload.fragments().stream().map(Fragment::origin).toList();
    }

    /** Python code that appends {@code label} to the list {@code RUN} of the preload namespace. */
    protected static String appendRun(String label) {
        return "globals().setdefault('RUN', []).append(" + pyString(label) + ")\n";
    }

    /** The {@code RUN} list of a context, empty if no fragment made one. */
    protected static Object run(PyContext ctx) {
        return ctx.eval("globals().get('RUN', [])");
    }

    /**
     * Worker contexts share the main interpreter's {@code sys.modules}: forget {@code packages} there, so
     * that a later import finds them anew (in a later test, a reinstalled plugin extracts them elsewhere).
     */
    protected final void forgetWorkerModules(String... packages) {
        try (PyContext ctx = factory.create(io.pyhost.api.ContextFactory.WORKER)) {
            for (String name : packages) {
                ctx.exec("import sys\nfor _n in [n for n in sys.modules if n == " + pyString(name) + " or n.startswith("
                        + pyString(name + ".") + ")]:\n    del sys.modules[_n]\n");
            }
        }
    }

    // ------------------------------------------------------------------ log lines

    /** Collects what a java.util.logging logger (System.Logger's default backend) logs; detached after the test. */
    protected final LogCapture captureLog(String loggerName) {
        LogCapture capture = new LogCapture(Logger.getLogger(loggerName));
        captures.add(capture);
        return capture;
    }

    protected static final class LogCapture extends Handler implements AutoCloseable {
        private final Logger logger; // held: java.util.logging keeps loggers weakly
        private final List<LogRecord> records = new CopyOnWriteArrayList<>();
        private final SimpleFormatter formatter = new SimpleFormatter();

        LogCapture(Logger logger) {
            this.logger = logger;
            setLevel(Level.ALL);
            logger.addHandler(this);
        }

        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        /** The formatted messages logged at {@code level} or above. */
        List<String> messages(Level level) {
            return records.stream().filter(r -> r.getLevel().intValue() >= level.intValue()).map(formatter::formatMessage).toList();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}
