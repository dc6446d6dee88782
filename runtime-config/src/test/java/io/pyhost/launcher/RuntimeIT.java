package io.pyhost.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.pyhost.launcher.HeadlessRuntime.Run;

/**
 * The assembled runtime (target/runtime) as a user runs it: the launcher in its own JVM with the
 * pyhost JVM flags (including {@code --illegal-native-access=deny}, which proves that FFM from
 * bundle code is allowed by the flag and not by default), real Felix, SCR, FileInstall, Gogo and
 * the embedded CPython. Every wait is bounded; none sleeps a fixed time.
 */
public class RuntimeIT {
    private static final Path RUNTIME = HeadlessRuntime.RUNTIME;
    private static final long TIMEOUT_SECONDS = 90;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void evalPrintsTheValueAsPythonWould() throws Exception {
        Run run = headless("py:eval $code", "code=[2 ** 100, 'a', None, 0.1 + 0.2]");
        assertEquals(run.err(), 0, run.status());
        assertEquals("[1267650600228229401496703205376, 'a', None, 0.30000000000000004]", run.out().strip());
    }

    @Test
    public void numpyAnswersInWorkerAndSubInterpretersSayWhyNot() throws Exception {
        Run worker = headless("py:eval $code", "code=import numpy; numpy.arange(4).sum()");
        assertEquals(worker.err(), 0, worker.status());
        assertEquals("numpy's own repr of its scalar", "np.int64(6)", worker.out().strip());
        Run owngil = headless("py:exec -m owngil $code", "code=import numpy");
        assertEquals(owngil.err(), 1, owngil.status());
        assertTrue(owngil.err(), owngil.err().contains("ImportError: numpy needs a worker context (mode \"worker\")"));
    }

    @Test
    public void aPythonExceptionPrintsTheTracebackAndExitsWithOne() throws Exception {
        Run run = headless("py:exec $code", "code=def f():\n    return 1 / 0\nf()");
        assertEquals(1, run.status());
        assertTrue(run.err(), run.err().contains("Traceback (most recent call last):"));
        assertTrue(run.err(), run.err().contains("line 2, in f"));
        assertTrue(run.err(), run.err().contains("ZeroDivisionError: division by zero"));
        assertFalse("no Java stack trace: " + run.err(), run.err().contains("\tat "));
    }

    @Test
    public void whatPythonPrintsIsFlushedBeforeTheRuntimeStops() throws Exception {
        Run run = headless("py:exec $code", "code=print('from python', flush=False)");
        assertEquals(run.err(), 0, run.status());
        assertEquals("from python", run.out().strip());
    }

    @Test
    public void everyModeAnswers() throws Exception {
        for (String mode : List.of("worker", "subinterp", "owngil", "process")) {
            Run run = headless("py:eval -m $mode $code", "mode=" + mode, "code=sum(i * i for i in range(10))");
            assertEquals(mode + ": " + run.err(), 0, run.status());
            assertEquals(mode, "285", run.out().strip());
        }
    }

    @Test
    public void anAbsentModeFailsAtOnceWithTwoNamingTheModesPresent() throws Exception {
        long started = System.nanoTime();
        Run run = headless("py:eval -m $mode 1", "mode=nosuchmode");
        assertEquals(2, run.status());
        assertTrue(run.err(), run.err().contains("no strategy for mode 'nosuchmode'"));
        assertTrue(run.err(), run.err().contains("worker"));
        assertTrue("no wait for a mode once the framework has started",
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) < 20);
    }

    @Test
    public void aGogoSyntaxErrorOrUnknownCommandExitsWithTwo() throws Exception {
        assertEquals(2, headless("py:nosuchcommand").status());
    }

    /**
     * The greetings example (README, "Python calls Java") runs in the runtime: Python calls the Java
     * function and the exported services, and the Java Reception (Gogo command
     * {@code greetings:...}) greets through the Greeter that the Python plugin's preload registered
     * once Python ran, or says why it cannot before.
     */
    @Test
    public void theGreetingsExampleCallsJavaFromPythonAndPythonFromJava() throws Exception {
        Run python = headless("py:eval $code", "code=[greet('Ada'), pyhost.call('greetings.shout', 'hi'),"
                + " pyhost.service('io.pyhost.examples.greetings.api.Counter').next(),"
                + " pyhost.service('io.pyhost.examples.greetings.api.Reception').welcome('Bob')]");
        assertEquals(python.err(), 0, python.status());
        assertEquals("['HELLO, ADA! You are visitor 1.', 'HI!', 2, 'HELLO, BOB! You are visitor 3.']", python.out().strip());

        Run beforePython = headless("greetings:welcome Ada");
        assertEquals(beforePython.err(), 2, beforePython.status());
        assertTrue(beforePython.err(), beforePython.err().contains("no Greeter service is registered"));

        Run bound = headless("py:eval 1; greetings:greeter");
        assertEquals(bound.err(), 0, bound.status());
        assertTrue(bound.out(), bound.out().strip().matches("language=python, pyhost\\.host=the preload of the main interpreter, service\\.id=\\d+"));

        Run welcome = headless("py:eval 1; greetings:welcome Ada");
        assertEquals(welcome.err(), 0, welcome.status());
        assertEquals("HELLO, ADA! You are visitor 1.", welcome.out().strip());
    }

    /**
     * The interactive runtime: the first line where Python answers, a session that keeps its
     * context, a configuration edit that applies while it runs, and a strategy bundle hot-swapped
     * through deploy/ (owngil is left out of bundles/ and dropped in, then removed).
     */
    @Test
    public void interactiveShellConfigEditsAndDeployHotSwap() throws Exception {
        Path runtime = folder.newFolder("runtime").toPath();
        Path owngil = null;
        for (Path source : HeadlessRuntime.walk(RUNTIME, p -> Files.isRegularFile(p) && !RUNTIME.relativize(p).startsWith("work")
                && !RUNTIME.relativize(p).startsWith("conf"))) {
            Path target = runtime.resolve(RUNTIME.relativize(source).toString());
            if (target.getFileName().toString().startsWith("pyhost-strategy-owngil")) {
                owngil = source;
                continue;
            }
            Files.createDirectories(target.getParent());
            Files.createSymbolicLink(target, source);
        }
        assertTrue("owngil strategy in the assembled runtime", owngil != null);
        Path conf = copyConf();
        Path deploy = conf.resolve("deploy");

        Process process = HeadlessRuntime.launcher(runtime, conf, List.of()).start();
        try (Console console = new Console(process)) {
            console.awaitOutput(s -> s.contains("answers 1 + 1 = 2"), "the first line where Python answers");

            console.command("py:exec 'x = 41'");
            assertEquals("42", console.command("py:eval 'x + 1'").strip());
            assertFalse(console.command("py:modes").contains("owngil"));

            Files.copy(owngil, deploy.resolve(owngil.getFileName()));
            console.awaitCommand("py:modes", s -> s.contains("owngil"), "owngil arriving through deploy/");
            assertEquals("[3, 14]", console.command("py:eval -m owngil 'list(__import__(\"sys\").version_info[:2])'").strip());

            Files.delete(deploy.resolve(owngil.getFileName()));
            console.awaitCommand("py:modes", s -> !s.contains("owngil"), "owngil leaving when its jar is removed");

            Files.writeString(conf.resolve("config/io.pyhost.shell.cfg"), "defaultMode = subinterp\n");
            console.awaitCommand("py:modes", s -> s.contains("subinterp  (default)"), "the edited default mode");
            assertEquals("a new subinterp context", "absent", console.command("py:eval \"'x' in globals() and 'present' or 'absent'\"").strip());

            console.close(); // end of input: gosh stops the framework
            assertTrue("the runtime stops at the end of input", process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals(0, process.exitValue());
        } finally {
            process.destroyForcibly();
        }
    }

    // ---- helpers

    private Run headless(String line, String... vars) throws Exception {
        Map<String, String> named = new LinkedHashMap<>();
        for (String var : vars) {
            named.put(var.substring(0, var.indexOf('=')), var.substring(var.indexOf('=') + 1));
        }
        Run run = HeadlessRuntime.headless(folder.newFolder().toPath(), Duration.ofSeconds(TIMEOUT_SECONDS), line, named);
        if (run.timedOut()) {
            fail("the launcher did not end within " + TIMEOUT_SECONDS + " s: " + run.err());
        }
        return run;
    }

    private Path copyConf() throws IOException {
        return HeadlessRuntime.copyConf(folder.newFolder().toPath());
    }

    /** The interactive shell: commands in through stdin, output collected from stdout and stderr. */
    private static final class Console implements AutoCloseable {
        private final Writer in;
        private final StringBuffer output = new StringBuffer();
        private int marks;

        Console(Process process) {
            this.in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            pump(process.getInputStream());
            pump(process.getErrorStream());
        }

        private void pump(InputStream stream) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    for (int n; (n = stream.read(buffer)) > 0;) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException ended) {
                    // the process ended
                }
            }, "RuntimeIT output");
            thread.setDaemon(true);
            thread.start();
        }

        void awaitOutput(Predicate<String> condition, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (!condition.test(output.toString())) {
                if (System.nanoTime() > deadline) {
                    fail("no " + what + " within " + TIMEOUT_SECONDS + " s; output:\n" + output);
                }
                Thread.sleep(50);
            }
        }

        /** Runs one command line; returns what it printed. */
        String command(String line) throws IOException, InterruptedException {
            String mark = "==mark " + (++marks) + "==";
            int from = output.length();
            in.write(line + "\necho '" + mark + "'\n");
            in.flush();
            awaitOutput(s -> s.indexOf(mark + "\n", from) >= 0, "output of '" + line + "'");
            String text = output.substring(from, output.indexOf(mark + "\n", from));
            return text.replace("g! ", "");
        }

        /** Repeats a command until its output satisfies {@code condition} (something happening in the background). */
        void awaitCommand(String line, Predicate<String> condition, String what) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String last;
            while (!condition.test(last = command(line))) {
                if (System.nanoTime() > deadline) {
                    fail("no " + what + " within 30 s; last output of '" + line + "':\n" + last);
                }
                Thread.sleep(200);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } catch (IOException alreadyGone) {
                // the process ended
            }
        }
    }
}
