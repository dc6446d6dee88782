package io.pyhost.python;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells a Python installation's version from its files, without running it: first
 * {@code <home>/include/pythonX.Y/patchlevel.h} ({@code PY_VERSION}), then the library's file
 * name ({@code libpython3.13.so.1.0} gives {@code 3.13}).
 */
final class PythonVersionProbe {
    private static final Pattern PY_VERSION =
            Pattern.compile("#define\\s+PY_VERSION\\s+\"(\\d+\\.\\d+\\.\\d+)[^\"]*\"");
    private static final Pattern LIBRARY_VERSION = Pattern.compile("libpython(\\d+\\.\\d+)");

    private PythonVersionProbe() {}

    /**
     * The version, or empty when neither patchlevel.h nor the library name tells it.
     *
     * @throws IOException when a patchlevel.h exists but cannot be read
     */
    static Optional<String> probe(Path home, Path library) throws IOException {
        Optional<String> majorMinor = fromLibraryName(library);
        Optional<Path> patchlevel = majorMinor
                .map(v -> home.resolve("include").resolve("python" + v).resolve("patchlevel.h"))
                .filter(Files::isRegularFile)
                .or(() -> onlyPatchlevelUnder(home));
        if (patchlevel.isPresent()) {
            Optional<String> full = fromPatchlevel(patchlevel.get());
            if (full.isPresent()) return full;
        }
        return majorMinor;
    }

    /** {@code PY_VERSION} of a patchlevel.h, release suffixes ({@code a1}, {@code rc2}, {@code +}) dropped. */
    static Optional<String> fromPatchlevel(Path patchlevel) throws IOException {
        Matcher m = PY_VERSION.matcher(Files.readString(patchlevel, StandardCharsets.ISO_8859_1));
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    static Optional<String> fromLibraryName(Path library) {
        Path name = library.getFileName();
        Matcher m = LIBRARY_VERSION.matcher(name == null ? "" : name.toString());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The library name did not say X.Y: trust include/python*&#47;patchlevel.h only if there is exactly one. */
    private static Optional<Path> onlyPatchlevelUnder(Path home) {
        Path include = home.resolve("include");
        if (!Files.isDirectory(include)) return Optional.empty();
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(include, "python3*")) {
            for (Path dir : dirs) {
                Path candidate = dir.resolve("patchlevel.h");
                if (Files.isRegularFile(candidate)) found.add(candidate);
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return found.size() == 1 ? Optional.of(found.get(0)) : Optional.empty();
    }
}
