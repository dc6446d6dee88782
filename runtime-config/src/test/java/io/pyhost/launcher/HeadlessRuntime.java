package io.pyhost.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The assembled runtime (target/runtime) in a JVM of its own, as {@code ./pyhost eval|exec|gogo}
 * runs it: the launcher with the pyhost JVM flags, one Gogo command line, then exit. Every wait
 * is bounded: a launcher still running at its deadline is killed (with anything it started) and
 * reported as timed out. Used by {@link RuntimeIT} and {@link ContainmentIT}.
 */
final class HeadlessRuntime {
    static final Path RUNTIME = Path.of(System.getProperty("pyhost.runtime.dir", "target/runtime")).toAbsolutePath();
    static final Path CONF = Path.of(System.getProperty("pyhost.conf.dir", ".")).toAbsolutePath();

    private HeadlessRuntime() {
    }

    /**
     * What one launcher run left behind.
     *
     * @param status   the exit status; -1 when it was killed at its deadline
     * @param timedOut it did not end within its bound and was killed
     * @param crashLog the HotSpot fatal error log ({@code hs_err_pid*.log}) it wrote, or null
     */
    record Run(int status, String out, String err, Duration took, boolean timedOut, Path crashLog) {

        /** The first lines of the crash log that say what failed, or "" without one. */
        String crashSummary() {
            if (crashLog == null) {
                return "";
            }
            try (Stream<String> lines = Files.lines(crashLog)) {
                return String.join("\n", lines.limit(12).filter(l -> l.startsWith("#  ") || l.startsWith("# Problematic") || l.startsWith("# C ")
                        || l.startsWith("# V ") || l.startsWith("# J ")).toList());
            } catch (IOException | java.io.UncheckedIOException e) {
                return crashLog + " (unreadable: " + e + ")";
            }
        }
    }

    /**
     * Runs the launcher with {@code -c line} and the given Gogo variables. {@code dir} (empty,
     * private to this run) receives the configuration copy, stdout, stderr, and is the JVM's
     * working directory, where a crashing JVM writes its {@code hs_err_pid*.log}.
     */
    static Run headless(Path dir, Duration timeout, String line, Map<String, String> vars) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-c", line));
        vars.forEach((name, value) -> {
            args.add("--var");
            args.add(name + "=" + value);
        });
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder builder = launcher(RUNTIME, copyConf(dir.resolve("conf")), args)
                .directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.command().add(1, "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"));
        // no core file from a crashing JVM (gigabytes); exec keeps the pid, and a crash keeps its status (134 for abort)
        builder.command().addAll(0, List.of("/bin/sh", "-c", "ulimit -c 0; exec \"$0\" \"$@\""));
        long started = System.nanoTime();
        Process process = builder.start();
        process.getOutputStream().close();
        boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        List<Path> crashLogs = walk(dir, p -> p.getFileName().toString().matches("hs_err_pid.*\\.log"));
        return new Run(ended ? process.exitValue() : -1, Files.readString(out), Files.readString(err), took, !ended,
                crashLogs.isEmpty() ? null : crashLogs.get(0));
    }

    /** A private copy of launcher.properties and config/*.cfg under {@code conf}, so that no run edits the project's files. */
    static Path copyConf(Path conf) throws IOException {
        Files.createDirectories(conf.resolve("config"));
        Files.copy(CONF.resolve("launcher.properties"), conf.resolve("launcher.properties"), StandardCopyOption.REPLACE_EXISTING);
        for (Path cfg : walk(CONF.resolve("config"), p -> p.toString().endsWith(".cfg"))) {
            Files.copy(cfg, conf.resolve("config").resolve(cfg.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        return conf;
    }

    /** {@code java FLAGS -cp RUNTIME/lib/* Launcher --conf CONF ARGS}, with this JVM's java (JDK 25). */
    static ProcessBuilder launcher(Path runtime, Path conf, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(System.getProperty("pyhost.jvm.flags",
                "--enable-native-access=ALL-UNNAMED --illegal-native-access=deny --sun-misc-unsafe-memory-access=allow").trim().split("\\s+")));
        command.add("-Dpyhost.runtime=" + runtime);
        command.addAll(List.of("-cp", runtime.resolve("lib") + "/*", "io.pyhost.launcher.Launcher", "--conf", conf.toString()));
        command.addAll(args);
        return new ProcessBuilder(command);
    }

    static List<Path> walk(Path dir, Predicate<Path> filter) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(filter).sorted().toList();
        }
    }
}
