package io.pyhost.launcher;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import io.pyhost.launcher.HeadlessRuntime.Run;

/**
 * The containment corpus (issue 11): Python code that must not take the JVM down, each case in a
 * runtime JVM of its own ({@link HeadlessRuntime}), because a failing case ends its JVM.
 *
 * <p>Each case runs one snippet with {@code py:exec} (or {@code py:eval}, whose value Java
 * converts) in one mode, then, in the same JVM and the same context, a probe that prints
 * {@value #ALIVE}: the runtime still answers after the hostile code. The Gogo line keeps the
 * snippet's own exception, so the exit status stays 1 when the snippet raised even though the
 * probe succeeded after it.
 *
 * <p>Every case must end on its own within {@link #CASE_TIMEOUT} (else it is killed and fails),
 * leave no HotSpot crash log, exit with 0, 1 or 2 (never 3, never a signal's 128+n), and show
 * what its expectation says. Sandbox cases also check that the file the escape would create does
 * not exist. The sandbox cases run in owngil only: the headless command has no option to turn
 * the sandbox on in worker or subinterp mode (owngil has it on by default); core's SandboxTest
 * covers the other modes in-process.
 *
 * <p>All cases run first, {@value #DEFAULT_PARALLEL} JVMs at a time ({@code -Dpyhost.corpus.parallel}),
 * and a table of case, mode, status and seconds goes to stdout; then each case is one JUnit test
 * asserting its outcome. {@code -Dpyhost.corpus.cases=REGEX} runs only the cases whose
 * {@code name/mode} matches. Each case's directory under {@code target/containment/} keeps its
 * stdout, stderr and any crash log.
 */
@RunWith(Parameterized.class)
public class ContainmentIT {
    static final Duration CASE_TIMEOUT = Duration.ofSeconds(Long.getLong("pyhost.corpus.timeoutSeconds", 60));
    private static final int DEFAULT_PARALLEL = 2;
    private static final Path DIR = Path.of(System.getProperty("pyhost.corpus.dir", "target/containment")).toAbsolutePath();
    private static final String ALIVE = "alive 42";
    private static final String PROBE = "print('alive', 6 * 7, flush=True)";
    private static final List<String> MODES = List.of("worker", "subinterp", "owngil");

    /** What a case's snippet must do, besides not crashing. */
    enum Expect {
        /** exit 0, the probe answers, stdout contains the text */
        PASSES,
        /** exit 1, the probe answers, stderr matches the text (a regular expression) */
        RAISES,
        /** the runtime answers: a value (exit 0) or a Python error (exit 1) and the probe answers, or a clear command error (exit 2) */
        ANSWERS
    }

    /**
     * One case in one mode.
     *
     * @param setup  statements run before {@code code} ({@code py:exec}), or null
     * @param eval   {@code code} is an expression whose value goes to Java ({@code py:eval}); else statements
     * @param code   the snippet; {@code {marker}} stands for a path the escape would create, which must not exist afterwards
     */
    record Case(String name, String mode, String setup, boolean eval, String code, Expect expect, String text) {
        boolean marker() {
            return code.contains("{marker}") || (setup != null && setup.contains("{marker}"));
        }

        @Override
        public String toString() {
            return name + "/" + mode;
        }
    }

    // ---- the corpus

    private static final String NESTED_LIST = """
            l = []
            for _ in range(10**6):
                l = [l]
            del l
            print('nested list freed')
            """;
    private static final String NESTED_DICT = """
            d = {}
            for _ in range(10**6):
                d = {'d': d}
            del d
            print('nested dict freed')
            """;
    private static final String RECURSION = """
            import sys
            sys.setrecursionlimit(10**6)
            def down(n):
                return down(n + 1)
            try:
                down(0)
            except RecursionError as e:
                print('caught RecursionError')
            print('after recursion')
            """;
    /** Recursion through C: each level goes through CPython's C code (attribute lookup, repr()). */
    private static final String C_RECURSION = """
            import sys
            sys.setrecursionlimit(10**6)
            class Deep:
                def __getattr__(self, name):
                    return self.missing
            class Mirror:
                def __repr__(self):
                    return repr(self)
            caught = []
            try:
                Deep().anything
            except RecursionError:
                caught.append('getattr')
            try:
                repr(Mirror())
            except RecursionError:
                caught.append('repr')
            print('caught RecursionError in', caught)
            """;
    private static final String THREAD_DEALLOC = """
            import threading
            done = []
            def work():
                l = []
                for _ in range(10**6):
                    l = [l]
                del l
                d = {}
                for _ in range(10**6):
                    d = {'d': d}
                del d
                done.append('freed')
            t = threading.Thread(target=work)
            t.start()
            t.join()
            print('thread', done)
            """;
    private static final String THREAD_RECURSION = """
            import sys, threading
            sys.setrecursionlimit(10**6)
            done = []
            def down(n):
                return down(n + 1)
            class Deep:
                def __getattr__(self, name):
                    return self.missing
            def work():
                try:
                    down(0)
                except RecursionError:
                    done.append('python')
                try:
                    Deep().anything
                except RecursionError:
                    done.append('getattr')
            t = threading.Thread(target=work)
            t.start()
            t.join()
            print('thread caught', done)
            """;

    // Conversions of a value returned to Java while the value's own __str__ (run by the
    // conversion for an object Java has no type for) frees parts of what is being converted.
    // The freed parts are large bytes (malloc'd, not pooled) so that a read after free shows.
    private static final String DICT_KEY_CLEARS = """
            class Evil:
                def __str__(self):
                    d.clear()
                    return 'evil'
            d = {Evil(): b'x' * 10**7, 'after': b'y' * 10**7}
            """;
    private static final String LIST_ITEM_CLEARS_OUTER = """
            class Evil:
                def __str__(self):
                    outer.clear()
                    return 'evil'
            outer = [[Evil(), b'x' * 10**7, [b'y' * 10**7]], (Evil(), b'z' * 10**7)]
            """;
    private static final String DICT_VALUE_DELETES = """
            class Evil:
                def __str__(self):
                    for k in list(d):
                        del d[k]
                    return 'evil'
            d = {'a': [Evil(), b'x' * 10**7], 'b': b'y' * 10**7, 'c': {'e': Evil(), 'f': b'z' * 10**7}}
            """;
    private static final String SET_CLEARS = """
            class Evil:
                def __init__(self, n):
                    self.n = n
                def __str__(self):
                    s.clear()
                    holder.clear()
                    return 'evil'
            s = {Evil(n) for n in range(100)}
            holder = [s]
            """;

    /** Every sandboxed escape that could run a process leaves {marker} behind if it succeeds. */
    private static final String SANDBOX_FORK_EXEC = """
            import _posixsubprocess, os, shutil
            touch = shutil.which('touch').encode()
            r, w = os.pipe()
            pid = _posixsubprocess.fork_exec([touch, b'{marker}'], [touch], True, (), None, None,
                    -1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1, None)
            os.waitpid(pid, 0)
            """;
    private static final String SANDBOX_CTYPES = """
            import ctypes
            ctypes.CDLL(None).system(b'touch {marker}')
            """;
    private static final String SANDBOX_AUDIT_REPLACED = """
            import sys, subprocess
            sys.audit = lambda *args: None
            subprocess.run(['touch', '{marker}'])
            """;
    /** Whatever of the hook's state Python can reach through the garbage collector is switched off. */
    private static final String SANDBOX_HOOK_STATE = """
            import gc, os
            def flip(o):
                if isinstance(o, dict) and any(isinstance(k, str) and 'sandbox' in k for k in o):
                    for k, v in list(o.items()):
                        if v is True:
                            o[k] = False
                            yield k
                        elif isinstance(v, (set, frozenset)) and isinstance(k, str) and k.isupper():
                            o[k] = frozenset()
                            yield k
                elif callable(o) and hasattr(o, '__code__') and 'sandbox' in o.__qualname__ + o.__code__.co_filename:
                    for cell in o.__closure__ or ():
                        if cell.cell_contents is True:
                            cell.cell_contents = False
                            yield 'a cell of ' + o.__qualname__
                    if o.__code__.co_argcount == 2:
                        o.__code__ = (lambda event, args: None).__code__
                        yield 'the code of ' + o.__qualname__
            flipped = []
            try:
                objects = gc.get_objects()
            except Exception as e:
                print('gc.get_objects:', repr(e))
                objects = []
            for o in objects:
                try:
                    flipped.extend(flip(o))
                except Exception as e:
                    flipped.append(repr(e))
            print('flipped', flipped)
            os.system('touch {marker}')
            """;
    /**
     * The hook and its helpers reached without gc: through the traceback of a refusal (the hook's
     * own frame, its globals and code constants) and through modules in sys.modules; every function
     * of the sandbox found gets a no-op body, every global it reads a no-op value, every list, set
     * or dict of it is emptied.
     */
    private static final String SANDBOX_HOOK_REACHED = """
            import os, sys
            noop = lambda *args, **kwargs: None
            tried = []
            def neutralize(function):
                try:
                    function.__code__ = noop.__code__
                    tried.append('code of ' + function.__name__)
                except Exception as e:
                    tried.append(type(e).__name__)
            try:
                os.system('true')
            except Exception as refused:
                tb = refused.__traceback__
                while tb is not None:
                    try:
                        frame = tb.tb_frame
                        code = frame.f_code
                        if 'sandbox' in code.co_name or 'hook' in code.co_name:
                            for name in code.co_names:
                                if name in frame.f_globals:
                                    frame.f_globals[name] = noop
                                    tried.append('global ' + name)
                            if callable(frame.f_globals.get(code.co_name)):
                                neutralize(frame.f_globals[code.co_name])
                            for const in code.co_consts:
                                if callable(const) and hasattr(const, '__code__'):
                                    neutralize(const)
                                elif isinstance(const, (list, set, dict)):
                                    const.clear()
                                    tried.append('emptied a constant')
                    except Exception as e:
                        tried.append(type(e).__name__)
                    tb = tb.tb_next
            for module in list(sys.modules.values()):
                for name, value in list(getattr(module, '__dict__', {}).items()):
                    if 'sandbox' not in name.lower():
                        continue
                    try:
                        if callable(value) and hasattr(value, '__code__'):
                            neutralize(value)
                        elif isinstance(value, (list, set, dict)):
                            value.clear()
                            tried.append('emptied ' + name)
                        elif value is True:
                            setattr(module, name, False)
                            tried.append('flipped ' + name)
                    except Exception as e:
                        tried.append(type(e).__name__)
            print('tried', tried)
            os.system('touch {marker}')
            """;
    private static final String SANDBOX_REFUSED = "(?i)sandbox";

    private static List<Case> corpus() {
        List<Case> cases = new ArrayList<>();
        for (String mode : MODES) {
            cases.add(new Case("nested-list-dealloc", mode, null, false, NESTED_LIST, Expect.PASSES, "nested list freed"));
            cases.add(new Case("nested-dict-dealloc", mode, null, false, NESTED_DICT, Expect.PASSES, "nested dict freed"));
            cases.add(new Case("recursion-python", mode, null, false, RECURSION, Expect.PASSES, "caught RecursionError\nafter recursion"));
            cases.add(new Case("recursion-c", mode, null, false, C_RECURSION, Expect.PASSES, "caught RecursionError in ['getattr', 'repr']"));
            cases.add(new Case("thread-dealloc", mode, null, false, THREAD_DEALLOC, Expect.PASSES, "thread ['freed']"));
            cases.add(new Case("thread-recursion", mode, null, false, THREAD_RECURSION, Expect.PASSES, "thread caught ['python', 'getattr']"));
            cases.add(new Case("convert-dict-key-clears", mode, DICT_KEY_CLEARS, true, "d", Expect.ANSWERS, null));
            cases.add(new Case("convert-list-item-clears-outer", mode, LIST_ITEM_CLEARS_OUTER, true, "outer", Expect.ANSWERS, null));
            cases.add(new Case("convert-dict-value-deletes", mode, DICT_VALUE_DELETES, true, "d", Expect.ANSWERS, null));
            cases.add(new Case("convert-set-clears", mode, SET_CLEARS, true, "holder", Expect.ANSWERS, null));
        }
        String sandboxed = "owngil";
        cases.add(new Case("sandbox-fork-exec", sandboxed, null, false, SANDBOX_FORK_EXEC, Expect.RAISES, SANDBOX_REFUSED));
        cases.add(new Case("sandbox-ctypes-system", sandboxed, null, false, SANDBOX_CTYPES, Expect.RAISES, SANDBOX_REFUSED));
        cases.add(new Case("sandbox-audit-replaced", sandboxed, null, false, SANDBOX_AUDIT_REPLACED, Expect.RAISES, SANDBOX_REFUSED));
        cases.add(new Case("sandbox-hook-state-flipped", sandboxed, null, false, SANDBOX_HOOK_STATE, Expect.RAISES, SANDBOX_REFUSED));
        cases.add(new Case("sandbox-hook-reached", sandboxed, null, false, SANDBOX_HOOK_REACHED, Expect.RAISES, SANDBOX_REFUSED));
        cases.add(new Case("sandbox-os-exit", sandboxed, null, false, "import os\nos._exit(3)\n", Expect.RAISES, SANDBOX_REFUSED));
        cases.add(new Case("sandbox-os-kill", sandboxed, null, false, "import os\nos.kill(os.getpid(), 9)\n", Expect.RAISES, SANDBOX_REFUSED));
        cases.add(new Case("sandbox-os-abort", sandboxed, null, false, "import os\nos.abort()\n", Expect.RAISES, SANDBOX_REFUSED));
        cases.add(new Case("sandbox-raise-signal", sandboxed, null, false, "import signal\nsignal.raise_signal(signal.SIGSEGV)\n",
                Expect.RAISES, SANDBOX_REFUSED));
        // an own-GIL interpreter cannot import faulthandler (single-phase init): refused either way
        cases.add(new Case("sandbox-faulthandler", sandboxed, null, false, "import faulthandler\nfaulthandler._sigsegv()\n",
                Expect.RAISES, SANDBOX_REFUSED + "|module faulthandler does not support loading in subinterpreters"));
        String only = System.getProperty("pyhost.corpus.cases", "");
        if (!only.isBlank()) {
            Pattern pattern = Pattern.compile(only);
            cases.removeIf(c -> !pattern.matcher(c.toString()).find());
        }
        return cases;
    }

    // ---- running the corpus

    private static final List<Case> CASES = corpus();
    private static final Map<Case, Run> RUNS = new ConcurrentHashMap<>();

    @Parameters(name = "{0}")
    public static List<Object[]> cases() {
        return CASES.stream().map(c -> new Object[] {c}).toList();
    }

    private final Case testCase;

    public ContainmentIT(Case testCase) {
        this.testCase = testCase;
    }

    /** Runs every case, a few JVMs at a time, and prints the table. */
    @BeforeClass
    public static void runCorpus() throws Exception {
        deleteTree(DIR);
        Files.createDirectories(DIR);
        int parallel = Math.max(1, Integer.getInteger("pyhost.corpus.parallel", DEFAULT_PARALLEL));
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            Map<Case, Future<Run>> futures = new LinkedHashMap<>();
            for (Case c : CASES) {
                futures.put(c, pool.submit(() -> run(c)));
            }
            for (Map.Entry<Case, Future<Run>> f : futures.entrySet()) {
                RUNS.put(f.getKey(), f.getValue().get()); // each run is bounded by CASE_TIMEOUT
            }
        } finally {
            pool.shutdownNow();
        }
        printTable(Duration.ofNanos(System.nanoTime() - started), parallel);
    }

    @Test
    public void containedAndAnswered() throws IOException {
        Run run = RUNS.get(testCase);
        assertTrue("not run: " + testCase, run != null);
        String problem = problem(testCase, run);
        if (problem != null) {
            fail(testCase + ": " + problem + "\n" + details(run));
        }
    }

    private static Run run(Case c) throws IOException, InterruptedException {
        Path dir = DIR.resolve(c.name() + "-" + c.mode());
        Files.createDirectories(dir);
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("mode", c.mode());
        vars.put("probe", PROBE);
        String marker = marker(c).toString();
        vars.put("code", c.code().replace("{marker}", marker));
        // the snippet's exception is kept across the probe, so that the exit status says whether the snippet raised
        String line;
        if (c.eval()) {
            vars.put("setup", c.setup() == null ? "pass" : c.setup().replace("{marker}", marker));
            // the value is not printed (it may hold megabytes); that it arrived is what counts
            line = "py:exec -m $mode $setup ; value = (py:eval -m $mode $code) ; raised = $pyexception ;"
                    + " py:exec -m $mode $probe ; pyexception = $raised";
        } else {
            line = "py:exec -m $mode $code ; raised = $pyexception ; py:exec -m $mode $probe ; pyexception = $raised";
        }
        return HeadlessRuntime.headless(dir, CASE_TIMEOUT, line, vars);
    }

    private static Path marker(Case c) {
        return DIR.resolve(c.name() + "-" + c.mode()).resolve("escaped.marker");
    }

    /** Why the case failed, or null. */
    private static String problem(Case c, Run run) {
        if (run.timedOut()) {
            return "did not end within " + CASE_TIMEOUT.toSeconds() + " s (killed)";
        }
        if (run.crashLog() != null) {
            return "the JVM crashed (status " + run.status() + "):\n" + run.crashSummary();
        }
        if (run.status() != 0 && run.status() != 1 && run.status() != 2) {
            return "the JVM ended with status " + run.status() + describeStatus(run.status());
        }
        if (c.marker() && Files.exists(marker(c))) {
            return "escaped: the snippet created " + marker(c);
        }
        if (c.expect() == Expect.ANSWERS && run.status() == 2) {
            return run.err().contains("pyhost: ") ? null : "exit 2 without a message";
        }
        if (!run.out().contains(ALIVE)) {
            return "the runtime did not answer the probe after the snippet (exit " + run.status() + ")";
        }
        return switch (c.expect()) {
            case PASSES -> run.status() != 0 ? "expected exit 0, got " + run.status()
                    : !run.out().contains(c.text()) ? "stdout lacks '" + c.text() + "'" : null;
            case RAISES -> run.status() != 1 ? "expected exit 1 (Python raised), got " + run.status()
                    : !Pattern.compile(c.text()).matcher(run.err()).find() ? "stderr does not match '" + c.text() + "'" : null;
            case ANSWERS -> null;
        };
    }

    private static String describeStatus(int status) {
        if (status == 3) {
            return " (3: the runtime did not start, or Python's os._exit(3) ended the JVM)";
        }
        if (status > 128 && status < 160) {
            return " (signal " + (status - 128) + ")";
        }
        return "";
    }

    private static String details(Run run) {
        return "--- stdout (tail)\n" + tail(run.out()) + "--- stderr (tail)\n" + tail(run.err());
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())) + "\n";
    }

    private static void printTable(Duration total, int parallel) {
        StringBuilder table = new StringBuilder();
        table.append(String.format("%nContainment corpus: %d cases, %d JVMs at a time, %.1f s%n", CASES.size(), parallel,
                total.toMillis() / 1000.0));
        String row = "%-32s %-10s %6s %7s  %s%n";
        table.append(String.format(row, "case", "mode", "status", "seconds", "result"));
        for (Case c : CASES) {
            Run run = RUNS.get(c);
            String problem = problem(c, run);
            String result = problem == null ? "ok" : "FAIL " + problem.lines().findFirst().orElse("");
            if (run.crashLog() != null) {
                result += " | " + run.crashSummary().lines().filter(l -> l.startsWith("#  ")).map(String::strip)
                        .reduce((a, b) -> a + "; " + b).orElse("");
            }
            table.append(String.format(row, c.name(), c.mode(), run.timedOut() ? "killed" : Integer.toString(run.status()),
                    String.format("%.1f", run.took().toMillis() / 1000.0), result));
        }
        System.out.print(table);
        System.out.flush();
        try {
            Files.writeString(DIR.resolve("table.txt"), table);
        } catch (IOException e) {
            System.err.println("ContainmentIT: cannot write " + DIR.resolve("table.txt") + ": " + e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
