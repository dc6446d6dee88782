package io.pyhost.itests.karaf;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * One Apache Karaf (apache-karaf-minimal, unpacked by the build) run as an external process on
 * the JDK that runs the test, configured before its start: loopback only, offline (its own
 * system/ plus the test repository the build fills), pyhost features at boot, and the probe
 * bundle reporting to {@link #report()}. {@link #close()} leaves no Karaf JVM behind, whatever
 * happened; a JVM shutdown hook does the same when the test JVM itself is killed.
 */
final class KarafInstance implements AutoCloseable {
    /** The flags the README gives for Karaf; non-empty JAVA_OPTS also keeps bin/karaf from asking for a Security Manager. */
    static final String JAVA_OPTS = "--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow";
    /** Proves that the flag, not a default, allows FFM from bundle code. */
    static final String EXTRA_JAVA_OPTS = "--illegal-native-access=deny";

    private static final String PROBE_PID = "io.pyhost.itests.karaf.probe";
    /** A test feature with Karaf's SCR as a mandatory bundle, as Karaf's scr feature has it. */
    static final String OTHER_SCR = "other-scr";

    private final Path base;
    private final Path reportFile;
    private final int sshPort;
    private final Map<String, String> probeConfig = new LinkedHashMap<>();
    private final List<String> bootFeatures = new ArrayList<>();
    private boolean offline;
    private Process process;
    private Thread killer;

    private KarafInstance(Path base) throws IOException {
        this.base = base;
        this.reportFile = base.resolve("pyhost-probe.properties");
        this.sshPort = freeLoopbackPort();
        probeConfig.put("resultFile", reportFile.toString());
    }

    /** A fresh copy of the unpacked distribution in {@code pyhost.karaf.work/name}. */
    static KarafInstance create(String name) throws IOException {
        Path base = Path.of(property("pyhost.karaf.work")).resolve(name);
        deleteTree(base);
        copyTree(Path.of(property("pyhost.karaf.dist")), base);
        return new KarafInstance(base);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name + " is not set: run this test through Maven (mvn verify)");
        }
        return value;
    }

    /** Features installed at boot, after Karaf's own. */
    KarafInstance bootFeatures(String... features) {
        bootFeatures.addAll(Arrays.asList(features));
        return this;
    }

    /**
     * A Karaf that knows nothing of pyhost and reads no Maven repository but its own system/: no
     * pyhost features repository, not even the test repository. What pyhost needs must arrive
     * through deploy/ (a KAR); the probe bundle is dropped there too, beside it. Karaf's own
     * {@code kar} and {@code deployer} features (KarService and the KAR deployer of deploy/) are
     * added to the boot features, their bundles to system/.
     */
    KarafInstance offline() {
        this.offline = true;
        return this;
    }

    /** One more key of the probe's configuration (pid {@value #PROBE_PID}). */
    KarafInstance probe(String key, String value) {
        probeConfig.put(key, value);
        return this;
    }

    Path base() {
        return base;
    }

    Path deploy() {
        return base.resolve("deploy");
    }

    int sshPort() {
        return sshPort;
    }

    /** Writes the configuration and starts {@code bin/karaf daemon} (which execs the JVM: this process is Karaf). */
    void start() throws IOException {
        Path repo = Path.of(property("pyhost.karaf.repo")).toAbsolutePath();
        String version = property("pyhost.karaf.version");
        Path etc = base.resolve("etc");
        if (offline) {
            if (!bootFeatures.isEmpty()) {
                throw new IllegalStateException("an offline Karaf boots no features of the test: " + bootFeatures);
            }
            copyTree(Path.of(property("pyhost.karaf.kar.deployer")), base.resolve("system"));
            editConfig(etc.resolve("org.apache.karaf.features.cfg"),
                    cfg -> cfg.put("featuresBoot", cfg.getProperty("featuresBoot").strip() + ", kar, deployer"));
            editConfig(etc.resolve("org.ops4j.pax.url.mvn.cfg"), cfg -> {
                cfg.put("org.ops4j.pax.url.mvn.repositories", "");
                cfg.put("org.ops4j.pax.url.mvn.localRepository", base.resolve("m2-empty").toString());
            });
            deploy(Path.of(property("pyhost.karaf.probe")), "pyhost-karaf-probe.jar");
        } else {
            configureFeatures(etc, repo, version);
        }
        configureAndLaunch(etc);
    }

    private void configureFeatures(Path etc, Path repo, String version) throws IOException {
        Path probeFeatures = writeProbeFeatures();
        editConfig(etc.resolve("org.apache.karaf.features.cfg"), cfg -> {
            cfg.put("featuresRepositories", cfg.getProperty("featuresRepositories").strip()
                    + ", mvn:io.pyhost/pyhost-features/" + version + "/xml/features"
                    + ", " + probeFeatures.toUri());
            List<String> boot = new ArrayList<>(List.of(cfg.getProperty("featuresBoot").strip()));
            boot.addAll(bootFeatures);
            boot.add("pyhost-karaf-probe");
            cfg.put("featuresBoot", String.join(", ", boot));
        });
        // offline: Karaf's system/ and the test repository; no remote repository, and an empty local one instead of ~/.m2
        editConfig(etc.resolve("org.ops4j.pax.url.mvn.cfg"), cfg -> {
            cfg.put("org.ops4j.pax.url.mvn.defaultRepositories", cfg.getProperty("org.ops4j.pax.url.mvn.defaultRepositories").strip()
                    + ", " + repo.toUri() + "@id=pyhost.test@snapshots");
            cfg.put("org.ops4j.pax.url.mvn.repositories", "");
            cfg.put("org.ops4j.pax.url.mvn.localRepository", base.resolve("m2-empty").toString());
        });
    }

    private void configureAndLaunch(Path etc) throws IOException {
        // loopback only: ssh here; JMX/RMI only matter if the management feature is added (minimal does not boot it)
        editConfig(etc.resolve("org.apache.karaf.shell.cfg"), cfg -> {
            cfg.put("sshHost", "127.0.0.1");
            cfg.put("sshPort", Integer.toString(sshPort));
        });
        editConfig(etc.resolve("org.apache.karaf.management.cfg"), cfg -> {
            cfg.put("rmiRegistryHost", "127.0.0.1");
            cfg.put("rmiServerHost", "127.0.0.1");
        });
        editConfig(etc.resolve(PROBE_PID + ".cfg"), cfg -> cfg.putAll(probeConfig));

        ProcessBuilder builder = new ProcessBuilder("/bin/sh", base.resolve("bin/karaf").toString(), "daemon")
                .directory(base.toFile())
                .redirectErrorStream(true)
                .redirectOutput(base.resolve("console.out").toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("KARAF_") || k.equals("EXTRA_JAVA_OPTS") || k.startsWith("JAVA_"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("JAVA_OPTS", JAVA_OPTS);
        env.put("EXTRA_JAVA_OPTS", EXTRA_JAVA_OPTS);
        process = builder.start();
        killer = new Thread(this::kill, "kill Karaf " + base.getFileName());
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /**
     * The test's features repository: the probe bundle (this module's jar) by file: URL, and
     * {@value #OTHER_SCR}, a mandatory Felix SCR as Karaf's own scr feature installs it.
     */
    private Path writeProbeFeatures() throws IOException {
        Path probe = Path.of(property("pyhost.karaf.probe")).toAbsolutePath();
        Path features = base.resolve("pyhost-karaf-probe-features.xml");
        Files.writeString(features, """
                <?xml version="1.0" encoding="UTF-8"?>
                <features xmlns="http://karaf.apache.org/xmlns/features/v1.6.0" name="pyhost-karaf-probe">
                    <feature name="pyhost-karaf-probe" version="1.0.0">
                        <feature>pyhost</feature>
                        <bundle>%s</bundle>
                    </feature>
                    <feature name="%s" version="1.0.0">
                        <bundle>mvn:org.apache.felix/org.apache.felix.scr/%s</bundle>
                    </feature>
                </features>
                """.formatted(probe.toUri(), OTHER_SCR, property("pyhost.karaf.scr.version")));
        return features;
    }

    /** The probe's latest report, or null before the first. */
    Properties report() throws IOException {
        Properties report = new Properties();
        try (Reader in = Files.newBufferedReader(reportFile, StandardCharsets.ISO_8859_1)) {
            report.load(in);
            return report;
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
    }

    /** Waits for a report that satisfies {@code condition}; fails with the last report and Karaf's log when none does in time or Karaf ends. */
    Properties awaitReport(String what, Predicate<Properties> condition, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Properties last = null;
        while (System.nanoTime() < deadline) {
            last = report();
            if (last != null && condition.test(last)) {
                return last;
            }
            if (!process.isAlive()) {
                throw new AssertionError("Karaf ended (exit " + process.exitValue() + ") while waiting for: " + what + "\n" + diagnostics(last));
            }
            if (bootFailed()) {
                throw new AssertionError("Karaf could not install the boot features, waiting for: " + what + "\n" + diagnostics(last));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no probe report in " + timeout.toSeconds() + " s with: " + what + "\n" + diagnostics(last));
    }

    /** Karaf logs this (and carries on without any boot feature) when one boot feature or repository fails. */
    private boolean bootFailed() throws IOException {
        Path log = base.resolve("data/log/karaf.log");
        if (!Files.exists(log)) {
            return false;
        }
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.anyMatch(l -> l.contains("BootFeaturesInstaller") && l.contains("ERROR"));
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** The PID Karaf wrote to {@code karaf.pid}. */
    long pidFromFile() throws IOException {
        return Long.parseLong(Files.readString(base.resolve("karaf.pid")).strip());
    }

    long processPid() {
        return process.pid();
    }

    /** The Karaf JVM's command line, from /proc. */
    List<String> commandLine() throws IOException {
        return Arrays.asList(new String(Files.readAllBytes(Path.of("/proc/" + process.pid() + "/cmdline")), StandardCharsets.UTF_8).split("\0"));
    }

    /** The local addresses of every TCP socket Karaf listens on and every UDP socket it has, from /proc. */
    List<InetSocketAddress> listeningAddresses() throws IOException {
        long pid = process.pid();
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[")) {
                        inodes.add(link.substring(8, link.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // the fd was closed between list and read
                }
            }
        }
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6", "udp", "udp6")) {
            Path file = Path.of("/proc/" + pid + "/net/" + table);
            if (!Files.exists(file)) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.strip().split("\\s+");
                boolean tcpListen = table.startsWith("tcp") && f[3].equals("0A");
                if ((tcpListen || table.startsWith("udp")) && inodes.contains(f[9])) {
                    addresses.add(decode(f[1]));
                }
            }
        }
        return addresses;
    }

    /** {@code 0100007F:1F90} or the 32-digit IPv6 form, as /proc/net/tcp writes them (32-bit words in host order). */
    private static InetSocketAddress decode(String hexAddress) throws UnknownHostException {
        String[] parts = hexAddress.split(":");
        byte[] bytes = new byte[parts[0].length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = word * 8 + (3 - i) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(parts[0].substring(at, at + 2), 16);
            }
        }
        return new InetSocketAddress(InetAddress.getByAddress(bytes), Integer.parseInt(parts[1], 16));
    }

    /** Stops Karaf the way an operator would without a shell: SIGTERM to the PID in karaf.pid; SIGKILL after 30 s. Returns how it ended. */
    String stopByPid() throws IOException, InterruptedException {
        long pid = pidFromFile();
        ProcessHandle karaf = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid + " (karaf.pid)"));
        karaf.destroy();
        if (process.waitFor(30, TimeUnit.SECONDS)) {
            return "exit " + process.exitValue() + " after SIGTERM to " + pid;
        }
        karaf.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        return "killed " + pid + " after 30 s";
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Kills Karaf and anything it started, if still running. */
    @Override
    public void close() {
        kill();
        if (killer != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private void kill() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // reported by the test's own check that the process is gone
            }
        }
    }

    /** The last report, the console output and Karaf's log: errors and warnings, then its last lines. */
    String diagnostics(Properties last) {
        StringBuilder text = new StringBuilder("last probe report: ").append(last == null ? "none" : new java.util.TreeMap<>(last)).append('\n');
        text.append("--- ").append(base.resolve("console.out")).append('\n').append(tail(base.resolve("console.out"), 40, l -> true));
        Path log = base.resolve("data/log/karaf.log");
        text.append("--- ").append(log).append(" (ERROR/WARN)\n").append(tail(log, 60, l -> l.contains("ERROR") || l.contains("WARN")));
        text.append("--- ").append(log).append(" (last lines)\n").append(tail(log, 30, l -> true));
        return text.toString();
    }

    private static String tail(Path file, int lines, Predicate<String> filter) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(filter).toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(" + e + ")\n";
        }
    }

    /** A copy of a bundle jar with another Bundle-Version, so that replacing the first by it in deploy/ updates the bundle. */
    static Path withBundleVersion(Path jar, String version, Path target) throws IOException {
        try (JarFile in = new JarFile(jar.toFile())) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            Files.createDirectories(target.getParent());
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(target), manifest)) {
                for (JarEntry entry : (Iterable<JarEntry>) in.stream()::iterator) {
                    if (entry.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME) || entry.getName().equalsIgnoreCase("META-INF/")) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(entry.getName()));
                    try (InputStream data = in.getInputStream(entry)) {
                        data.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
        }
        return target;
    }

    static String bundleVersion(Path jar) throws IOException {
        try (JarFile in = new JarFile(jar.toFile())) {
            return in.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
    }

    /** Puts {@code jar} into deploy/ as {@code fileName} in one rename, so FileInstall never reads half a jar. */
    Path deploy(Path jar, String fileName) throws IOException {
        Path staging = base.resolve("staging");
        Files.createDirectories(staging);
        Path staged = Files.copy(jar, staging.resolve(fileName), StandardCopyOption.REPLACE_EXISTING);
        return Files.move(staged, deploy().resolve(fileName), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private interface ConfigEdit {
        void apply(Properties cfg) throws IOException;
    }

    /** Loads a Karaf .cfg (Java properties syntax), applies the edit and writes it back without comments. */
    private static void editConfig(Path file, ConfigEdit edit) throws IOException {
        Properties cfg = new Properties();
        if (Files.exists(file)) {
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
                cfg.load(in);
            }
        }
        edit.apply(cfg);
        StringBuilder text = new StringBuilder("# written by the pyhost Karaf test\n");
        for (String key : new TreeSet<>(cfg.stringPropertyNames())) {
            String value = cfg.getProperty(key).replace("\\", "\\\\").replace("\n", "\\n");
            text.append(key).append(" = ").append(value).append('\n');
        }
        Files.writeString(file, text, StandardCharsets.ISO_8859_1);
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
