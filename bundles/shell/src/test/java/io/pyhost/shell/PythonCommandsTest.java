package io.pyhost.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandSession;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Version;

import io.pyhost.api.ContextInfo;
import io.pyhost.api.Fragment;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.core.EngineContextFactory;
import io.pyhost.core.PreloadRegistry;

/**
 * The py: commands against real CPython 3.14: a real {@link io.pyhost.api.ContextFactory} (core's
 * engine, the three strategies) and the real preload registry, without a framework. Which context
 * a command uses, what it prints, how it reports a Python exception. Only Gogo's session is a
 * stand-in (variables and a current directory).
 */
public class PythonCommandsTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private EngineContextFactory factory;
    private PreloadRegistry preload;
    private final PythonCommands commands = new PythonCommands();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @Before
    public void setUp() {
        factory = new EngineContextFactory();
        preload = factory.preload();
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        commands.activate(null, config("worker", 0));
        commands.bindContextFactory(factory);
        commands.bindPreloadService(preload);
    }

    @After
    public void tearDown() {
        commands.deactivate();
        factory.close();
        System.setErr(originalErr);
    }

    @Test
    public void functionsListsTheJavaFunctionsPythonCanCall() {
        var registry = io.pyhost.core.interop.FunctionRegistry.shared();
        assertEquals("no Java function is registered (a PyFunction service with pyhost.function=<name>)", commands.functions());
        registry.add(new io.pyhost.core.interop.FunctionRegistry.Entry("shell.b", (a, k) -> 1, 0, 900_001));
        registry.add(new io.pyhost.core.interop.FunctionRegistry.Entry("shell.a", (a, k) -> 2, 0, 900_002));
        try {
            assertEquals("shell.a\nshell.b", commands.functions());
            assertEquals("1", commands.eval(session(), "", "__import__('pyhost').call('shell.b')"));
        } finally {
            registry.remove(900_001);
            registry.remove(900_002);
        }
    }

    @Test
    public void servicesListsTheServicesCoreExportsToPython() {
        Map<String, Object> core = new HashMap<>(Map.of("exportFilter", "")); // DS publishes core's configuration on its ContextFactory
        List<org.osgi.framework.ServiceReference<?>> all = new java.util.ArrayList<>(List.of(
                reference("x.provider", "objectClass", new String[] {"a.Api"}, "service.id", 5L, "service.ranking", 3, "pyhost.export", true),
                reference("x.provider", "objectClass", new String[] {"b.Hidden"}, "service.id", 6L, "export.me", "yes"),
                reference("y.other", "objectClass", new String[] {"c.Str", "c.Other"}, "service.id", 7L, "pyhost.export", " TRUE "),
                reference("x.provider", "objectClass", new String[] {"d.False"}, "service.id", 8L, "pyhost.export", false, "export.me", "no"),
                reference("x.provider", "objectClass", new String[] {"e.Yes"}, "service.id", 9L, "pyhost.export", "yes"),
                // the framework ranks by an Integer service.ranking only: a Long one counts as 0
                reference("x.provider", "objectClass", new String[] {"f.Long"}, "service.id", 10L, "pyhost.export", true, "service.ranking", 7L),
                reference("io.pyhost.core", "objectClass", new String[] {"io.pyhost.api.ContextFactory"}, "service.id", 11L)));
        PythonCommands inFramework = new PythonCommands();
        inFramework.activate(bundleContext(all, core), config("worker", 0));
        inFramework.bindContextFactory(factory);
        try {
            String exported = "a.Api (id 5, ranking 3, bundle x.provider)\nc.Str, c.Other (id 7, ranking 0, bundle y.other)\n"
                    + "f.Long (id 10, ranking 0, bundle x.provider)\n";
            assertEquals(exported + "exported to Python: services with pyhost.export=true (core's exportFilter is not set)",
                    inFramework.services());

            core.put("exportFilter", " (export.me=yes) ");
            assertEquals("a.Api (id 5, ranking 3, bundle x.provider)\nb.Hidden (id 6, ranking 0, bundle x.provider)\n"
                    + "c.Str, c.Other (id 7, ranking 0, bundle y.other)\nf.Long (id 10, ranking 0, bundle x.provider)\n"
                    + "exported to Python: services with pyhost.export=true, and those matching core's exportFilter (export.me=yes)",
                    inFramework.services());

            core.put("exportFilter", "(((");
            String ignored = inFramework.services();
            assertTrue(ignored, ignored.startsWith(exported + "exported to Python: services with pyhost.export=true only (core ignores its exportFilter '(((': "));

            core.remove("exportFilter");
            all.removeIf(ref -> "x.provider".equals(ref.getBundle().getSymbolicName()) || "y.other".equals(ref.getBundle().getSymbolicName()));
            assertEquals("no service is exported to Python\nexported to Python: services with pyhost.export=true (core's exportFilter is not set)",
                    inFramework.services());
        } finally {
            inFramework.deactivate();
        }
    }

    @Test
    public void servicesNeedsAFramework() {
        assertEquals("py:services lists OSGi services: it needs the shell running in an OSGi framework",
                assertThrows(IllegalStateException.class, commands::services).getMessage());
    }

    // ---- running Python

    @Test
    public void evalShowsTheValueAsPrintWould() {
        CommandSession session = session();
        assertEquals("1267650600228229401496703205376", commands.eval(session, "", "2 ** 100"));
        assertEquals("aa", commands.eval(session, "", "'a' * 2"));
        assertEquals("0.30000000000000004", commands.eval(session, "", "0.1 + 0.2"));
        assertEquals("{'k': [1, 2.0], 3: None, 'b': b'\\x00'}", commands.eval(session, "", "{'k': [1, 2.0], 3: None, 'b': b'\\0'}"));
        assertEquals("[1, 'b']", commands.eval(session, "", "[1,", "'b']"));
        assertEquals("words joined by one space", "two words", commands.eval(session, "", "'two", "words'"));
        assertEquals("None", commands.eval(session, "", "print(end='')")); // print() returns None
    }

    @Test
    public void evalRunsStatementsBeforeAFinalExpressionAsAReplCellWould() {
        CommandSession session = session();
        assertEquals("6", commands.eval(session, "", "import math; r = 2; math.floor(math.pi) * r"));
        assertEquals("the statements ran in the session's context", "2", commands.eval(session, "", "r"));
        assertEquals("[0, 1]", commands.eval(session, "subinterp", "xs = []\nfor i in range(2):\n    xs.append(i)\nxs"));
        assertEquals("", err.toString());

        assertNull("statements without a final expression are not an eval", commands.eval(session, "", "q = 1"));
        assertTrue(err.toString(), err.toString().contains("SyntaxError"));
        assertEquals("SyntaxError", ((PyException) session.get(PythonCommands.LAST_EXCEPTION)).pythonType());
        assertEquals("and nothing of them ran", "False", commands.eval(session, "", "'q' in globals()"));
        err.reset();
        assertNull(commands.eval(session, "", "import math; 1/0"));
        assertEquals("ZeroDivisionError", ((PyException) session.get(PythonCommands.LAST_EXCEPTION)).pythonType());
    }

    @Test
    public void aSessionKeepsOneContextPerModeAcrossCommands() {
        CommandSession one = session();
        CommandSession two = session();
        commands.exec(one, "", "x = 1");
        assertEquals("1", commands.eval(one, "", "x"));
        commands.exec(one, "subinterp", "x = 2");
        assertEquals("2", commands.eval(one, "subinterp", "x"));
        assertEquals("the worker context kept its x", "1", commands.eval(one, "", "x"));
        assertEquals("another session has its own context", "False", commands.eval(two, "", "'x' in globals()"));

        assertEquals(List.of("worker", "subinterp", "worker"), factory.contexts().stream().map(ContextInfo::mode).toList());
        assertEquals("", err.toString());
    }

    @Test
    public void eachModeRunsInItsOwnKindOfInterpreter() {
        CommandSession session = session();
        String interpreter = "__import__('_interpreters').get_current()[0]"; // 0: the main interpreter
        assertEquals("0", commands.eval(session, "worker", interpreter));
        String subinterp = commands.eval(session, "subinterp", interpreter);
        String owngil = commands.eval(session, "owngil", interpreter);
        assertNotEquals("0", subinterp);
        assertNotEquals("0", owngil);
        assertNotEquals(subinterp, owngil);
        assertEquals("3.14.3", commands.eval(session, "owngil", "__import__('platform').python_version()"));
        commands.modified(config("subinterp", 0));
        assertEquals("the configured default mode", subinterp, commands.eval(session, "", interpreter));
    }

    @Test
    public void aPreloadChangeOrAClosedContextGivesTheSessionANewContextAndSaysSo() throws Exception {
        CommandSession session = session();
        commands.exec(session, "", "kept = 1");
        long first = onlyContext().id();
        commands.preload(session, "set", "P = 41");
        assertEquals("42", commands.eval(session, "", "P + 1"));
        long second = onlyContext().id();
        assertNotEquals("the first context was closed", first, second);
        assertEquals("py: the preload changed; now in new worker context " + second + " (earlier variables are gone)\n", err.toString());
        assertEquals("False", commands.eval(session, "", "'kept' in globals()"));

        err.reset();
        factory.open().forEach(PyContext::close); // closed by something else
        assertEquals("41", commands.eval(session, "", "P"));
        long third = onlyContext().id();
        assertEquals("py: the session's worker context " + second + " was closed; now in new worker context " + third
                + " (earlier variables are gone)\n", err.toString());
    }

    @Test
    public void aStrategyThatLeavesTakesItsContextAndTheNextCommandSaysSo() {
        CommandSession session = session();
        commands.exec(session, "owngil", "y = 1");
        long before = onlyContext().id();
        factory.withdraw("owngil");
        assertEquals("no context is open", commands.contexts());
        assertEquals("no strategy for mode 'owngil'; modes present: [subinterp, worker]",
                assertThrows(IllegalArgumentException.class, () -> commands.eval(session, "owngil", "y")).getMessage());
        factory.restore("owngil");
        assertEquals("False", commands.eval(session, "owngil", "'y' in globals()"));
        assertTrue(err.toString(), err.toString().startsWith("py: the session's owngil context " + before + " was closed; now in new owngil context "));
    }

    @Test
    public void aPythonExceptionPrintsItsTracebackAndIsKeptInTheSession() {
        CommandSession session = session();
        assertNull(commands.eval(session, "", "1/0"));
        assertEquals("Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nZeroDivisionError: division by zero\n",
                err.toString());
        assertFalse("no Java stack trace", err.toString().contains("at io.pyhost"));
        PyException kept = (PyException) session.get(PythonCommands.LAST_EXCEPTION);
        assertEquals("builtins.ZeroDivisionError", kept.pythonQualifiedType());

        assertEquals("2", commands.eval(session, "", "1+1"));
        assertNull("a successful command removes it", session.get(PythonCommands.LAST_EXCEPTION));

        err.reset();
        commands.exec(session, "", "def f():\n    raise ValueError('boom')\n\nf()");
        assertEquals("Traceback (most recent call last):\n  File \"<string>\", line 4, in <module>\n  File \"<string>\", line 2, in f\n"
                + "ValueError: boom\n", err.toString());
        assertEquals("ValueError", ((PyException) session.get(PythonCommands.LAST_EXCEPTION)).pythonType());
        assertEquals("the context lives on", "2", commands.eval(session, "", "1+1"));
    }

    @Test
    public void systemExitIsAnExceptionLikeAnyOtherAndTheSessionGoesOn() {
        CommandSession session = session();
        for (String mode : List.of("worker", "subinterp", "owngil")) {
            err.reset();
            commands.exec(session, mode, "z = 7");
            commands.exec(session, mode, "raise SystemExit(3)");
            assertEquals(mode, "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nSystemExit: 3\n", err.toString());
            PyException exit = (PyException) session.get(PythonCommands.LAST_EXCEPTION);
            assertEquals(mode, "SystemExit", exit.pythonType());
            assertEquals(mode, "3", exit.pythonMessage());
            assertEquals(mode + ": neither the JVM nor the context ended", "7", commands.eval(session, mode, "z"));
        }
    }

    @Test
    public void aPreloadErrorAtCreationSaysNoContextWasMade() throws Exception {
        CommandSession session = session();
        commands.preload(session, "set", "x = 1 / 0");
        for (String mode : List.of("worker", "subinterp", "owngil")) {
            err.reset();
            assertNull(commands.eval(session, mode, "1"));
            String printed = err.toString();
            assertTrue(printed, printed.startsWith("py: the preload raised; no " + mode + " context was made:\nTraceback (most recent call last):\n"));
            assertTrue(printed, printed.endsWith("  File \"application\", line 1, in <module>\nZeroDivisionError: division by zero\n"
                    + "in preload fragment application\n"));
            assertFalse(printed, printed.contains("pyhost helpers"));
            assertEquals("ZeroDivisionError", ((PyException) session.get(PythonCommands.LAST_EXCEPTION)).pythonType());
        }
        assertEquals("no context is open", commands.contexts());
        commands.preload(session, "clear");
        assertEquals("1", commands.eval(session, "", "1"));
        assertNull(session.get(PythonCommands.LAST_EXCEPTION));
    }

    @Test
    public void pythonOutputIsFlushedAfterEveryCommandEvenWhenItRaises() {
        CommandSession session = session();
        // subinterp: sys is the context's own, so replacing sys.stdout touches nothing else
        commands.exec(session, "subinterp", "import sys\n"
                + "class Recorder:\n"
                + "    def __init__(self):\n"
                + "        self.text, self.flushes = [], 0\n"
                + "    def write(self, s):\n"
                + "        self.text.append(s)\n"
                + "        return len(s)\n"
                + "    def flush(self):\n"
                + "        self.flushes += 1\n"
                + "sys.stdout = Recorder()");
        commands.exec(session, "subinterp", "print('hi')");
        assertNull(commands.eval(session, "subinterp", "int('boom')"));
        assertTrue(err.toString(), err.toString().endsWith("ValueError: invalid literal for int() with base 10: 'boom'\n"));
        // read before this command's own flush: one flush after each of the three commands
        assertEquals("(3, 'hi\\n')", commands.eval(session, "subinterp", "(sys.stdout.flushes, ''.join(sys.stdout.text))"));
    }

    @Test
    public void runRunsTheFileInTheSessionsContextAndTracebacksNameItsLines() throws Exception {
        Path file = folder.newFile("script.py").toPath();
        Files.writeString(file, "X = 6 * 7\n");
        CommandSession session = session(folder.getRoot().toPath());
        commands.run(session, "", "script.py"); // relative to the session's current directory
        assertEquals("42", commands.eval(session, "", "X"));
        assertEquals("", err.toString());

        Path failing = folder.newFile("failing.py").toPath();
        Files.writeString(failing, "def f():\n    raise ValueError('boom')\n\nf()\n");
        commands.run(session, "subinterp", failing.toString());
        assertEquals("Traceback (most recent call last):\n"
                + "  File \"<string>\", line 1, in <module>\n"
                + "  File \"" + failing + "\", line 4, in <module>\n"
                + "    f()\n"
                + "    ~^^\n"
                + "  File \"" + failing + "\", line 2, in f\n"
                + "    raise ValueError('boom')\n"
                + "ValueError: boom\n", err.toString());

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> commands.run(session, "", folder.getRoot() + "/nope.py"));
        assertEquals("no such file: " + folder.getRoot() + "/nope.py", missing.getMessage());
    }

    @Test
    public void usageErrorsAreExact() {
        CommandSession session = session();
        assertEquals("usage: py:eval [-m mode] EXPRESSION",
                assertThrows(IllegalArgumentException.class, () -> commands.eval(session, "")).getMessage());
        assertEquals("usage: py:exec [-m mode] CODE",
                assertThrows(IllegalArgumentException.class, () -> commands.exec(session, "", " ")).getMessage());
        assertEquals("unknown action 'frobnicate'; usage: py:preload [set CODE | file PATH | clear | fragments | effective]",
                assertThrows(IllegalArgumentException.class, () -> commands.preload(session, "frobnicate")).getMessage());
        assertEquals("usage: py:preload set CODE",
                assertThrows(IllegalArgumentException.class, () -> commands.preload(session, "set")).getMessage());
        assertEquals("usage: py:paths [add DIR | remove DIR]",
                assertThrows(IllegalArgumentException.class, () -> commands.paths("add")).getMessage());
        assertEquals("usage: py:imports [add MODULE | remove MODULE]",
                assertThrows(IllegalArgumentException.class, () -> commands.imports("drop", "json")).getMessage());
        assertEquals("no context is made by a usage error", "no context is open", commands.contexts());
    }

    @Test
    public void anAbsentModeFailsWithTheFactorysMessage() {
        String factorysMessage = assertThrows(IllegalArgumentException.class, () -> factory.create("nope")).getMessage();
        assertEquals("no strategy for mode 'nope'; modes present: [owngil, subinterp, worker]", factorysMessage);
        assertEquals(factorysMessage, assertThrows(IllegalArgumentException.class, () -> commands.eval(session(), "nope", "1")).getMessage());
    }

    @Test
    public void withoutCoreACommandWaitsThenNamesTheBundle() {
        commands.unbindContextFactory(factory);
        String expected = "no ContextFactory service: is bundle io.pyhost.core active? (lb; scr:info)";
        assertEquals(expected, assertThrows(IllegalStateException.class, () -> commands.eval(session(), "", "1")).getMessage());
        assertEquals(expected, assertThrows(IllegalStateException.class, commands::contexts).getMessage());
        commands.unbindPreloadService(preload);
        assertEquals("no PreloadService service: is bundle io.pyhost.core active? (lb; scr:info)",
                assertThrows(IllegalStateException.class, () -> commands.paths()).getMessage());
    }

    @Test
    public void modesMarksTheDefaultAndSaysWhenItIsAbsent() {
        assertEquals("worker  (default)\nsubinterp\nowngil", commands.modes());
        commands.modified(config("owngil", 0));
        assertEquals("worker\nsubinterp\nowngil  (default)", commands.modes());
        factory.withdraw("owngil");
        assertEquals("worker\nsubinterp\nthe default mode 'owngil' is not present", commands.modes());
        factory.withdraw("worker");
        factory.withdraw("subinterp");
        assertEquals("the default mode 'owngil' is not present\nno mode is present: no strategy bundle is active", commands.modes());
    }

    @Test
    public void resetClosesTheSessionsContexts() {
        CommandSession session = session();
        CommandSession other = session();
        assertEquals("no context to close", commands.reset(session, ""));
        commands.exec(session, "", "a = 1");
        commands.eval(session, "subinterp", "1");
        commands.eval(other, "", "1");
        List<ContextInfo> open = factory.contexts();
        long worker = open.get(0).id();
        long subinterp = open.get(1).id();
        long others = open.get(2).id();
        assertEquals("closed worker context " + worker, commands.reset(session, "worker"));
        assertEquals(List.of(subinterp, others), factory.contexts().stream().map(ContextInfo::id).toList());
        assertEquals("closed subinterp context " + subinterp, commands.reset(session, ""));
        assertEquals("another session's context stays", List.of(others), factory.contexts().stream().map(ContextInfo::id).toList());
        assertEquals("no context to close", commands.reset(session, ""));

        assertEquals("a new context after a reset", "False", commands.eval(session, "", "'a' in globals()"));
        assertEquals("", err.toString()); // a reset is not a surprise: no "now in new context" notice
    }

    @Test
    public void deactivationClosesEverySessionsContexts() {
        CommandSession one = session(); // held: a session the GC takes closes its contexts
        CommandSession two = session();
        commands.eval(one, "", "1");
        commands.eval(two, "owngil", "1");
        assertEquals(2, factory.contexts().size());
        commands.deactivate();
        assertEquals(List.of(), factory.contexts());
        java.lang.ref.Reference.reachabilityFence(one);
        java.lang.ref.Reference.reachabilityFence(two);
    }

    // ---- py:contexts

    @Test
    public void contextsSaysSoWhenNoneIsOpen() {
        assertEquals("no context is open", commands.contexts());
    }

    @Test
    public void contextsListsIdModeAgeCallsAndStateOfTheOpenContexts() throws Exception {
        CommandSession one = session();
        CommandSession two = session();
        commands.exec(one, "", "x = 1");
        commands.eval(one, "", "x");
        commands.eval(two, "owngil", "2 + 2");
        List<ContextInfo> open = factory.contexts();

        List<String> lines = commands.contexts().lines().toList();
        assertEquals(List.of("id", "mode", "age", "calls", "state", "pid", "rss", "strategy"), words(lines.get(0)));
        assertEquals(3, lines.size());
        // calls: each command runs its own call and one that flushes sys.stdout and sys.stderr;
        // py:eval two of its own (the value kept as a PyObject, then shown by Python's repr)
        assertRow(lines.get(1), open.get(0).id(), "worker", 5, "idle");
        assertRow(lines.get(2), open.get(1).id(), "owngil", 3, "idle");
        assertEquals("columns line up", lines.get(0).indexOf("state"), lines.get(1).indexOf("idle"));
        assertEquals("columns line up", lines.get(0).indexOf("calls") + "calls".length(), lines.get(1).indexOf("5  idle") + 1);

        // a command still running shows as busy
        Path release = folder.getRoot().toPath().resolve("release");
        CompletableFuture<Void> running = CompletableFuture.runAsync(() -> commands.exec(one, "", "import os, time\n"
                + "while not os.path.exists(" + pyString(release.toString()) + "):\n"
                + "    time.sleep(0.005)"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!commands.contexts().contains("busy") && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            lines = commands.contexts().lines().toList();
            assertRow(lines.get(1), open.get(0).id(), "worker", 6, "busy");
            assertEquals("another context runs meanwhile", "4", commands.eval(two, "owngil", "2 + 2"));
            assertRow(commands.contexts().lines().toList().get(2), open.get(1).id(), "owngil", 6, "idle");
        } finally {
            Files.createFile(release);
            running.get(10, TimeUnit.SECONDS);
        }
        assertRow(commands.contexts().lines().toList().get(1), open.get(0).id(), "worker", 7, "idle");
        assertEquals("", err.toString());

        commands.reset(one, "");
        commands.reset(two, "");
        assertEquals("no context is open", commands.contexts());
    }

    @Test
    public void contextsShowsTheChildsPidAndResidentMemoryOfAProcessContext() {
        java.time.Instant now = java.time.Instant.now();
        List<ContextInfo> listed = List.of(
                new ContextInfo(7, "process", "io.pyhost.strategy.process/0.2.0", now, 3, false, ContextInfo.State.IDLE, null, 4711,
                        52_428_800L + 104_858L),
                new ContextInfo(8, "worker", "io.pyhost.strategy.worker/0.2.0", now, 1, false, ContextInfo.State.IDLE, null));
        io.pyhost.api.ContextFactory stub = (io.pyhost.api.ContextFactory) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {io.pyhost.api.ContextFactory.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "contexts" -> listed;
                    case "hashCode" -> 1;
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        commands.unbindContextFactory(factory);
        commands.bindContextFactory(stub);
        List<String> lines = commands.contexts().lines().toList();
        assertEquals(List.of("7", "process", "3", "idle", "4711", "50.1M", "io.pyhost.strategy.process/0.2.0"),
                words(lines.get(1)).stream().filter(w -> !w.endsWith("s") || w.equals("process")).toList());
        assertEquals(List.of("-", "-"), words(lines.get(2)).subList(5, 7));
        assertEquals("columns line up", lines.get(0).indexOf("pid") + 3, lines.get(1).indexOf("4711") + 4);
        assertEquals("columns line up", lines.get(0).indexOf("rss") + 3, lines.get(1).indexOf("50.1M") + 5);
    }

    @Test
    public void residentSizesAreShortAndReadable() {
        assertEquals("-", PythonCommands.residentSize(-1));
        assertEquals("512.0K", PythonCommands.residentSize(512 * 1024));
        assertEquals("12.5M", PythonCommands.residentSize(12 * 1024 * 1024 + 512 * 1024));
        assertEquals("2.00G", PythonCommands.residentSize(2L * 1024 * 1024 * 1024));
    }

    private static void assertRow(String line, long id, String mode, long calls, String state) {
        List<String> row = words(line);
        assertEquals(line, 8, row.size());
        assertEquals(line, List.of(Long.toString(id), mode, Long.toString(calls), state), List.of(row.get(0), row.get(1), row.get(3), row.get(4)));
        assertEquals("no pid, no rss in this JVM's process", List.of("-", "-"), row.subList(5, 7));
        assertTrue(line, row.get(7).startsWith("service:")); // the test's factory names strategies by owner id
        assertTrue(line, row.get(2).matches("\\d+[.,]\\ds"));
    }

    private static List<String> words(String line) {
        return List.of(line.strip().split("\\s+"));
    }

    // ---- preload, paths, imports

    @Test
    public void preloadCommandsDriveThePreloadServiceAndNewContextsRunIt() throws Exception {
        CommandSession session = session();
        assertEquals("preload version 1: 0 plugin fragments, 0 paths, 0 imports\nno application code (py:preload set CODE)",
                commands.preload(session));
        assertEquals("application preload set (1 line); version 2; new contexts get it", commands.preload(session, "set", "import", "json"));
        assertEquals(Optional.of("import json"), preload.getCode());
        assertEquals("preload version 2: 0 plugin fragments, 0 paths, 0 imports\napplication code (1 line):\n  import json",
                commands.preload(session));
        assertEquals("[1, 2]", commands.eval(session, "", "json.dumps([1, 2])"));

        Path file = folder.newFile("preload.py").toPath();
        Files.writeString(file, "A = 1\nB = 2\n");
        assertEquals("application preload set from " + file + " (2 lines); version 3; new contexts get it",
                commands.preload(session, "file", file.toString()));
        assertEquals("3", commands.eval(session, "subinterp", "A + B"));
        assertEquals("the application code replaced the earlier one", "False", commands.eval(session, "subinterp", "'json' in globals()"));

        preload.contribute("com.example.plugin", new PreloadRegistry.Contribution(List.of(new PreloadRegistry.Contributed(
                new Fragment("com.example.plugin/1.2.0!python/preload.py", 100, "X = 1\n"), "com.example.plugin",
                Version.parseVersion("1.2.0"), "python/preload.py")), List.of(), List.of()));
        String table = commands.preload(session, "fragments");
        assertEquals(List.of(
                List.of("#", "order", "origin", "lines"),
                List.of("1", "100", "com.example.plugin/1.2.0!python/preload.py", "1"),
                List.of("2", "last", "application", "2")),
                table.lines().map(PythonCommandsTest::words).toList());
        List<String> lines = table.lines().toList();
        assertEquals("columns line up", lines.get(0).indexOf("origin"), lines.get(2).indexOf("application"));
        assertEquals("columns line up", lines.get(0).indexOf("order") + "order".length(), lines.get(1).indexOf("100") + 3);
        assertEquals("# --- com.example.plugin/1.2.0!python/preload.py (order 100) ---\nX = 1\n# --- application (order "
                + Integer.MAX_VALUE + ") ---\nA = 1\nB = 2", commands.preload(session, "effective"));
        assertEquals("the plugin's fragment runs before the application code", "[1, 3]", commands.eval(session, "owngil", "[X, A + B]"));

        assertEquals("application preload cleared; version 5; new contexts start without it", commands.preload(session, "clear"));
        assertEquals(Optional.empty(), preload.getCode());
        assertEquals("False", commands.eval(session, "owngil", "'A' in globals()"));
        assertEquals("1", commands.eval(session, "owngil", "X"));
    }

    @Test
    public void pathsAndImportsReachNewContexts() throws Exception {
        CommandSession session = session();
        Path lib = folder.newFolder("lib").toPath();
        Files.writeString(lib.resolve("shelltest_module.py"), "VALUE = 'from the added path'\n");
        // subinterp: its sys.path and sys.modules are the context's own, so nothing outlives the test

        assertEquals("none", commands.paths());
        assertEquals("added " + lib + "; new contexts get it", commands.paths("add", lib.toString()));
        assertEquals(lib.toString(), commands.paths());
        assertEquals("True", commands.eval(session, "subinterp", "__import__('sys').path.count(" + pyString(lib.toString()) + ") == 1"));

        assertEquals("none", commands.imports());
        assertEquals("added shelltest_module; new contexts get it", commands.imports("add", "shelltest_module"));
        assertEquals("shelltest_module", commands.imports());
        assertEquals("from the added path", commands.eval(session, "subinterp", "shelltest_module.VALUE"));
        assertEquals("not a Python module name: 'not a module'",
                assertThrows(IllegalArgumentException.class, () -> commands.imports("add", "not a module")).getMessage());

        assertEquals("removed shelltest_module; new contexts start without it", commands.imports("remove", "shelltest_module"));
        assertEquals("shelltest_module was not registered", commands.imports("remove", "shelltest_module"));
        assertEquals("removed " + lib + "; new contexts start without it", commands.paths("remove", lib.toString()));
        assertEquals(lib + " was not registered", commands.paths("remove", lib.toString()));
        assertEquals("[False, False]", commands.eval(session, "subinterp",
                "['shelltest_module' in globals(), " + pyString(lib.toString()) + " in __import__('sys').path]"));
        assertEquals("none", commands.imports());
        assertEquals("none", commands.paths());
    }

    // ---- helpers

    private ContextInfo onlyContext() {
        List<ContextInfo> open = factory.contexts();
        assertEquals(open.toString(), 1, open.size());
        return open.get(0);
    }

    private static ShellConfiguration config(String mode, int waitSeconds) {
        return new ShellConfiguration() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ShellConfiguration.class;
            }

            @Override
            public String defaultMode() {
                return mode;
            }

            @Override
            public int waitSeconds() {
                return waitSeconds;
            }
        };
    }

    /** A service reference of a bundle named {@code bsn} with the properties {@code keysAndValues}. */
    private static org.osgi.framework.ServiceReference<?> reference(String bsn, Object... keysAndValues) {
        Map<String, Object> properties = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return reference(bsn, properties);
    }

    private static org.osgi.framework.ServiceReference<?> reference(String bsn, Map<String, Object> properties) {
        org.osgi.framework.Bundle bundle = (org.osgi.framework.Bundle) Proxy.newProxyInstance(PythonCommandsTest.class.getClassLoader(),
                new Class<?>[] {org.osgi.framework.Bundle.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getSymbolicName" -> bsn;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> bsn;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (org.osgi.framework.ServiceReference<?>) Proxy.newProxyInstance(PythonCommandsTest.class.getClassLoader(),
                new Class<?>[] {org.osgi.framework.ServiceReference.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> properties.get((String) args[0]);
                    case "getPropertyKeys" -> properties.keySet().toArray(String[]::new);
                    case "getProperties" -> new java.util.Hashtable<>(properties);
                    case "getBundle" -> bundle;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "reference " + properties;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** A stand-in for the shell's BundleContext: the services {@code all}, and core's ContextFactory with {@code core}'s properties. */
    private static org.osgi.framework.BundleContext bundleContext(List<org.osgi.framework.ServiceReference<?>> all, Map<String, Object> core) {
        org.osgi.framework.ServiceReference<?> factoryRef = reference("io.pyhost.core", core);
        return (org.osgi.framework.BundleContext) Proxy.newProxyInstance(PythonCommandsTest.class.getClassLoader(),
                new Class<?>[] {org.osgi.framework.BundleContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getAllServiceReferences" -> args[0] == null && args[1] == null ? all.toArray(org.osgi.framework.ServiceReference<?>[]::new)
                            : unsupported(method.getName() + " with a class or filter");
                    case "getServiceReference" -> io.pyhost.api.ContextFactory.class.equals(args[0])
                            || io.pyhost.api.ContextFactory.class.getName().equals(args[0]) ? factoryRef : null;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "bundle context";
                    default -> unsupported(method.getName());
                });
    }

    private static Object unsupported(String what) {
        throw new UnsupportedOperationException(what);
    }

    private static CommandSession session() {
        return session(Path.of("").toAbsolutePath());
    }

    /** A stand-in for Gogo's session: variables and a current directory, nothing else (it runs no Python). */
    private static CommandSession session(Path currentDir) {
        Map<String, Object> vars = new HashMap<>();
        return (CommandSession) Proxy.newProxyInstance(PythonCommandsTest.class.getClassLoader(), new Class<?>[] {CommandSession.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "get" -> vars.get((String) args[0]);
                    case "put" -> args[1] == null ? vars.remove((String) args[0]) : vars.put((String) args[0], args[1]);
                    case "currentDir" -> args == null ? currentDir : null;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "session@" + System.identityHashCode(proxy);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** A Python string literal of {@code text} (for paths in generated code). */
    private static String pyString(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** py:eval shows values by Python's own repr, for any object (a str as it is). */
    @Test
    public void evalShowsValuesByPythonsOwnRepr() throws Exception {
        CommandSession shell = session();
        assertEquals("Python's repr, not str()", "Decimal('1.5')", commands.eval(shell, "worker", "__import__('decimal').Decimal('1.5')"));
        assertEquals("[Decimal('1.5')]", commands.eval(shell, "worker", "[__import__('decimal').Decimal('1.5')]"));
        assertEquals("1e+16", commands.eval(shell, "worker", "1e16"));
        assertEquals("{1, 2}", commands.eval(shell, "worker", "{1, 2}"));
        assertEquals("(1, 'a', b'\\x00')", commands.eval(shell, "worker", "(1, 'a', b'\\x00')"));
        assertEquals("plain text", commands.eval(shell, "worker", "'plain text'"));
        assertEquals("Point(x=1)", commands.eval(shell, "worker",
                "__import__('collections').namedtuple('Point', 'x')(1)"));
        assertTrue(commands.eval(shell, "worker", "object()").startsWith("<object object at 0x"));
    }
}
