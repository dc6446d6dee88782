package io.pyhost.maven;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The embedded CPython (the {@code org.bytedeco:cpython} jar the pyhost runtime ships) unpacked
 * into a directory of the build and run as a child process. Only the child gets
 * {@code PYTHONHOME} and {@code LD_LIBRARY_PATH}; the child sees no {@code PYTHON*} or
 * {@code PIP_*} variable of the build's environment, no user site-packages and no pip
 * configuration file, so the result depends on the given wheels only.
 */
final class EmbeddedPython {
    /** Written last into an unpacked tree; names the jar it came from, so another jar unpacks anew. */
    private static final String MARKER = ".pyhost-unpacked";

    private final Path home;
    private final Path executable;

    private EmbeddedPython(Path home, Path executable) {
        this.home = home;
        this.executable = executable;
    }

    /** The coordinates and layout of the default CPython (resource {@code embedded-cpython.properties}). */
    static Properties defaults() {
        Properties properties = new Properties();
        try (InputStream in = EmbeddedPython.class.getResourceAsStream("embedded-cpython.properties")) {
            properties.load(in);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the plugin jar lacks io/pyhost/maven/embedded-cpython.properties", e);
        }
        return properties;
    }

    /**
     * The CPython of {@code jar}, unpacked into {@code directory} unless an earlier run left the
     * same jar's complete tree there. A tree is published by one rename, so a concurrent build
     * finds either none or a complete one.
     */
    static EmbeddedPython unpack(Path jar, Path directory) throws IOException {
        Properties layout = defaults();
        String root = layout.getProperty("root");
        String identity = jar.toAbsolutePath() + " " + Files.size(jar) + " " + Files.getLastModifiedTime(jar).toMillis();
        Path marker = directory.resolve(MARKER);
        if (!Files.isRegularFile(marker) || !Files.readString(marker).equals(identity)) {
            Files.createDirectories(directory.getParent());
            Path staging = Files.createTempDirectory(directory.getParent(), directory.getFileName() + ".unpacking-");
            try {
                int files = extract(jar, root, staging);
                if (files == 0) {
                    throw new IOException(jar + " holds nothing under " + root + ": not a CPython of org.bytedeco");
                }
                Files.writeString(staging.resolve(MARKER), identity);
                deleteTree(directory);
                try {
                    Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                    // another build published the same tree meanwhile
                    if (!Files.isRegularFile(marker) || !Files.readString(marker).equals(identity)) {
                        throw e;
                    }
                }
            } finally {
                deleteTree(staging);
            }
        }
        Path executable = directory.resolve(layout.getProperty("executable"));
        if (!Files.isRegularFile(executable)) {
            throw new IOException(jar + " has no " + layout.getProperty("executable") + " under " + root);
        }
        // a jar keeps no file modes
        executable.toFile().setExecutable(true, false);
        return new EmbeddedPython(directory, executable);
    }

    private static int extract(Path jar, String root, Path target) throws IOException {
        int files = 0;
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null;) {
                if (!entry.getName().startsWith(root) || entry.getName().length() == root.length()) {
                    continue;
                }
                Path file = target.resolve(entry.getName().substring(root.length())).normalize();
                if (!file.startsWith(target)) {
                    throw new IOException(jar + ": entry " + entry.getName() + " leaves the target directory");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(file);
                } else {
                    Files.createDirectories(file.getParent());
                    Files.copy(zip, file);
                    files++;
                }
            }
        }
        return files;
    }

    Path home() {
        return home;
    }

    Path executable() {
        return executable;
    }

    /** What a finished child process printed (stdout and stderr merged) and its exit status. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs the interpreter with {@code arguments}, bounded by {@code timeoutSeconds}. */
    Result run(List<String> arguments, Path workingDirectory, long timeoutSeconds) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.add("-s"); // no user site-packages (-I would also ignore PYTHONHOME)
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("PYTHON") || k.startsWith("PIP_"));
        env.put("PYTHONHOME", home.toString());
        String libraries = env.get("LD_LIBRARY_PATH");
        env.put("LD_LIBRARY_PATH", home + ":" + home.resolve("lib") + (libraries == null || libraries.isEmpty() ? "" : ":" + libraries));
        env.put("PIP_CONFIG_FILE", "/dev/null");
        env.put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        env.put("PIP_NO_INPUT", "1");
        env.put("PYTHONUTF8", "1");
        env.put("PYTHONNOUSERSITE", "1");
        Process process = builder.start();
        process.getOutputStream().close();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().name("pyhost-python-output").start(() -> {
            try (InputStream in = process.getInputStream()) {
                in.transferTo(output);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(TimeUnit.SECONDS.toMillis(10));
            throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s; its output:\n"
                    + output.toString(StandardCharsets.UTF_8));
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return new Result(process.exitValue(), output.toString(StandardCharsets.UTF_8));
    }

    /** The wheel tags this interpreter's pip accepts, most preferred first (pip's own vendored {@code packaging.tags}). */
    SupportedTags supportedTags(Path workingDirectory) throws IOException, InterruptedException {
        Result result = run(List.of("-c", "from pip._vendor.packaging import tags\nfor t in tags.sys_tags(): print(t)"),
                workingDirectory, 120);
        if (!result.ok()) {
            throw new IOException("the embedded CPython could not list its wheel tags (exit " + result.exitCode() + "):\n" + result.output());
        }
        return new SupportedTags(result.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    }

    /** The interpreter's {@code major.minor.micro}, for messages. */
    String version(Path workingDirectory) throws IOException, InterruptedException {
        Result result = run(List.of("-c", "import platform; print(platform.python_version())"), workingDirectory, 120);
        if (!result.ok()) {
            throw new IOException("the embedded CPython does not start (exit " + result.exitCode() + "):\n" + result.output());
        }
        return result.output().strip();
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
