package io.pyhost.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The measurements that are not JMH's: each needs a fresh JVM or process of its own.
 * <ul>
 * <li>memory: {@link MemoryProbe} per mode and preload, 100 contexts (10 with --quick);
 * <li>cold start: from starting a JVM (or a python3 process) to the first result of {@code 1 + 1}.
 * </ul>
 */
final class Probes {
    private Probes() {
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> graalpyArgs() {
        Path graalpy = Main.jarPath().getParent().resolve("graalpy");
        return List.of("--module-path", graalpy.toString(), "--add-modules", "org.graalvm.polyglot",
                "--enable-native-access=org.graalvm.truffle", "-Dpolyglot.engine.WarnInterpreterOnly=false");
    }

    static JsonArray memory(boolean quick) {
        int count = quick ? 10 : 100;
        // a GraalPy context with the realistic preload takes 1-2 s to make here: 20 keep the probe near half a minute
        int graalpyCount = quick ? 5 : 20;
        JsonArray out = new JsonArray();
        boolean graalpy = Files.isDirectory(Main.jarPath().getParent().resolve("graalpy"));
        for (String mode : List.of("worker", "subinterp", "owngil", "graalpy")) {
            if (mode.equals("graalpy") && !graalpy) {
                continue;
            }
            for (String preload : List.of("empty", "realistic")) {
                List<String> command = new ArrayList<>(List.of(java(), "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"));
                command.addAll(Main.FLAGS);
                if (mode.equals("graalpy")) {
                    command.addAll(graalpyArgs());
                }
                command.addAll(List.of("-cp", Main.jarPath().toString(), MemoryProbe.class.getName(), mode, preload,
                        String.valueOf(mode.equals("graalpy") ? graalpyCount : count)));
                try {
                    List<String> lines = Main.exec(command, 600);
                    JsonObject line = JsonParser.parseString(lines.getLast()).getAsJsonObject();
                    System.out.println("memory: " + line);
                    out.add(line);
                } catch (IOException | RuntimeException | InterruptedException e) {
                    System.out.println("memory probe " + mode + "/" + preload + " failed: " + e);
                }
            }
        }
        return out;
    }

    static JsonArray coldStart(boolean quick) {
        int runs = quick ? 1 : 5;
        JsonArray out = new JsonArray();
        List<String> pyhost = new ArrayList<>(List.of(java()));
        pyhost.addAll(Main.FLAGS);
        pyhost.addAll(List.of("-cp", Main.jarPath().toString(), ColdStart.class.getName(), "pyhost"));
        List<String> graalpy = new ArrayList<>(List.of(java()));
        graalpy.addAll(Main.FLAGS);
        graalpy.addAll(graalpyArgs());
        graalpy.addAll(List.of("-cp", Main.jarPath().toString(), ColdStart.class.getName(), "graalpy"));
        List<String> process = List.of(PipeWorker.embeddedPython().toString(), "-c", "print('result', 1 + 1, flush=True)");
        record Probe(String what, List<String> command) {
        }
        for (Probe probe : List.of(new Probe("pyhost (JVM start, CPython init, worker context, eval)", pyhost),
                new Probe("GraalPy interpreter-only (JVM start, context, eval)", graalpy),
                new Probe("CPython process (python3 -c, embedded build)", process))) {
            JsonArray times = new JsonArray();
            for (int i = 0; i < runs; i++) {
                try {
                    times.add(timeToResult(probe.command()));
                } catch (IOException | InterruptedException e) {
                    System.out.println("cold start " + probe.what() + " failed: " + e);
                    break;
                }
            }
            JsonObject entry = new JsonObject();
            entry.addProperty("what", probe.what());
            entry.add("ms", times);
            System.out.println("cold start: " + entry);
            out.add(entry);
        }
        return out;
    }

    /** Milliseconds from starting the process to its line "result 2". */
    private static long timeToResult(List<String> command) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.equals("result 2")) {
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    p.waitFor(30, TimeUnit.SECONDS);
                    return ms;
                }
            }
        } finally {
            p.destroyForcibly();
        }
        throw new IOException("no result from " + command);
    }
}
