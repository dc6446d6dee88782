package io.pyhost.launcher;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * Starts the pyhost standalone runtime: a Felix framework with the bundles of
 * {@code <runtime>/bundles/<start level>/}, configured by {@code <conf>/launcher.properties}.
 *
 * <pre>
 * Launcher [--conf DIR]                                  interactive: a line where Python answers, then the Gogo shell
 * Launcher [--conf DIR] -c LINE [--var NAME=VALUE]...    run one Gogo command line, print its value, stop
 * </pre>
 *
 * <p>The non-interactive form exits with {@value #OK} when the command succeeded,
 * {@value #PYTHON_RAISED} when Python raised (the {@code py:} commands print the traceback),
 * {@value #COMMAND_FAILED} when the command itself failed (unknown command, absent mode,
 * missing file), {@value #NOT_READY} when the runtime did not come up, {@value #USAGE} for bad
 * arguments. {@code --var} values reach the command line as Gogo variables ({@code $NAME}),
 * never parsed by Gogo: Python code passes through untouched.
 *
 * <p>Framework storage is {@code <runtime>/work/<pid>}: removed when the launcher ends, and
 * leftovers of launchers that are gone are removed at start, so every start is clean and two
 * launchers never share a cache.
 */
public final class Launcher {
    static final int OK = 0;
    static final int PYTHON_RAISED = 1;
    static final int COMMAND_FAILED = 2;
    static final int NOT_READY = 3;
    static final int USAGE = 64;

    /** Session variable the {@code py:} commands leave a Python exception in (see io.pyhost.shell.PythonCommands). */
    private static final String PYTHON_EXCEPTION = "pyexception";
    private static final String PY_COMMANDS = "(osgi.command.scope=py)";

    private final PrintStream out = System.out; // before Gogo replaces System.out with its per-session stream
    private final PrintStream err = System.err;

    public static void main(String[] args) {
        int status;
        try {
            status = new Launcher().run(args);
        } catch (UsageException e) {
            System.err.println("pyhost: " + e.getMessage());
            System.err.println("usage: Launcher [--conf DIR] [-c COMMAND_LINE [--var NAME=VALUE]...]");
            status = USAGE;
        } catch (Exception e) {
            System.err.println("pyhost: the runtime failed to start: " + e);
            e.printStackTrace();
            status = NOT_READY;
        }
        System.exit(status);
    }

    private static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    int run(String[] args) throws Exception {
        Path conf = null;
        String command = null;
        Map<String, String> vars = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--conf" -> conf = Path.of(value(args, ++i, arg));
                case "-c", "--command" -> command = value(args, ++i, arg);
                case "--var" -> {
                    String pair = value(args, ++i, arg);
                    int eq = pair.indexOf('=');
                    if (eq <= 0) {
                        throw new UsageException("--var needs NAME=VALUE, got '" + pair + "'");
                    }
                    vars.put(pair.substring(0, eq), pair.substring(eq + 1));
                }
                default -> throw new UsageException("unknown argument '" + arg + "'");
            }
        }

        Path runtime = runtimeDirectory();
        conf = (conf == null ? runtime.resolve("conf") : conf).toAbsolutePath().normalize();
        Path work = runtime.resolve("work");
        removeStaleStorage(work);
        Path storage = work.resolve(Long.toString(ProcessHandle.current().pid()));

        Map<String, String> defined = new HashMap<>();
        defined.put("pyhost.runtime", runtime.toString());
        defined.put("pyhost.conf", conf.toString());
        defined.put("pyhost.storage", storage.toString());
        Map<String, String> properties = LauncherProperties.load(conf.resolve("launcher.properties"), defined);
        configureLogging(properties.getOrDefault("pyhost.log.level", "WARNING"));
        if (properties.containsKey("pyhost.deploy")) {
            Files.createDirectories(Path.of(properties.get("pyhost.deploy")));
        }

        TreeMap<Integer, List<Path>> levels = bundlesByLevel(runtime.resolve("bundles"));
        if (levels.isEmpty()) {
            throw new IllegalStateException("no bundles under " + runtime.resolve("bundles") + ": build first (./pyhost build)");
        }
        int topLevel = levels.lastKey();
        properties.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(topLevel));

        Framework framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"))
                .newFramework(properties);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(framework, storage), "pyhost shutdown"));
        framework.init();
        BundleContext context = framework.getBundleContext();
        for (Map.Entry<Integer, List<Path>> level : levels.entrySet()) {
            for (Path jar : level.getValue()) {
                install(context, jar, level.getKey(), true);
            }
        }
        List<Bundle> console = new ArrayList<>();
        if (command == null) {
            for (Path jar : jars(runtime.resolve("console"))) {
                console.add(install(context, jar, topLevel, false));
            }
        }
        framework.start();

        long waitSeconds = Long.parseLong(properties.getOrDefault("pyhost.startup.timeout.seconds", "120"));
        ServiceReference<?> processor = awaitCommands(context, Duration.ofSeconds(waitSeconds));
        if (processor == null) {
            err.println("pyhost: the py: commands did not appear within " + waitSeconds + " s; bundles not active:");
            for (Bundle b : context.getBundles()) {
                if (b.getState() != Bundle.ACTIVE && b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    err.println("  " + b.getBundleId() + " " + b.getSymbolicName() + " " + b.getVersion() + " " + state(b));
                }
            }
            return NOT_READY;
        }

        if (command != null) {
            int status = runCommand(context, processor, command, vars);
            stop(framework, storage);
            return status;
        }
        banner(context, processor, properties);
        for (Bundle b : console) {
            b.start();
        }
        FrameworkEvent stopped = framework.waitForStop(0);
        deleteTree(storage);
        return stopped.getType() == FrameworkEvent.ERROR ? COMMAND_FAILED : OK;
    }

    private int runCommand(BundleContext context, ServiceReference<?> processor, String line, Map<String, String> vars) throws Exception {
        try (GogoSession session = new GogoSession(context, processor, InputStream.nullInputStream(), out, err)) {
            for (Map.Entry<String, String> var : vars.entrySet()) {
                session.put(var.getKey(), var.getValue());
            }
            Object result;
            try {
                result = session.execute(line);
            } catch (Exception e) {
                err.println("pyhost: " + describe(e));
                return COMMAND_FAILED;
            }
            if (session.get(PYTHON_EXCEPTION) != null) {
                return PYTHON_RAISED;
            }
            if (result != null) {
                out.println(result instanceof CharSequence text ? text : session.format(result));
            }
            out.flush();
            return OK;
        }
    }

    /** Asks Python for the line configured as {@code pyhost.banner}, and says how long after launch it answered. */
    private void banner(BundleContext context, ServiceReference<?> processor, Map<String, String> properties) throws Exception {
        String expression = properties.get("pyhost.banner");
        if (expression == null || expression.isBlank()) {
            return;
        }
        try (GogoSession session = new GogoSession(context, processor, InputStream.nullInputStream(), out, err)) {
            session.put("banner", expression);
            Object answer = null;
            try {
                answer = session.execute("py:eval $banner");
                session.execute("py:reset");
            } catch (Exception e) {
                err.println("pyhost: " + describe(e));
            }
            Instant launched = launchInstant();
            String after = launched == null ? "" : String.format(" (%.1f s after launch)",
                    Duration.between(launched, Instant.now()).toMillis() / 1000.0);
            if (answer != null) {
                out.println(answer + after);
            } else {
                out.println("pyhost: Python did not answer" + after + "; the shell starts anyway (lb, scr:list)");
            }
            out.println("Gogo shell: py:eval '2 ** 100', py:exec 'CODE', py:modes, py:preload, help py. Ctrl-D or 'stop 0' ends.");
            out.flush();
        }
    }

    /** -Dpyhost.launched (epoch milliseconds, set by ./pyhost when it starts java), else the process's start. */
    private static Instant launchInstant() {
        String launched = System.getProperty("pyhost.launched");
        if (launched != null && launched.matches("[0-9]+")) {
            return Instant.ofEpochMilli(Long.parseLong(launched));
        }
        return ProcessHandle.current().info().startInstant().orElse(null);
    }

    /** Waits for the Gogo CommandProcessor and the py: commands; returns the processor, or null on timeout. */
    private static ServiceReference<?> awaitCommands(BundleContext context, Duration timeout) throws InvalidSyntaxException {
        Object signal = new Object();
        String filter = "(|(" + Constants.OBJECTCLASS + "=" + GogoSession.PROCESSOR + ")" + PY_COMMANDS + ")";
        org.osgi.framework.ServiceListener listener = event -> {
            synchronized (signal) {
                signal.notifyAll();
            }
        };
        context.addServiceListener(listener, filter);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (signal) {
                while (true) {
                    ServiceReference<?> processor = context.getServiceReference(GogoSession.PROCESSOR);
                    ServiceReference<?>[] commands = context.getServiceReferences((String) null, PY_COMMANDS);
                    if (processor != null && commands != null) {
                        return processor;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    TimeUnit.NANOSECONDS.timedWait(signal, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            context.removeServiceListener(listener);
        }
    }

    private static Bundle install(BundleContext context, Path jar, int level, boolean start) throws BundleException {
        // copied into the framework storage (not "reference:"), so a build that rewrites target/runtime
        // cannot pull classes from under a running runtime; measured: no slower to start
        Bundle bundle = context.installBundle(jar.toUri().toString());
        bundle.adapt(BundleStartLevel.class).setStartLevel(level);
        if (start && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
            bundle.start(); // persistent: the bundle starts when the framework reaches its level
        }
        return bundle;
    }

    private static TreeMap<Integer, List<Path>> bundlesByLevel(Path bundles) throws IOException {
        TreeMap<Integer, List<Path>> levels = new TreeMap<>();
        if (!Files.isDirectory(bundles)) {
            return levels;
        }
        try (Stream<Path> dirs = Files.list(bundles)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                String name = dir.getFileName().toString();
                if (name.matches("[1-9][0-9]*")) {
                    List<Path> jars = jars(dir);
                    if (!jars.isEmpty()) {
                        levels.put(Integer.parseInt(name), jars);
                    }
                }
            }
        }
        return levels;
    }

    private static List<Path> jars(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** The assembled runtime: the parent of the lib/ directory this class was loaded from, or -Dpyhost.runtime. */
    private static Path runtimeDirectory() throws URISyntaxException {
        String configured = System.getProperty("pyhost.runtime");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return jar.getParent().getParent().toAbsolutePath().normalize();
    }

    /** Storage directories are named after their launcher's pid; those whose launcher is gone are removed. */
    private static void removeStaleStorage(Path work) throws IOException {
        if (!Files.isDirectory(work)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(work)) {
            for (Path dir : dirs.toList()) {
                String name = dir.getFileName().toString();
                if (!name.matches("[0-9]+") || ProcessHandle.of(Long.parseLong(name)).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                deleteTree(dir);
            }
        }
    }

    private static void stop(Framework framework, Path storage) {
        try {
            if ((framework.getState() & (Bundle.STARTING | Bundle.ACTIVE)) != 0) {
                framework.stop();
                framework.waitForStop(TimeUnit.SECONDS.toMillis(15));
            }
        } catch (BundleException | InterruptedException | RuntimeException e) {
            System.err.println("pyhost: stopping the framework: " + e);
        }
        deleteTree(storage);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException | RuntimeException ignored) {
            // removed at the next start
        }
    }

    /**
     * One-line java.util.logging output at the configured level. Bundles log through
     * System.Logger, which goes to java.util.logging when nothing else is installed.
     */
    private static void configureLogging(String level) {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "[%4$s] %3$s: %5$s%6$s%n");
        }
        Level parsed;
        try {
            parsed = Level.parse(level.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            parsed = Level.WARNING;
        }
        Logger root = Logger.getLogger("");
        root.setLevel(parsed);
        for (java.util.logging.Handler handler : root.getHandlers()) {
            handler.setLevel(parsed);
        }
    }

    private static String value(String[] args, int i, String option) throws UsageException {
        if (i >= args.length) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.toString() : message;
    }

    private static String state(Bundle b) {
        return switch (b.getState()) {
            case Bundle.INSTALLED -> "INSTALLED (not resolved; Felix printed why above)";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "state " + b.getState();
        };
    }
}
