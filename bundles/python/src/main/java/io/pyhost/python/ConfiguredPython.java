package io.pyhost.python;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the configuration of a system Python ({@code home}, {@code library}, {@code version} of
 * PID {@value PythonDistributionComponent#PID}) and turns it into a {@link PythonInstallation}.
 * Every failure is an {@link IllegalArgumentException} whose message names the property and the
 * path; the messages are stable and tested.
 *
 * <p>Stateless and thread-safe; costs a few file-status calls and one small file read.
 */
final class ConfiguredPython {
    static final String PREFIX = PythonDistributionComponent.PID + ": ";
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    private ConfiguredPython() {}

    /** Whether the configuration asks for a system Python at all (either path set). */
    static boolean isRequested(String home, String library) {
        return !blank(home) || !blank(library);
    }

    static PythonInstallation resolve(String home, String library, String version) {
        if (blank(home) || blank(library)) {
            String set = blank(home) ? "library" : "home";
            String missing = blank(home) ? "home" : "library";
            throw new IllegalArgumentException(PREFIX + "'" + set + "' is set but '" + missing
                    + "' is not; set both to use a system Python, or neither to use the embedded CPython");
        }
        Path homePath = path("home", home);
        Path libraryPath = path("library", library);
        if (!Files.isDirectory(homePath)) {
            throw new IllegalArgumentException(PREFIX + "'home' is not a directory: " + homePath);
        }
        if (!Files.isRegularFile(libraryPath)) {
            throw new IllegalArgumentException(PREFIX + "'library' is not a file: " + libraryPath);
        }
        String resolvedVersion = blank(version) ? probe(homePath, libraryPath) : checkFormat(version.trim());
        Matcher m = VERSION.matcher(resolvedVersion);
        m.matches();
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        if (major < 3 || (major == 3 && minor < 12)) {
            throw new IllegalArgumentException(PREFIX + "Python " + resolvedVersion + " at " + homePath
                    + " is too old; pyhost needs 3.12 or later");
        }
        Path os = homePath.resolve("lib").resolve("python" + major + "." + minor).resolve("os.py");
        if (!Files.isRegularFile(os)) {
            throw new IllegalArgumentException(PREFIX + "'home' has no standard library: " + os
                    + " is missing (home must be the prefix that holds lib/python" + major + "." + minor + ")");
        }
        return new PythonInstallation(homePath, libraryPath, resolvedVersion);
    }

    private static String probe(Path home, Path library) {
        try {
            return PythonVersionProbe.probe(home, library).orElseThrow(() -> new IllegalArgumentException(PREFIX
                    + "cannot tell the Python version: no " + home.resolve("include/pythonX.Y/patchlevel.h")
                    + " and the 'library' file name " + library.getFileName()
                    + " has no version like libpython3.13.so; set 'version'"));
        } catch (IOException e) {
            throw new IllegalArgumentException(PREFIX + "cannot read the Python version under " + home
                    + " (" + e + "); set 'version'", e);
        }
    }

    private static String checkFormat(String version) {
        if (!VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException(PREFIX + "'version' must look like 3.13 or 3.13.1, not '" + version + "'");
        }
        return version;
    }

    private static Path path(String property, String value) {
        try {
            return Path.of(value.trim()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(PREFIX + "'" + property + "' is not a valid path: " + value, e);
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
