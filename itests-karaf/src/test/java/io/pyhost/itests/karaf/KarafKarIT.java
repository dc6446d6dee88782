package io.pyhost.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Test;

/**
 * Issue 14, item 6: pyhost in a Karaf 4.4 on Java 25 without its shell and without any Maven
 * repository (apache-karaf-minimal with Karaf's own {@code kar} and {@code deployer} features at boot:
 * minimal lists them but does not carry their bundles, and the standard distribution does not boot on Java 24+). The KAR (features/target/pyhost-&lt;version&gt;.kar) and the probe bundle are
 * dropped into deploy/ of a Karaf that has never heard of pyhost and reads only its own system/;
 * the KAR installs its features marked install="auto" (pyhost and the three modes) by itself, and
 * Python answers in every mode. The features marked install="manual" (the examples) stay out.
 */
public class KarafKarIT {
    /** From the start of the JVM to Python answering in every mode: boot, KAR extraction, feature install. */
    private static final Duration BOOT = Duration.ofSeconds(90);

    private KarafInstance karaf;

    @After
    public void killKaraf() {
        if (karaf != null) {
            karaf.close();
            assertFalse("a Karaf JVM is left", karaf.isAlive());
        }
    }

    @Test
    public void theKarDroppedIntoDeployInstallsItsAutoFeaturesOfflineAndPythonAnswersInEveryMode() throws Exception {
        String version = KarafInstance.property("pyhost.karaf.version");
        Path kar = Path.of(KarafInstance.property("pyhost.karaf.kar"));
        assertTrue(kar + " was built by features/", Files.isRegularFile(kar));
        String karName = "pyhost-" + version + ".kar";

        karaf = KarafInstance.create("kar").offline()
                .probe("expression", "f\"{__import__('sys').version.split()[0]} interpreter={__import__('_interpreters').get_current()[0]}"
                        + " examples={'slug' in globals()}"
                        + " wheel={__import__('importlib.util').util.find_spec('pyhost_wheel_demo') is not None}"
                        // numpy (install="auto"): its sum in worker (raises until the package is there: the probe tries again),
                        // the ImportError's message in a sub-interpreter
                        + " numpy={str(int(__import__('numpy').arange(4).sum())) if __import__('_interpreters').get_current()[0] == 0"
                        + " else (lambda g: (exec('try:\\n import numpy\\n r = 1\\nexcept ImportError as e:\\n r = str(e)', g), g['r'])[1])({})}\"");
        karaf.deploy(kar, karName);
        long started = System.nanoTime();
        karaf.start();

        Properties report = karaf.awaitReport("the KAR's features installed and all three modes evaluated",
                r -> "owngil,process,subinterp,worker".equals(r.getProperty("modes"))
                        && r.containsKey("worker.result") && r.containsKey("subinterp.result") && r.containsKey("owngil.result"),
                BOOT);
        System.out.printf("Karaf: KAR installed from deploy/ and Python answering in every mode %d ms after start%n",
                (System.nanoTime() - started) / 1_000_000);
        System.out.println("Karaf probe report: " + new TreeMap<>(report));

        // install="manual" features of the KAR are not installed: no example preload, no example package
        String manual = " examples=False wheel=False";
        assertTrue("worker in the main interpreter, numpy from the KAR: " + report.getProperty("worker.result"),
                report.getProperty("worker.result").equals("3.14.3 interpreter=0" + manual + " numpy=6"));
        for (String mode : List.of("subinterp", "owngil")) {
            String result = report.getProperty(mode + ".result");
            assertTrue(mode + " in a sub-interpreter, numpy refused with its reason: " + result,
                    result.matches("3\\.14\\.3 interpreter=[1-9][0-9]*" + manual + " numpy=numpy needs a worker context .*"));
            assertTrue(report.getProperty(mode + ".provider"),
                    report.getProperty(mode + ".provider").startsWith("io.pyhost.strategy." + mode + "/"));
        }
        assertEquals("Declarative Services came in the KAR (a dependency bundle of the pyhost feature)",
                "org.apache.felix.scr/" + KarafInstance.property("pyhost.karaf.pyhost.scr.version"), report.getProperty("scr.bundles"));

        // offline: nothing was fetched into the (empty) local Maven repository Karaf was given
        Path m2 = karaf.base().resolve("m2-empty");
        try (Stream<Path> files = Files.exists(m2) ? Files.walk(m2) : Stream.empty()) {
            assertEquals("Karaf's local Maven repository stays empty: everything came from the KAR and system/",
                    List.of(), files.filter(Files::isRegularFile).toList());
        }
        // the KAR deployer kept the KAR's features repository; Karaf's features service lists the auto features as installed
        String state = featuresState(karaf.base());
        assertTrue("the KAR's features repository is registered: " + state, state.contains("\"mvn:io.pyhost/pyhost-features/" + version + "/xml/features\""));
        for (String feature : List.of("pyhost", "pyhost-worker", "pyhost-subinterp", "pyhost-owngil", "pyhost-process", "pyhost-numpy")) {
            assertTrue(feature + " (install=\"auto\") is installed: " + state, state.contains("\"" + feature + "/" + version.replace("-", ".") + "\""));
        }
        for (String feature : List.of("pyhost-shell", "pyhost-jep", "pyhost-examples")) {
            assertFalse(feature + " (install=\"manual\") is not installed: " + state, state.contains(feature + "/"));
        }

        System.out.println("Karaf stopped: " + karaf.stopByPid());
        assertFalse(karaf.isAlive());
    }

    /** What Karaf's features service recorded (repositories, requested and installed features): its state.json in the features bundle's data area. */
    private static String featuresState(Path base) throws Exception {
        try (Stream<Path> files = Files.walk(base.resolve("data/cache"))) {
            List<Path> states = files.filter(p -> p.getFileName().toString().equals("state.json") && p.getParent().getFileName().toString().equals("data"))
                    .toList();
            assertEquals("one features service state: " + states, 1, states.size());
            return Files.readString(states.get(0), StandardCharsets.UTF_8);
        }
    }
}
