package io.pyhost.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Runs the whole suite in one command and writes {@code results/<date>.json} (JMH's JSON, every
 * run merged), {@code results/<date>.probes.json} (memory per context, cold start, the machine)
 * and {@code results/<date>.md} (the tables, made by {@link Report}).
 *
 * <p>The JMH runs, each with the JVM flags it needs in its forks:
 * <ol>
 * <li>{@code pyhost}: SmallCall, Throughput, Creation, Burn, Conversion, Sandbox, Upcall, UpcallParts, PythonService,
 * ParallelUpcall, Floor;
 * <li>{@code processes}: the CPython worker-process pool, and a system CPython's burn;
 * <li>{@code graalpy}: GraalPy interpreter-only (its jars on the module path);
 * <li>{@code graalpy-jit}: GraalPy with the Graal JIT on stock JDK 25 (JVMCI on, the compiler on the upgrade module path).
 * </ol>
 * then {@code probes} (plain JVMs, not JMH): RSS per context per mode, time to the first result.
 */
public final class Main {
    static final List<String> FLAGS = List.of(Jvm.NATIVE_ACCESS, Jvm.UNSAFE);

    /** One JMH run; {@code warmupSeconds} (0: the annotations') lengthens timed warm-up iterations. */
    private record Run(String name, List<String> classes, List<String> jvmArgs, Map<String, String> params, String skipped,
            int warmupSeconds) {
    }

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        String only = null;
        List<String> runs = new ArrayList<>(List.of("pyhost", "processes", "graalpy", "graalpy-jit", "probes"));
        Path results = benchmarksDir().resolve("results");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> only = args[++i];
                case "--runs" -> runs = List.of(args[++i].split(","));
                case "--results" -> results = Path.of(args[++i]);
                case "-h", "--help" -> {
                    usage();
                    return;
                }
                default -> {
                    System.err.println("unknown argument: " + args[i]);
                    usage();
                    System.exit(64);
                }
            }
        }
        Files.createDirectories(results);
        String stamp = stamp(results);
        Path json = results.resolve(stamp + ".json");
        Path probesJson = results.resolve(stamp + ".probes.json");
        Path markdown = results.resolve(stamp + ".md");

        JsonObject probes = new JsonObject();
        probes.add("machine", machine(quick, String.join(" ", args)));
        JsonArray merged = new JsonArray();
        List<String> notes = new ArrayList<>();
        if (runs.contains("processes") && !Files.isExecutable(Path.of(SystemPythonBench.PYENV_313))) {
            notes.add("system CPython " + SystemPythonBench.PYENV_313 + " is absent: its burn was not measured");
        }
        for (Run run : plan()) {
            if (!runs.contains(run.name())) {
                continue;
            }
            if (run.skipped() != null) {
                System.out.println("=== " + run.name() + ": SKIPPED: " + run.skipped());
                notes.add(run.name() + " skipped: " + run.skipped());
                continue;
            }
            System.out.println("=== " + run.name() + ": " + run.classes());
            JsonArray got = runJmh(run, only, quick);
            System.out.println("=== " + run.name() + ": " + got.size() + " results");
            merged.addAll(got);
            Files.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(merged)); // after every run: a crash keeps what was done
        }
        if (runs.contains("pyhost") || runs.contains("processes") || runs.contains("graalpy") || runs.contains("graalpy-jit")) {
            Files.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(merged));
            System.out.println("JMH results: " + json);
        }
        if (runs.contains("probes")) {
            probes.add("memory", Probes.memory(quick));
            probes.add("coldStart", Probes.coldStart(quick));
        }
        JsonArray noteArray = new JsonArray();
        notes.forEach(noteArray::add);
        probes.add("notes", noteArray);
        probes.getAsJsonObject("machine").addProperty("loadAverageAtEnd", loadAverage());
        Files.writeString(probesJson, new GsonBuilder().setPrettyPrinting().create().toJson(probes));
        System.out.println("probes: " + probesJson);

        String table = Report.render(merged, probes, "java -jar benchmarks/target/pyhost-benchmarks.jar " + String.join(" ", args));
        Files.writeString(markdown, table);
        System.out.println();
        System.out.println(table);
        System.out.println("tables: " + markdown);
    }

    private static void usage() {
        System.out.println("""
                usage: java -jar target/pyhost-benchmarks.jar [--quick] [--only REGEX] [--runs LIST] [--results DIR]

                  --quick        smoke settings: 1 fork, 1 short warm-up, 2 short iterations, 10 contexts in the memory probe
                  --only REGEX   only benchmarks whose name matches (e.g. 'SmallCallBench.evalCached|BurnBench')
                  --runs LIST    comma-separated subset of pyhost,processes,graalpy,graalpy-jit,probes (default: all)
                  --results DIR  where <date>.json, <date>.probes.json and <date>.md go (default: benchmarks/results)
                """);
    }

    /** The runs, each with what its forks need; a run that cannot work here says why. */
    static List<Run> plan() {
        Path target = jarPath().getParent();
        Path graalpy = target.resolve("graalpy");
        Path compiler = target.resolve("graal-compiler");
        List<String> graalpyArgs = new ArrayList<>(FLAGS);
        graalpyArgs.addAll(List.of("--module-path", graalpy.toString(), "--add-modules", "org.graalvm.polyglot",
                "--enable-native-access=org.graalvm.truffle", "-Dpolyglot.engine.WarnInterpreterOnly=false"));
        List<String> jitArgs = new ArrayList<>(List.of("-XX:+UnlockExperimentalVMOptions", "-XX:+EnableJVMCI",
                "--upgrade-module-path", compiler.toString()));
        jitArgs.addAll(graalpyArgs);
        String noGraalpy = Files.isDirectory(graalpy) ? null : "no GraalPy jars at " + graalpy + " (build with mvn package)";
        String noCompiler = noGraalpy != null ? noGraalpy
                : Files.isDirectory(compiler) ? null : "no Graal compiler at " + compiler + " (build with mvn package)";
        Path systemPython = Path.of(SystemPythonBench.PYENV_313);
        List<String> processClasses = Files.isExecutable(systemPython)
                ? List.of("ProcessPoolBench", "SystemPythonBench") : List.of("ProcessPoolBench");
        if (!Files.isExecutable(systemPython)) {
            System.out.println("=== processes: system CPython " + systemPython + " is absent: SystemPythonBench is skipped");
        }
        return List.of(
                new Run("pyhost", List.of("SmallCallBench", "ThroughputBench", "CreationBench", "BurnBench", "ConversionBench", "SandboxBench", "UpcallBench",
                        "UpcallPartsBench", "PythonServiceBench", "ParallelUpcallBench", "HandleBench", "BufferBench", "FloorBench", "ProcessModeBench", "JepBench"), FLAGS, Map.of(), null, 0),
                new Run("processes", processClasses, FLAGS, Map.of("python", systemPython.toString()), null, 0),
                new Run("graalpy", List.of("GraalPyBench"), graalpyArgs, Map.of("compiler", "interpreter"), noGraalpy, 0),
                new Run("graalpy-jit", List.of("GraalPyBench"), jitArgs, Map.of("compiler", "jit"), noCompiler,
                        // Graal compiles in the background on the same 2 cores: 3 x 1 s is still compiling
                        3));
    }

    private static JsonArray runJmh(Run run, String only, boolean quick) throws Exception {
        String classes = String.join("|", run.classes());
        String include = (only == null ? "" : "(?=.*(?:" + only + "))") + "^io\\.pyhost\\.bench\\.(?:" + classes + ")\\.";
        Pattern.compile(include); // a bad --only fails here, not in JMH
        Path out = Files.createTempFile("pyhost-jmh-" + run.name(), ".json");
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(include)
                .jvmArgsAppend(run.jvmArgs().toArray(String[]::new))
                .shouldFailOnError(false)
                .resultFormat(ResultFormatType.JSON)
                .result(out.toString());
        run.params().forEach((k, v) -> options.param(k, v));
        if (run.warmupSeconds() > 0) {
            options.warmupTime(TimeValue.seconds(run.warmupSeconds()));
        }
        if (quick) {
            options.forks(1)
                    .warmupIterations(1).warmupTime(TimeValue.milliseconds(300))
                    .measurementIterations(2).measurementTime(TimeValue.milliseconds(300));
        }
        try {
            new Runner(options.build()).run();
        } catch (org.openjdk.jmh.runner.NoBenchmarksException e) {
            System.out.println("=== " + run.name() + ": no benchmark matches");
            return new JsonArray();
        } catch (org.openjdk.jmh.runner.RunnerException e) {
            System.out.println("=== " + run.name() + " failed: " + e);
        }
        if (!Files.exists(out) || Files.size(out) == 0) {
            return new JsonArray();
        }
        JsonArray got = JsonParser.parseString(Files.readString(out)).getAsJsonArray();
        Files.deleteIfExists(out);
        for (var e : got) {
            e.getAsJsonObject().addProperty("pyhostRun", run.name());
        }
        return got;
    }

    /** benchmarks/ (the jar lies in benchmarks/target). */
    static Path benchmarksDir() {
        return jarPath().getParent().getParent();
    }

    static Path jarPath() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String stamp(Path results) {
        String date = LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE);
        if (!Files.exists(results.resolve(date + ".json")) && !Files.exists(results.resolve(date + ".probes.json"))) {
            return date;
        }
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmmss"));
    }

    private static JsonObject machine(boolean quick, String args) throws IOException {
        JsonObject m = new JsonObject();
        m.addProperty("date", LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 16));
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        m.addProperty("cpu", cpu);
        m.addProperty("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.addProperty("python", Pyhost.installation().version() + " (embedded, " + Pyhost.installation().home() + ")");
        m.addProperty("quick", quick);
        m.addProperty("arguments", args);
        m.addProperty("loadAverageAtStart", loadAverage());
        return m;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Runs a command, returns its standard output lines; stderr is passed through. */
    static List<String> exec(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        if (p.exitValue() != 0) {
            throw new IOException("exit " + p.exitValue() + ": " + command);
        }
        return lines;
    }
}
