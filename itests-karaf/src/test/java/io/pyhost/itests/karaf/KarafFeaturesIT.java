package io.pyhost.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Test;

/**
 * pyhost in Apache Karaf 4.4 (apache-karaf-minimal) on Java 25, Karaf run as an external
 * process: the features install at boot (Karaf's shell does not work on Java 24+), Python
 * evaluates in every mode, a strategy hot-swaps through deploy/, and Karaf stops by its PID.
 * Every wait is bounded; {@link #killKaraf()} leaves no Karaf JVM behind even when a test fails.
 */
public class KarafFeaturesIT {
    /** From the start of the JVM to a report with every feature installed and Python answering in every mode. */
    private static final Duration BOOT = Duration.ofSeconds(60);
    /** FileInstall polls deploy/ every second; a strategy arrives or leaves within a few. */
    private static final Duration SWAP = Duration.ofSeconds(20);

    /** Services of the greetings example that its Java bundle exports to Python. */
    private static final String COUNTER = "io.pyhost.examples.greetings.api.Counter";
    private static final String RECEPTION = "io.pyhost.examples.greetings.api.Reception";

    private KarafInstance karaf;

    @After
    public void killKaraf() {
        if (karaf != null) {
            karaf.close();
            assertFalse("a Karaf JVM is left", karaf.isAlive());
        }
    }

    @Test
    public void featuresInstallAtBootAndPythonRunsInEveryMode() throws Exception {
        karaf = KarafInstance.create("features")
                .bootFeatures("pyhost-worker", "pyhost-subinterp", "pyhost-owngil", "pyhost-shell", "pyhost-examples")
                // slug() and SETTINGS_APPLIED come from the example plugins' preload fragments; greetings.shout, the
                // Counter and the Reception from the greetings example's Java bundle, the Reception greeting through
                // the Greeter its Python plugin registered (the worker preload's, evaluated first)
                .probe("expression", "f\"{__import__('sys').version.split()[0]} interpreter={__import__('_interpreters').get_current()[0]}"
                        + " slug={slug('Python inside Apache Karaf')} settings={'+'.join(SETTINGS_APPLIED)}"
                        + " shout={pyhost.call('greetings.shout', 'karaf')} visitor={pyhost.service('" + COUNTER + "').next()}"
                        + " welcome={pyhost.service('" + RECEPTION + "').welcome('Karaf')}\"")
                .probe("shellLine", "py:eval '6 * 7'")
                .probe("shellControlLine", "echo karaf");
        long started = System.nanoTime();
        karaf.start();

        Properties report = karaf.awaitReport("all three modes evaluated, py: commands registered",
                r -> "owngil,subinterp,worker".equals(r.getProperty("modes"))
                        && r.containsKey("worker.result") && r.containsKey("subinterp.result") && r.containsKey("owngil.result")
                        && r.getProperty("shell.functions", "").contains("eval"),
                BOOT);
        System.out.printf("Karaf: features installed and Python answering in every mode %d ms after start%n",
                (System.nanoTime() - started) / 1_000_000);
        System.out.println("Karaf probe report: " + new TreeMap<>(report));

        assertEquals("bin/karaf daemon execs the JVM, whose PID Karaf writes to karaf.pid", karaf.processPid(), karaf.pidFromFile());
        List<String> commandLine = karaf.commandLine();
        for (String flag : (KarafInstance.JAVA_OPTS + " " + KarafInstance.EXTRA_JAVA_OPTS).split(" ")) {
            assertTrue("the Karaf JVM runs with " + flag + ": " + commandLine, commandLine.contains(flag));
        }
        assertFalse("JAVA_OPTS replaced bin/karaf's default -Djava.security.manager=allow, which Java 24+ refuses",
                commandLine.contains("-Djava.security.manager=allow"));

        String slugAndSettings = " slug=python-inside-apache settings=defaults+overrides";
        // the Counter counts every evaluation
        String greetings = " shout=KARAF! visitor=[1-9][0-9]* welcome=HELLO, KARAF! You are visitor [1-9][0-9]*\\.";
        String worker = report.getProperty("worker.result");
        assertTrue("worker runs in the main interpreter, with the plugins' preload and the greetings example: " + worker,
                worker.matches("3\\.14\\.3 interpreter=0" + Pattern.quote(slugAndSettings) + greetings));
        for (String mode : List.of("subinterp", "owngil")) {
            String result = report.getProperty(mode + ".result");
            assertTrue(mode + " runs in a sub-interpreter (id > 0), with the plugins' preload and the greetings example: " + result,
                    result.matches("3\\.14\\.3 interpreter=[1-9][0-9]*" + Pattern.quote(slugAndSettings) + greetings));
        }
        assertTrue(report.getProperty("owngil.provider"), report.getProperty("owngil.provider").startsWith("io.pyhost.strategy.owngil/"));
        assertEquals("in a Karaf without SCR, pyhost brings its own (a dependency bundle of the pyhost feature)",
                "org.apache.felix.scr/" + KarafInstance.property("pyhost.karaf.pyhost.scr.version"), report.getProperty("scr.bundles"));

        // pyhost-shell: the bundle resolves against Karaf's Gogo API and registers its commands ...
        List<String> functions = List.of(report.getProperty("shell.functions").split(","));
        assertTrue("py: commands registered: " + functions, functions.containsAll(List.of("eval", "exec", "run", "modes", "preload", "paths", "imports")));
        // ... but on Java 24+ Karaf's shell cannot even list or run commands, its own included
        // (Subject.getSubject throws); should a later Karaf fix that, py:eval must answer 42
        String commands = report.getProperty("karaf.shell.commands");
        String execute = report.getProperty("karaf.shell.execute");
        String control = report.getProperty("karaf.shell.control");
        System.out.println("Karaf shell: commands " + commands + "; py:eval " + execute + "; echo " + control);
        assertTrue(commands, commands.contains("eval") || commands.contains("getSubject is not supported"));
        assertTrue(execute, execute.startsWith("ok") ? execute.contains("42") : execute.contains("getSubject is not supported"));
        assertTrue(control, control.startsWith("ok") || control.contains("getSubject is not supported"));

        List<InetSocketAddress> sockets = karaf.listeningAddresses();
        System.out.println("Karaf listens on " + sockets);
        assertTrue("Karaf's ssh server is on 127.0.0.1:" + karaf.sshPort() + ": " + sockets,
                sockets.stream().anyMatch(a -> a.getPort() == karaf.sshPort()));
        for (InetSocketAddress socket : sockets) {
            assertTrue("every socket of Karaf is on loopback: " + sockets, socket.getAddress().isLoopbackAddress());
        }

        System.out.println("Karaf stopped: " + karaf.stopByPid());
        assertFalse(karaf.isAlive());
    }

    @Test
    public void strategyHotSwapsThroughDeploy() throws Exception {
        // with another SCR installed (as Karaf's scr feature would), pyhost's own stays out
        karaf = KarafInstance.create("deploy").bootFeatures(KarafInstance.OTHER_SCR, "pyhost-worker");
        Path owngil = Path.of(KarafInstance.property("pyhost.karaf.repo"), "io/pyhost/pyhost-strategy-owngil",
                KarafInstance.property("pyhost.karaf.version"),
                "pyhost-strategy-owngil-" + KarafInstance.property("pyhost.karaf.version") + ".jar");
        String v1 = KarafInstance.bundleVersion(owngil);
        String v2 = v1.replaceFirst("^(\\d+\\.\\d+\\.\\d+).*", "$1.hotswap");
        Path owngilV2 = KarafInstance.withBundleVersion(owngil, v2, karaf.base().resolve("staging/owngil-v2.jar"));
        karaf.start();

        Properties report = karaf.awaitReport("worker only", r -> "worker".equals(r.getProperty("modes"))
                && r.containsKey("worker.result") && r.containsKey("owngil.error"), BOOT);
        assertEquals("pyhost uses the SCR that is there", "org.apache.felix.scr/" + KarafInstance.property("pyhost.karaf.scr.version"),
                report.getProperty("scr.bundles"));
        assertTrue("an absent mode is refused naming the present ones: " + report.getProperty("owngil.error"),
                report.getProperty("owngil.error").startsWith("java.lang.IllegalArgumentException")
                        && report.getProperty("owngil.error").contains("worker"));

        long swap = System.nanoTime();
        karaf.deploy(owngil, "pyhost-strategy-owngil.jar");
        report = karaf.awaitReport("owngil " + v1 + " dropped into deploy/", r -> answers(r, "owngil", v1), SWAP);
        System.out.printf("Karaf: owngil answered %d ms after its jar was dropped into deploy/%n", (System.nanoTime() - swap) / 1_000_000);

        swap = System.nanoTime();
        karaf.deploy(owngilV2, "pyhost-strategy-owngil.jar");
        report = karaf.awaitReport("owngil replaced by " + v2 + " in deploy/", r -> answers(r, "owngil", v2), SWAP);
        System.out.printf("Karaf: owngil %s answered %d ms after it replaced %s in deploy/%n", v2, (System.nanoTime() - swap) / 1_000_000, v1);

        Files.delete(karaf.deploy().resolve("pyhost-strategy-owngil.jar"));
        report = karaf.awaitReport("owngil gone after its jar left deploy/", r -> "worker".equals(r.getProperty("modes"))
                && r.getProperty("owngil.provider", "x").isEmpty() && r.containsKey("owngil.error") && r.containsKey("worker.result"), SWAP);

        karaf.deploy(owngilV2, "pyhost-strategy-owngil.jar");
        report = karaf.awaitReport("owngil back after its jar returned to deploy/", r -> answers(r, "owngil", v2), SWAP);
        System.out.println("Karaf probe report after the swaps: " + new TreeMap<>(report));

        System.out.println("Karaf stopped: " + karaf.stopByPid());
        assertFalse(karaf.isAlive());
    }

    /** {@code mode} is present, served by the owngil bundle of {@code version}, evaluates, and worker still does. */
    private static boolean answers(Properties report, String mode, String version) {
        return report.getProperty("modes", "").contains(mode)
                && report.getProperty(mode + ".provider", "").equals("io.pyhost.strategy." + mode + "/" + version)
                && report.getProperty(mode + ".result", "").startsWith("[3.14.3, ")
                && report.containsKey("worker.result");
    }
}
