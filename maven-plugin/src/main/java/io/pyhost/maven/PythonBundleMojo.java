package io.pyhost.maven;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactRequest;
import org.eclipse.aether.resolution.ArtifactResolutionException;

/**
 * Installs wheels into the bundle with the embedded CPython's own pip, offline, and writes the
 * bundle's Python headers as a bnd include file.
 *
 * <ol>
 * <li>Resolves the embedded CPython ({@code org.bytedeco:cpython}, linux-x86_64) through Maven
 *     and unpacks it once into {@link #pythonDirectory}.</li>
 * <li>Refuses, before pip runs, every wheel to install whose tags the embedded CPython does not
 *     accept (the tags its pip computes), naming the wheel, the offending tag and the accepted ones.</li>
 * <li>Runs {@code pip install --no-index --find-links <wheelDirectory> --only-binary :all: --target
 *     <outputDirectory>/<sitePackages>}: with a {@link #requirementsFile}, what it names; without,
 *     every wheel in {@link #wheelDirectory}. Dependencies resolve from the same directory
 *     (unless {@link #resolveDependencies} is false), so a missing one fails the build.</li>
 * <li>Reads each installed {@code *.dist-info/METADATA} and writes {@link #bndFile}: {@code Python-Path},
 *     one {@code python.package} capability per distribution, the extender requirement.</li>
 * </ol>
 */
@Mojo(name = "python-bundle", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class PythonBundleMojo extends AbstractMojo {

    /** Wheels to install (every {@code *.whl} here when no requirements file is given), and where pip looks for requirements and dependencies. */
    @Parameter(property = "pyhost.wheelDirectory")
    File wheelDirectory;

    /** A pip requirements file; pip finds what it names in {@link #wheelDirectory} (default: the file's own directory). */
    @Parameter(property = "pyhost.requirementsFile")
    File requirementsFile;

    /** The directory inside the bundle that receives the packages; it becomes {@code Python-Path}. */
    @Parameter(defaultValue = "python/site-packages")
    String sitePackages;

    /** The bundle's content directory (what bnd and the jar plugin package). */
    @Parameter(defaultValue = "${project.build.outputDirectory}")
    File outputDirectory;

    /** The bnd include file written for {@code bnd.bnd}'s {@code -include: ~...}. */
    @Parameter(defaultValue = "${project.build.directory}/pyhost/python-bundle.bnd")
    File bndFile;

    /** Where the embedded CPython is unpacked (95 MB; reused while the jar is the same). */
    @Parameter(defaultValue = "${project.build.directory}/pyhost/cpython")
    File pythonDirectory;

    /** The CPython to run, as {@code groupId:artifactId:extension:classifier:version}; default: the one the pyhost runtime embeds. */
    @Parameter
    String cpythonArtifact;

    /** Let pip install the dependencies of the given wheels (from {@link #wheelDirectory}); false passes {@code --no-deps}. */
    @Parameter(defaultValue = "true")
    boolean resolveDependencies;

    /** Also write {@code Require-Capability} on the pyhost preload extender, which reads {@code Python-Path}. */
    @Parameter(defaultValue = "true")
    boolean requireExtender;

    /** Upper bound for one pip run. */
    @Parameter(defaultValue = "600")
    int pipTimeoutSeconds;

    @Parameter(property = "pyhost.skip", defaultValue = "false")
    boolean skip;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true)
    File buildDirectory;

    @Parameter(defaultValue = "${repositorySystemSession}", readonly = true)
    RepositorySystemSession repositorySession;

    @Parameter(defaultValue = "${project.remoteProjectRepositories}", readonly = true)
    List<RemoteRepository> repositories;

    @Component
    RepositorySystem repositorySystem;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("pyhost: python-bundle skipped");
            return;
        }
        if (wheelDirectory == null && requirementsFile == null) {
            throw new MojoFailureException("pyhost python-bundle: set wheelDirectory, requirementsFile or both");
        }
        if (!isLinuxX86_64()) {
            throw new MojoFailureException("pyhost python-bundle: the embedded CPython is a linux-x86_64 build; this build runs on "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        }
        try {
            Path links = wheelDirectory != null ? wheelDirectory.toPath() : requirementsFile.toPath().toAbsolutePath().getParent();
            if (!Files.isDirectory(links)) {
                throw new MojoFailureException("pyhost python-bundle: wheelDirectory " + links + " is not a directory");
            }
            if (requirementsFile != null && !Files.isRegularFile(requirementsFile.toPath())) {
                throw new MojoFailureException("pyhost python-bundle: requirementsFile " + requirementsFile + " does not exist");
            }
            List<WheelFile> available = wheels(links);
            List<WheelFile> toCheck;
            if (requirementsFile != null) {
                toCheck = wheelsNamedBy(available, Files.readAllLines(requirementsFile.toPath(), StandardCharsets.UTF_8));
            } else {
                if (available.isEmpty()) {
                    throw new MojoFailureException("pyhost python-bundle: no *.whl in " + links);
                }
                toCheck = available;
            }

            EmbeddedPython python = EmbeddedPython.unpack(resolveCpython(), pythonDirectory.toPath());
            Path work = buildDirectory.toPath().resolve("pyhost");
            Files.createDirectories(work);
            String pythonName = "the embedded CPython " + python.version(work);
            List<String> misfits = misfits(toCheck, python.supportedTags(work), pythonName, requirementsFile != null);
            if (!misfits.isEmpty()) {
                misfits.forEach(getLog()::error);
                throw new MojoFailureException("pyhost python-bundle: " + String.join("; ", misfits));
            }

            Path target = outputDirectory.toPath().resolve(sitePackages).normalize();
            if (!target.startsWith(outputDirectory.toPath().normalize()) || target.equals(outputDirectory.toPath().normalize())) {
                throw new MojoFailureException("pyhost python-bundle: sitePackages " + sitePackages + " must name a directory inside " + outputDirectory);
            }
            EmbeddedPython.deleteTree(target); // nothing stale from an earlier build
            Files.createDirectories(target);
            List<String> pip = new ArrayList<>(List.of("-m", "pip", "install", "--no-index", "--find-links", links.toAbsolutePath().toString(),
                    "--only-binary", ":all:", "--target", target.toString(), "--no-compile", "--no-cache-dir", "--no-warn-script-location", "--root-user-action", "ignore"));
            if (!resolveDependencies) {
                pip.add("--no-deps");
            }
            if (requirementsFile != null) {
                pip.add("--requirement");
                pip.add(requirementsFile.getAbsolutePath());
            } else {
                available.forEach(w -> pip.add(links.resolve(w.fileName()).toAbsolutePath().toString()));
            }
            getLog().info("pyhost: pip install into " + target + " with " + pythonName);
            EmbeddedPython.Result result = python.run(pip, work, pipTimeoutSeconds);
            result.output().lines().forEach(line -> getLog().info("pip: " + line));
            if (!result.ok()) {
                throw new MojoFailureException("pyhost python-bundle: pip install failed (exit " + result.exitCode() + "):\n" + result.output());
            }
            // console scripts: their #! names this build's interpreter; nothing in a bundle can run them
            EmbeddedPython.deleteTree(target.resolve("bin"));
            // PEP 610 records the wheel's file: URL on this machine; a bundle has no use for it, and it differs per build
            try (Stream<Path> infos = Files.list(target)) {
                for (Path info : infos.filter(p -> p.getFileName().toString().endsWith(".dist-info")).toList()) {
                    if (Files.deleteIfExists(info.resolve("direct_url.json"))) {
                        Path record = info.resolve("RECORD");
                        String entry = info.getFileName() + "/direct_url.json,";
                        Files.write(record, Files.readAllLines(record, StandardCharsets.UTF_8).stream().filter(l -> !l.startsWith(entry)).toList(),
                                StandardCharsets.UTF_8);
                    }
                }
            }

            List<DistributionMetadata> installed = installed(target);
            if (installed.isEmpty()) {
                throw new MojoFailureException("pyhost python-bundle: pip installed nothing into " + target);
            }
            Files.createDirectories(bndFile.toPath().getParent());
            Files.writeString(bndFile.toPath(), BundleHeaders.bndFile(sitePackages, installed, requireExtender), StandardCharsets.UTF_8);
            for (DistributionMetadata d : installed) {
                getLog().info("pyhost: " + d.name() + " " + d.version() + " -> " + BundleHeaders.capability(d));
            }
            getLog().info("pyhost: headers in " + bndFile + " (bnd.bnd: -include: ~" + bndFile + ")");
        } catch (IOException | IllegalArgumentException e) {
            throw new MojoExecutionException("pyhost python-bundle: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MojoExecutionException("pyhost python-bundle: interrupted", e);
        }
    }

    private static boolean isLinuxX86_64() {
        String arch = System.getProperty("os.arch", "");
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    private Path resolveCpython() throws MojoExecutionException {
        String coordinates = cpythonArtifact != null ? cpythonArtifact : EmbeddedPython.defaults().getProperty("coordinates");
        try {
            return repositorySystem.resolveArtifact(repositorySession, new ArtifactRequest(new DefaultArtifact(coordinates), repositories, null))
                    .getArtifact().getFile().toPath();
        } catch (ArtifactResolutionException e) {
            throw new MojoExecutionException("pyhost python-bundle: cannot resolve the embedded CPython " + coordinates + ": " + e.getMessage(), e);
        }
    }

    /** Every {@code *.whl} in {@code directory}, by file name. */
    static List<WheelFile> wheels(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".whl") && Files.isRegularFile(f))
                    .map(f -> WheelFile.parse(f.getFileName().toString()))
                    .sorted((a, b) -> a.fileName().compareTo(b.fileName()))
                    .toList();
        }
    }

    private static final Pattern REQUIREMENT_NAME = Pattern.compile("^\\s*([A-Za-z0-9][A-Za-z0-9._-]*)");

    /**
     * The wheels a requirements file asks for that pip could pick: the wheels of every
     * distribution it names by name, and the wheel files it names by path. A wheel directory may
     * hold several builds of one distribution, of which pip takes one that fits; so a name is
     * refused (by {@link #misfits}) only when none of its wheels fits.
     */
    static List<WheelFile> wheelsNamedBy(List<WheelFile> available, List<String> requirementLines) {
        Set<String> names = new java.util.HashSet<>();
        List<WheelFile> named = new ArrayList<>();
        for (String raw : requirementLines) {
            String line = raw.replaceFirst("(^|\\s)#.*$", "").strip();
            if (line.isEmpty() || line.startsWith("-")) {
                continue;
            }
            if (line.endsWith(".whl")) {
                named.add(WheelFile.parse(Path.of(line).getFileName().toString()));
                continue;
            }
            Matcher m = REQUIREMENT_NAME.matcher(line);
            if (m.find()) {
                names.add(DistributionMetadata.normalizeName(m.group(1)));
            }
        }
        for (WheelFile wheel : available) {
            if (names.contains(wheel.normalizedName())) {
                named.add(wheel);
            }
        }
        return named;
    }

    /**
     * One message per refused wheel: every wheel that does not fit; with {@code pipPicks}, only
     * those of a distribution and version of which no wheel fits (pip picks one that does).
     */
    static List<String> misfits(List<WheelFile> wheels, SupportedTags supported, String python, boolean pipPicks) {
        Map<String, List<WheelFile>> byRelease = new TreeMap<>();
        for (WheelFile wheel : wheels) {
            String key = pipPicks ? wheel.normalizedName() + " " + wheel.version() : wheel.fileName();
            byRelease.computeIfAbsent(key, k -> new ArrayList<>()).add(wheel);
        }
        List<String> misfits = new ArrayList<>();
        for (List<WheelFile> builds : byRelease.values()) {
            List<Optional<String>> reasons = builds.stream().map(w -> w.misfit(supported, python)).toList();
            if (reasons.stream().allMatch(Optional::isPresent)) {
                reasons.forEach(r -> misfits.add(r.get()));
            }
        }
        return misfits;
    }

    /** Name and version of every distribution in {@code sitePackages}, by normalized name. */
    static List<DistributionMetadata> installed(Path sitePackages) throws IOException {
        List<DistributionMetadata> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(sitePackages)) {
            for (Path info : entries.filter(p -> p.getFileName().toString().endsWith(".dist-info") && Files.isDirectory(p)).toList()) {
                Path metadata = info.resolve("METADATA");
                if (!Files.isRegularFile(metadata)) {
                    throw new IOException(info + " has no METADATA");
                }
                found.add(DistributionMetadata.parse(Files.readString(metadata, StandardCharsets.UTF_8), sitePackages.relativize(metadata).toString()));
            }
        }
        found.sort((a, b) -> a.normalizedName().compareTo(b.normalizedName()));
        return found;
    }
}
