package io.pyhost.shell;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.api.PreloadService;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * The Gogo commands of scope {@code py}.
 *
 * <p><b>Contexts.</b> Each shell session keeps one context per mode, made on first use and kept
 * while the session lives, so that {@code py:exec "x = 1"} followed by {@code py:eval x} works as
 * in a Python REPL. Preload changes reach only new contexts; so when the preload version has
 * changed since a session's context was made, the next command replaces that context (and says
 * so on stderr): what the user just set with {@code py:preload set} is then visible at once.
 * {@code py:reset} drops a session's contexts by hand. A context that something else closed (its
 * strategy left, core stopped) is replaced the same way.
 *
 * <p><b>Errors.</b> When Python raises, the command prints the Python traceback on stderr (not a
 * Java stack trace), returns nothing and leaves the exception in the session variable
 * {@value #LAST_EXCEPTION}; a successful command removes that variable. The launcher's
 * non-interactive form turns it into exit status 1. Other failures (an absent mode, a missing
 * file) are thrown to Gogo, which prints their message.
 *
 * <p><b>Output.</b> {@code py:eval} returns the value as Python's {@code print()} would show it.
 * What Python itself prints goes to the process's standard output and error (file descriptors 1
 * and 2, not a Gogo session: the shell's contexts are made with {@code ContextOptions.withOutput}
 * sinks that write there, line by line); each command flushes {@code sys.stdout} and
 * {@code sys.stderr} when it ends, so that a last line without its newline is not held back.
 *
 * <p><b>Waiting.</b> Right after start-up CPython may still be initializing: a command waits up to
 * {@code waitSeconds} for core's services, and for a mode's strategy while the framework is still
 * starting. Later an absent mode fails at once, naming the modes present.
 */
@Component(service = PythonCommands.class, configurationPid = PythonCommands.PID,
        // immediate: Gogo ungets a command service after each command, which would end a delayed
        // component, and with it every session's contexts, between two commands
        immediate = true,
        property = {
                "osgi.command.scope=py",
                "osgi.command.function=eval", "osgi.command.function=exec", "osgi.command.function=run",
                "osgi.command.function=modes", "osgi.command.function=preload", "osgi.command.function=paths",
                "osgi.command.function=imports", "osgi.command.function=reset",
                "osgi.command.function=contexts", "osgi.command.function=functions", "osgi.command.function=services" })
@Designate(ocd = ShellConfiguration.class)
public final class PythonCommands {
    /**
     * Shows {@code v} as Python's REPL does, by Python's own {@code repr()} (a numpy scalar is
     * {@code np.int64(6)}, a Decimal {@code Decimal('1.5')}); a str as it is, as {@code print()} shows it.
     */
    private static final String SHOW = "v if type(v) is str else repr(v)";

    /**
     * What the REPL would show for {@code expression}, computed by Python (its repr, not a Java
     * imitation): the value is kept as a {@code PyObject}, then shown. Two calls; the traceback of
     * an error names only the expression.
     */
    static String shown(io.pyhost.api.PyContext context, String expression) {
        io.pyhost.api.PyObject value;
        try {
            value = value(context, expression);
        } catch (UnsupportedOperationException noHandles) {
            // mode process: no PyObject handles across the process boundary; shown in one call instead
            return (String) context.eval("(lambda v: " + SHOW + ")(" + LAST_VALUE + ")", Map.of("__pyhost_source__", expression));
        }
        try (value) {
            return (String) context.eval(SHOW, Map.of("v", value));
        }
    }

    private static io.pyhost.api.PyObject value(io.pyhost.api.PyContext context, String expression) {
        try {
            return context.evalObject(expression);
        } catch (PyException e) {
            if (!"SyntaxError".equals(e.pythonType())) {
                throw e;
            }
            // statements ending in an expression, as a REPL cell: nothing ran, since it did not compile
            try {
                return context.evalObject(LAST_VALUE, Map.of("__pyhost_source__", expression));
            } catch (PyException notStatementsEither) {
                if ("SyntaxError".equals(notStatementsEither.pythonType())) {
                    throw e; // the expression's own error says best what is wrong
                }
                throw notStatementsEither;
            }
        }
    }

    /**
     * Runs {@code __pyhost_source__}'s statements but the last in the context's globals and gives
     * the last one's value, when it is an expression ({@code import numpy; numpy.arange(4).sum()});
     * otherwise compiles the whole as an expression again, for Python's own SyntaxError.
     */
    private static final String LAST_VALUE = "(lambda ast, src: (lambda tree: (exec(compile(ast.Module(tree.body[:-1], []), '<string>', 'exec'),"
            + " globals()), eval(compile(ast.Expression(tree.body[-1].value), '<string>', 'eval'), globals()))[1]"
            + " if tree.body and type(tree.body[-1]) is ast.Expr else eval(compile(src, '<string>', 'eval')))(ast.parse(src)))"
            + "(__import__('ast'), __pyhost_source__)";

    /** The configuration PID. */
    public static final String PID = "io.pyhost.shell";
    /** Session variable holding the {@link PyException} of the last py command that raised. */
    public static final String LAST_EXCEPTION = "pyexception";

    private static final String MODE_HELP = "mode: worker, subinterp, owngil or process (default: the configured one, see py:modes)";
    /** The process's own standard streams (Gogo replaces System.out/err per session and thread). */
    private static final java.io.PrintStream PROCESS_OUT = new java.io.PrintStream(
            new java.io.FileOutputStream(java.io.FileDescriptor.out), true, java.nio.charset.StandardCharsets.UTF_8);
    private static final java.io.PrintStream PROCESS_ERR = new java.io.PrintStream(
            new java.io.FileOutputStream(java.io.FileDescriptor.err), true, java.nio.charset.StandardCharsets.UTF_8);

    /** Flushes Python's buffered stdout/stderr; binds no name in the context. */
    private static final String FLUSH = "[f.flush() for f in (__import__('sys').stdout, __import__('sys').stderr) if f is not None]";
    /** Runs a file in the context's globals, with the file's path in tracebacks. */
    private static final String RUN_FILE = "exec(compile(__pyhost_source__, __pyhost_file__, 'exec'), globals())";

    private final AwaitedService<ContextFactory> factory = new AwaitedService<>("ContextFactory", "io.pyhost.core");
    private final AwaitedService<PreloadService> preload = new AwaitedService<>("PreloadService", "io.pyhost.core");
    private final SessionContexts sessions = new SessionContexts();
    private volatile ShellConfiguration config;
    private volatile BundleContext bundleContext; // null outside a framework (unit tests)

    @Activate
    void activate(BundleContext context, ShellConfiguration config) {
        this.bundleContext = context;
        this.config = config;
    }

    @Modified
    void modified(ShellConfiguration config) {
        this.config = config; // the sessions keep their contexts
    }

    @Deactivate
    void deactivate() {
        sessions.closeAll();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindContextFactory(ContextFactory service) {
        factory.arrived(service);
    }

    void unbindContextFactory(ContextFactory service) {
        factory.left(service);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindPreloadService(PreloadService service) {
        preload.arrived(service);
    }

    void unbindPreloadService(PreloadService service) {
        preload.left(service);
    }

    // ---- running Python

    @Descriptor("evaluate a Python expression in this session's context and show its value by Python's repr (a str as it is); statements before it run first ('import math; math.pi')")
    public String eval(CommandSession session,
            @Descriptor(MODE_HELP) @Parameter(names = {"-m", "--mode"}, absentValue = "") String mode,
            @Descriptor("the expression; quote it: py:eval '[x * x for x in range(4)]'") String... expression) {
        String code = joined(expression, "py:eval [-m mode] EXPRESSION");
        return python(session, mode, context -> shown(context, code));
    }

    @Descriptor("run Python statements in this session's context")
    public void exec(CommandSession session,
            @Descriptor(MODE_HELP) @Parameter(names = {"-m", "--mode"}, absentValue = "") String mode,
            @Descriptor("the statements; quote them: py:exec 'import math; r = math.pi'") String... code) {
        String statements = joined(code, "py:exec [-m mode] CODE");
        python(session, mode, context -> {
            context.exec(statements);
            return null;
        });
    }

    @Descriptor("run a Python file in this session's context")
    public void run(CommandSession session,
            @Descriptor(MODE_HELP) @Parameter(names = {"-m", "--mode"}, absentValue = "") String mode,
            @Descriptor("the file, relative to the session's current directory") String file) throws IOException {
        Path path = resolve(session, file);
        String source = read(path);
        python(session, mode, context -> context.eval(RUN_FILE, Map.of("__pyhost_source__", source, "__pyhost_file__", path.toString())));
    }

    @Descriptor("forget this session's context (all of them without -m); the next command makes a new one")
    public String reset(CommandSession session,
            @Descriptor("only the context of this mode") @Parameter(names = {"-m", "--mode"}, absentValue = "") String mode) {
        List<PyContext> closed = sessions.close(session, mode.isEmpty() ? null : mode);
        if (closed.isEmpty()) {
            return "no context to close";
        }
        List<String> names = new ArrayList<>();
        for (PyContext context : closed) {
            names.add(context.mode() + " context " + context.id());
        }
        return "closed " + String.join(", ", names);
    }

    @Descriptor("list the open contexts: id, mode, age, calls, state (idle, busy, overdue, abandoned), the child's pid and resident memory (mode process; - otherwise), the strategy bundle that made each")
    public String contexts() {
        List<io.pyhost.api.ContextInfo> open = factory.await(waitTime()).contexts();
        if (open.isEmpty()) {
            return "no context is open";
        }
        StringBuilder out = new StringBuilder(String.format("%6s  %-10s %10s %8s  %-8s %8s %9s  %s%n", "id", "mode", "age", "calls", "state",
                "pid", "rss", "strategy"));
        java.time.Instant now = java.time.Instant.now();
        for (io.pyhost.api.ContextInfo info : open) {
            java.time.Duration age = java.time.Duration.between(info.created(), now);
            out.append(String.format("%6d  %-10s %9.1fs %8d  %-8s %8s %9s  %s%n", info.id(), info.mode(), age.toMillis() / 1000.0, info.calls(),
                    info.state().name().toLowerCase(java.util.Locale.ROOT), info.pid() < 0 ? "-" : Long.toString(info.pid()),
                    residentSize(info.residentBytes()), info.strategy()));
        }
        return out.toString().stripTrailing();
    }

    /** A resident size as {@code 12.3 MiB} without the space ({@code 12.3M}); {@code -} when unknown. */
    static String residentSize(long bytes) {
        if (bytes < 0) {
            return "-";
        }
        if (bytes < 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%.1fK", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%.1fM", bytes / (1024.0 * 1024));
        }
        return String.format(java.util.Locale.ROOT, "%.2fG", bytes / (1024.0 * 1024 * 1024));
    }

    @Descriptor("list the modes whose strategy is present")
    public String modes() {
        ContextFactory contexts = factory.await(waitTime());
        Set<String> present = contexts.modes();
        String preferred = defaultMode();
        List<String> ordered = new ArrayList<>();
        for (String known : List.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL)) {
            if (present.contains(known)) {
                ordered.add(known);
            }
        }
        present.stream().filter(m -> !ordered.contains(m)).sorted().forEach(ordered::add);
        StringBuilder out = new StringBuilder();
        for (String mode : ordered) {
            out.append(mode).append(mode.equals(preferred) ? "  (default)" : "").append('\n');
        }
        if (!present.contains(preferred)) {
            out.append("the default mode '").append(preferred).append("' is not present").append('\n');
        }
        if (ordered.isEmpty()) {
            out.append("no mode is present: no strategy bundle is active").append('\n');
        }
        return out.toString().stripTrailing();
    }

    @Descriptor("list the Java functions Python can call (PyFunction services, pyhost.call(name, ...)), sorted")
    public String functions() {
        ContextFactory contexts = factory.await(waitTime());
        String mode = contexts.modes().contains(defaultMode()) ? defaultMode() : contexts.modes().stream().sorted().findFirst()
                .orElseThrow(() -> new IllegalStateException("no mode is present: no strategy bundle is active"));
        try (io.pyhost.api.PyContext probe = contexts.create(mode)) {
            List<?> names = (List<?>) probe.eval("__import__('pyhost').functions()");
            return names.isEmpty() ? "no Java function is registered (a PyFunction service with pyhost.function=<name>)"
                    : names.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining("\n"));
        }
    }

    @Descriptor("list the OSGi services Python may use (pyhost.service): those with pyhost.export=true and those matching "
            + "core's exportFilter, as 'objectClass (id, ranking, bundle)', sorted")
    public String services() {
        BundleContext context = bundleContext;
        if (context == null) {
            throw new IllegalStateException("py:services lists OSGi services: it needs the shell running in an OSGi framework");
        }
        factory.await(waitTime()); // core is there: its configuration is on its ContextFactory's service properties
        ServiceReference<ContextFactory> core = context.getServiceReference(ContextFactory.class);
        ServiceReference<?>[] all;
        try {
            all = context.getAllServiceReferences(null, null);
        } catch (InvalidSyntaxException impossible) {
            throw new IllegalStateException(impossible);
        }
        return PythonExports.describe(all == null ? new ServiceReference<?>[0] : all,
                core == null ? null : core.getProperty(PythonExports.EXPORT_FILTER));
    }

    // ---- preload, paths, imports

    @Descriptor("show or change the preload: py:preload [set CODE | file PATH | clear | fragments | effective]")
    public String preload(CommandSession session, @Descriptor("nothing to show the application code; set CODE, file PATH, clear, fragments or effective") String... args)
            throws IOException {
        PreloadService registry = preload.await(waitTime());
        String action = args.length == 0 ? "show" : args[0];
        String rest = args.length <= 1 ? "" : String.join(" ", List.of(args).subList(1, args.length));
        switch (action) {
            case "show":
                return showPreload(registry);
            case "set":
                if (rest.isEmpty()) {
                    throw new IllegalArgumentException("usage: py:preload set CODE");
                }
                registry.setCode(rest);
                return "application preload set (" + lines(rest) + "); version " + registry.version() + "; new contexts get it";
            case "file":
                if (rest.isEmpty()) {
                    throw new IllegalArgumentException("usage: py:preload file PATH");
                }
                Path path = resolve(session, rest);
                String code = read(path);
                registry.setCode(code);
                return "application preload set from " + path + " (" + lines(code) + "); version " + registry.version()
                        + "; new contexts get it";
            case "clear":
                registry.clearCode();
                return "application preload cleared; version " + registry.version() + "; new contexts start without it";
            case "fragments":
                return fragments(registry.fragments());
            case "effective":
                return registry.effectiveCode().stripTrailing();
            default:
                throw new IllegalArgumentException("unknown action '" + action
                        + "'; usage: py:preload [set CODE | file PATH | clear | fragments | effective]");
        }
    }

    @Descriptor("list the directories added to sys.path of new contexts: py:paths [add DIR | remove DIR]")
    public String paths(@Descriptor("nothing to list; add DIR or remove DIR") String... args) {
        PreloadService registry = preload.await(waitTime());
        return registered("py:paths", "DIR", args, registry::paths, registry::addPath, registry::removePath);
    }

    @Descriptor("list the modules imported in new contexts: py:imports [add MODULE | remove MODULE]")
    public String imports(@Descriptor("nothing to list; add MODULE or remove MODULE") String... args) {
        PreloadService registry = preload.await(waitTime());
        return registered("py:imports", "MODULE", args, registry::imports, registry::addImport, registry::removeImport);
    }

    // ---- the rest is not a command (Gogo calls public methods only)

    @FunctionalInterface
    interface PythonWork {
        Object run(PyContext context);
    }

    private String python(CommandSession session, String mode, PythonWork work) {
        session.put(LAST_EXCEPTION, null);
        String chosen = mode.isEmpty() ? defaultMode() : mode;
        PyContext context;
        try {
            context = contextFor(session, chosen);
        } catch (PyException e) {
            System.err.println("py: the preload raised; no " + chosen + " context was made:");
            return raised(session, e);
        }
        Object result = null;
        PyException raised = null;
        try {
            result = work.run(context);
        } catch (PyException e) {
            raised = e;
        } finally {
            flush(context); // what Python printed comes before the traceback
        }
        if (raised != null) {
            return raised(session, raised);
        }
        return result == null ? null : result.toString();
    }

    private static String raised(CommandSession session, PyException e) {
        session.put(LAST_EXCEPTION, e);
        String traceback = e.pythonTraceback();
        System.err.print(traceback.isEmpty() ? e.pythonType() + ": " + e.pythonMessage() + "\n" : traceback);
        System.err.flush();
        return null;
    }

    private static void flush(PyContext context) {
        try {
            if (!context.isClosed()) {
                context.eval(FLUSH);
            }
        } catch (RuntimeException ignored) {
            // sys.stdout replaced by something without flush(), or the context just closed: nothing to flush
        }
        System.out.flush();
    }

    /** The session's context for {@code mode}, new when there is none, it was closed, or the preload changed. */
    private PyContext contextFor(CommandSession session, String mode) {
        Duration wait = waitTime();
        ContextFactory contexts = factory.await(wait);
        long version = preload.await(wait).version();
        SessionContexts.Kept kept = sessions.get(session, mode);
        if (kept != null && !kept.context().isClosed() && kept.preloadVersion() == version) {
            return kept.context();
        }
        PyContext context = contexts.create(ContextOptions.mode(mode).withModeWait(modeWait(wait)).withOutput(PROCESS_OUT::println,
                PROCESS_ERR::println));
        if (kept != null) {
            System.err.println("py: " + (kept.context().isClosed() ? "the session's " + mode + " context " + kept.context().id() + " was closed"
                    : "the preload changed") + "; now in new " + mode + " context " + context.id() + " (earlier variables are gone)");
        }
        sessions.keep(session, mode, new SessionContexts.Kept(context, version));
        return context;
    }

    /**
     * Wait for an absent mode only while the framework is still starting, when strategy bundles may
     * not have started yet; afterwards a mode that is absent is absent (or mistyped): fail at once.
     */
    private Duration modeWait(Duration wait) {
        BundleContext context = bundleContext;
        boolean starting = context != null && context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getState() == Bundle.STARTING;
        return starting ? wait : Duration.ZERO;
    }

    private String defaultMode() {
        String mode = config == null ? "" : config.defaultMode().trim();
        return mode.isEmpty() ? ContextFactory.WORKER : mode;
    }

    private Duration waitTime() {
        return Duration.ofSeconds(config == null ? 30 : Math.max(0, config.waitSeconds()));
    }

    private static String joined(String[] words, String usage) {
        String code = words == null ? "" : String.join(" ", words);
        if (code.isBlank()) {
            throw new IllegalArgumentException("usage: " + usage);
        }
        return code;
    }

    private static Path resolve(CommandSession session, String file) {
        Path path = Path.of(file);
        if (!path.isAbsolute() && session != null && session.currentDir() != null) {
            path = session.currentDir().resolve(path);
        }
        return path.toAbsolutePath().normalize();
    }

    private static String read(Path path) throws IOException {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + path);
        }
    }

    private static String lines(String code) {
        long n = code.lines().count();
        return n + (n == 1 ? " line" : " lines");
    }

    private static String showPreload(PreloadService registry) {
        StringBuilder out = new StringBuilder();
        out.append("preload version ").append(registry.version()).append(": ")
                .append(count(registry.fragments().stream().filter(f -> !Fragment.APPLICATION.equals(f.origin())).count(), "plugin fragment"))
                .append(", ").append(count(registry.paths().size(), "path"))
                .append(", ").append(count(registry.imports().size(), "import")).append('\n');
        registry.getCode().ifPresentOrElse(code -> {
            out.append("application code (").append(lines(code)).append("):\n");
            code.lines().forEach(line -> out.append("  ").append(line).append('\n'));
        }, () -> out.append("no application code (py:preload set CODE)\n"));
        return out.toString().stripTrailing();
    }

    private static String count(long n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    /** The fragments in the order they run: position, order, origin, size. */
    static String fragments(List<Fragment> fragments) {
        if (fragments.isEmpty()) {
            return "no fragments";
        }
        int originWidth = "origin".length();
        int orderWidth = "order".length();
        for (Fragment f : fragments) {
            originWidth = Math.max(originWidth, f.origin().length());
            orderWidth = Math.max(orderWidth, order(f).length());
        }
        String row = "%3s  %" + orderWidth + "s  %-" + originWidth + "s  %s%n";
        StringBuilder out = new StringBuilder(String.format(row, "#", "order", "origin", "lines"));
        int position = 1;
        for (Fragment f : fragments) {
            out.append(String.format(row, position++, order(f), f.origin(), f.code().lines().count()));
        }
        return out.toString().stripTrailing();
    }

    /** The application code runs after every fragment whatever its order number; say so. */
    private static String order(Fragment f) {
        return Fragment.APPLICATION.equals(f.origin()) ? "last" : Integer.toString(f.order());
    }

    private static String registered(String command, String what, String[] args, Supplier<List<String>> list,
            java.util.function.Consumer<String> add, java.util.function.Predicate<String> remove) {
        String usage = "usage: " + command + " [add " + what + " | remove " + what + "]";
        if (args.length == 0) {
            List<String> entries = list.get();
            return entries.isEmpty() ? "none" : String.join("\n", entries);
        }
        if (args.length != 2) {
            throw new IllegalArgumentException(usage);
        }
        switch (args[0]) {
            case "add":
                add.accept(args[1]);
                return "added " + args[1] + "; new contexts get it";
            case "remove":
                return remove.test(args[1]) ? "removed " + args[1] + "; new contexts start without it" : args[1] + " was not registered";
            default:
                throw new IllegalArgumentException(usage);
        }
    }
}
