package io.pyhost.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

import org.apache.felix.service.command.CommandSession;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.api.PreloadService;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * The py: commands against a scripted ContextFactory (no CPython, no framework): which context a
 * command uses, what it prints, how it reports a Python exception.
 */
public class PythonCommandsTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private final FakeFactory factory = new FakeFactory();
    private final FakePreload preload = new FakePreload();
    private final PythonCommands commands = new PythonCommands();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @Before
    public void setUp() {
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        commands.activate(null, config("worker", 0));
        commands.bindContextFactory(factory);
        commands.bindPreloadService(preload);
    }

    @After
    public void tearDown() {
        commands.deactivate();
        System.setErr(originalErr);
    }

    @Test
    public void evalShowsTheValueAsPrintWould() {
        factory.answer = (code, locals) -> code.equals("'a' * 2") ? "aa" : List.of(1L, "b");
        CommandSession session = session();
        assertEquals("aa", commands.eval(session, "", "'a' * 2"));
        assertEquals("[1, 'b']", commands.eval(session, "", "[1,", "'b']"));
        assertEquals("[1, 'b']", factory.created.get(0).evaluated.get(2)); // words joined by one space (index 1 is a flush)
    }

    @Test
    public void aSessionKeepsOneContextPerModeAcrossCommands() {
        CommandSession one = session();
        CommandSession two = session();
        commands.exec(one, "", "x = 1");
        commands.eval(one, "", "x");
        commands.eval(one, "subinterp", "x");
        commands.eval(two, "", "x");
        assertEquals(3, factory.created.size());
        assertEquals(List.of("worker", "subinterp", "worker"), factory.created.stream().map(FakeContext::mode).toList());
        assertEquals(List.of("x = 1"), factory.created.get(0).executed);
    }

    @Test
    public void aPreloadChangeOrAClosedContextGivesTheSessionANewContextAndSaysSo() {
        CommandSession session = session();
        commands.eval(session, "", "1");
        FakeContext first = factory.created.get(0);
        preload.setCode("P = 1");
        commands.eval(session, "", "P");
        assertEquals(2, factory.created.size());
        assertTrue(first.isClosed());
        assertTrue(err.toString(), err.toString().contains("the preload changed; now in new worker context"));

        factory.created.get(1).close(); // e.g. its strategy left
        commands.eval(session, "", "1");
        assertEquals(3, factory.created.size());
        assertTrue(err.toString(), err.toString().contains("context " + factory.created.get(1).id() + " was closed"));
    }

    @Test
    public void aPythonExceptionPrintsItsTracebackAndIsKeptInTheSession() {
        CommandSession session = session();
        String traceback = "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nZeroDivisionError: division by zero\n";
        factory.answer = (code, locals) -> {
            if (code.equals("1/0")) {
                throw new PyException("builtins.ZeroDivisionError", "division by zero", traceback);
            }
            return 2L;
        };
        assertNull(commands.eval(session, "", "1/0"));
        assertTrue(err.toString().endsWith(traceback));
        assertFalse("no Java stack trace", err.toString().contains("at io.pyhost"));
        assertTrue(session.get(PythonCommands.LAST_EXCEPTION) instanceof PyException);

        assertEquals("2", commands.eval(session, "", "1+1"));
        assertNull(session.get(PythonCommands.LAST_EXCEPTION));
    }

    @Test
    public void aPreloadErrorAtCreationSaysNoContextWasMade() {
        factory.failCreation = new PyException("builtins.SyntaxError", "invalid syntax", "  File \"application\", line 1\nSyntaxError: invalid syntax\n");
        CommandSession session = session();
        assertNull(commands.eval(session, "", "1"));
        assertTrue(err.toString(), err.toString().startsWith("py: the preload raised; no worker context was made:\n  File \"application\""));
        assertTrue(session.get(PythonCommands.LAST_EXCEPTION) instanceof PyException);
    }

    @Test
    public void pythonOutputIsFlushedAfterEveryCommandEvenWhenItRaises() {
        factory.answer = (code, locals) -> {
            if (code.equals("boom")) {
                throw new PyException("builtins.ValueError", "boom", "");
            }
            return null;
        };
        CommandSession session = session();
        commands.exec(session, "", "print(1)");
        commands.eval(session, "", "boom");
        List<String> evaluated = factory.created.get(0).evaluated;
        assertEquals(2, evaluated.stream().filter(e -> e.contains(".flush()")).count());
        assertTrue(err.toString().endsWith("ValueError: boom\n"));
    }

    @Test
    public void runPassesTheFileAndItsPathSoTracebacksNameIt() throws Exception {
        Path file = folder.newFile("script.py").toPath();
        Files.writeString(file, "X = 1\n");
        Map<String, Object> seen = new HashMap<>();
        factory.answer = (code, locals) -> {
            if (locals != null) {
                seen.putAll(locals);
            }
            return null;
        };
        CommandSession session = session();
        commands.run(session, "", file.toString());
        assertEquals("X = 1\n", seen.get("__pyhost_source__"));
        assertEquals(file.toAbsolutePath().toString(), seen.get("__pyhost_file__"));

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
        assertEquals("usage: py:paths [add DIR | remove DIR]",
                assertThrows(IllegalArgumentException.class, () -> commands.paths("add")).getMessage());
    }

    @Test
    public void anAbsentModeFailsWithTheFactorysMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> commands.eval(session(), "nope", "1"));
        assertEquals("no strategy for mode 'nope'; modes present: [subinterp, worker]", e.getMessage());
    }

    @Test
    public void withoutCoreACommandWaitsThenNamesTheBundle() {
        commands.unbindContextFactory(factory);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> commands.eval(session(), "", "1"));
        assertEquals("no ContextFactory service: is bundle io.pyhost.core active? (lb; scr:info)", e.getMessage());
    }

    @Test
    public void modesMarksTheDefaultAndSaysWhenItIsAbsent() {
        assertEquals("worker  (default)\nsubinterp", commands.modes());
        commands.modified(config("owngil", 0));
        assertEquals("worker\nsubinterp\nthe default mode 'owngil' is not present", commands.modes());
    }

    @Test
    public void resetClosesTheSessionsContexts() {
        CommandSession session = session();
        assertEquals("no context to close", commands.reset(session, ""));
        commands.eval(session, "", "1");
        commands.eval(session, "subinterp", "1");
        FakeContext worker = factory.created.get(0);
        assertEquals("closed worker context " + worker.id(), commands.reset(session, "worker"));
        assertTrue(worker.isClosed());
        assertEquals("closed subinterp context " + factory.created.get(1).id(), commands.reset(session, ""));
    }

    @Test
    public void deactivationClosesEverySessionsContexts() {
        commands.eval(session(), "", "1");
        commands.eval(session(), "", "1");
        commands.deactivate();
        assertTrue(factory.created.stream().allMatch(FakeContext::isClosed));
    }

    @Test
    public void preloadCommandsDriveThePreloadService() throws Exception {
        CommandSession session = session();
        assertEquals("preload version 1: 0 plugin fragments, 0 paths, 0 imports\nno application code (py:preload set CODE)",
                commands.preload(session));
        assertEquals("application preload set (1 line); version 2; new contexts get it", commands.preload(session, "set", "import", "json"));
        assertEquals(Optional.of("import json"), preload.getCode());
        Path file = folder.newFile("preload.py").toPath();
        Files.writeString(file, "A = 1\nB = 2\n");
        assertEquals("application preload set from " + file + " (2 lines); version 3; new contexts get it",
                commands.preload(session, "file", file.toString()));
        preload.fragments.add(new Fragment("com.example.plugin/1.2.0!python/preload.py", 100, "X = 1\n"));
        String table = commands.preload(session, "fragments");
        assertEquals(List.of(
                List.of("#", "order", "origin", "lines"),
                List.of("1", "100", "com.example.plugin/1.2.0!python/preload.py", "1"),
                List.of("2", "last", "application", "2")),
                table.lines().map(line -> List.of(line.strip().split("\\s+"))).toList());
        List<String> lines = table.lines().toList();
        assertEquals("columns line up", lines.get(0).indexOf("origin"), lines.get(2).indexOf("application"));
        assertEquals("columns line up", lines.get(0).indexOf("order") + "order".length(), lines.get(1).indexOf("100") + 3);
        assertEquals("application preload cleared; version 4; new contexts start without it", commands.preload(session, "clear"));
        assertEquals(Optional.empty(), preload.getCode());

        assertEquals("none", commands.paths());
        assertEquals("added /opt/lib; new contexts get it", commands.paths("add", "/opt/lib"));
        assertEquals("/opt/lib", commands.paths());
        assertEquals("removed /opt/lib; new contexts start without it", commands.paths("remove", "/opt/lib"));
        assertEquals("/opt/lib was not registered", commands.paths("remove", "/opt/lib"));
        assertEquals("added decimal; new contexts get it", commands.imports("add", "decimal"));
        assertEquals("decimal", commands.imports());
    }

    // ---- fakes

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

    /** A CommandSession with variables and a current directory, nothing else. */
    private static CommandSession session() {
        Map<String, Object> vars = new HashMap<>();
        return (CommandSession) Proxy.newProxyInstance(PythonCommandsTest.class.getClassLoader(), new Class<?>[] {CommandSession.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "get" -> vars.get((String) args[0]);
                    case "put" -> args[1] == null ? vars.remove((String) args[0]) : vars.put((String) args[0], args[1]);
                    case "currentDir" -> args == null ? Path.of("").toAbsolutePath() : null;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "session@" + System.identityHashCode(proxy);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private final class FakeFactory implements ContextFactory {
        final List<FakeContext> created = new ArrayList<>();
        BiFunction<String, Map<String, ?>, Object> answer = (code, locals) -> null;
        PyException failCreation;

        @Override
        public PyContext create(ContextOptions options) {
            if (failCreation != null) {
                throw failCreation;
            }
            String mode = options.mode();
            if (!modes().contains(mode)) {
                throw new IllegalArgumentException("no strategy for mode '" + mode + "'; modes present: [subinterp, worker]");
            }
            FakeContext context = new FakeContext(created.size() + 1L, mode);
            created.add(context);
            return context;
        }

        @Override
        public Set<String> modes() {
            return new LinkedHashSet<>(List.of("subinterp", "worker"));
        }
    }

    private final class FakeContext implements PyContext {
        final long id;
        final String mode;
        final List<String> evaluated = new ArrayList<>();
        final List<String> executed = new ArrayList<>();
        boolean closed;

        FakeContext(long id, String mode) {
            this.id = id;
            this.mode = mode;
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public String mode() {
            return mode;
        }

        @Override
        public Object eval(String expression) {
            return eval(expression, null);
        }

        @Override
        public Object eval(String expression, Map<String, ?> locals) {
            assertFalse("closed", closed);
            evaluated.add(expression);
            return expression.contains(".flush()") ? null : factory.answer.apply(expression, locals);
        }

        @Override
        public void exec(String code) {
            executed.add(code);
            factory.answer.apply(code, null);
        }

        @Override
        public Object call(String module, String function, List<?> args, Map<String, ?> kwargs) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object eval(String expression, Map<String, ?> locals, Duration timeout) {
            return eval(expression, locals);
        }

        @Override
        public void exec(String code, Duration timeout) {
            exec(code);
        }

        @Override
        public Object call(String module, String function, List<?> args, Map<String, ?> kwargs, Duration timeout) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean interrupt() {
            return false;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static final class FakePreload implements PreloadService {
        String code;
        long version = 1;
        final List<Fragment> fragments = new ArrayList<>();
        final List<String> paths = new ArrayList<>();
        final List<String> imports = new ArrayList<>();

        @Override
        public void setCode(String code) {
            this.code = code;
            version++;
        }

        @Override
        public Optional<String> getCode() {
            return Optional.ofNullable(code);
        }

        @Override
        public void clearCode() {
            code = null;
            version++;
        }

        @Override
        public List<Fragment> fragments() {
            List<Fragment> all = new ArrayList<>(fragments);
            if (code != null) {
                all.add(new Fragment(Fragment.APPLICATION, Integer.MAX_VALUE, code));
            }
            return all;
        }

        @Override
        public String effectiveCode() {
            return String.join("\n", fragments().stream().map(Fragment::code).toList());
        }

        @Override
        public void addPath(String dir) {
            paths.add(dir);
            version++;
        }

        @Override
        public boolean removePath(String dir) {
            version++;
            return paths.remove(dir);
        }

        @Override
        public List<String> paths() {
            return List.copyOf(paths);
        }

        @Override
        public void addImport(String module) {
            imports.add(module);
            version++;
        }

        @Override
        public boolean removeImport(String module) {
            version++;
            return imports.remove(module);
        }

        @Override
        public List<String> imports() {
            return List.copyOf(imports);
        }

        @Override
        public long version() {
            return version;
        }
    }
}
