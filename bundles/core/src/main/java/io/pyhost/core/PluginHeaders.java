package io.pyhost.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.osgi.framework.Version;

import io.pyhost.api.Fragment;
import io.pyhost.core.PreloadRegistry.Contributed;

/**
 * Reads a plugin bundle's Python headers:
 * <pre>
 * Python-Preload: python/preload.py;order=100, python/more.py;order=200
 * Python-Path: python/lib
 * Python-Import: json, decimal
 * </pre>
 * Every problem is reported, naming the bundle and the entry; a malformed header is ignored as
 * a whole, a missing or undecodable entry alone is skipped. Nothing here throws.
 */
final class PluginHeaders {
    static final String PRELOAD = "Python-Preload";
    static final String PATH = "Python-Path";
    static final String IMPORT = "Python-Import";

    /** Reads a bundle entry; null when it does not exist. */
    @FunctionalInterface
    interface Entries {
        byte[] read(String path) throws IOException;
    }

    /** What the headers say, with the problems found on the way. */
    record Parsed(List<Contributed> fragments, List<String> pathDirs, List<String> imports, List<String> problems) {
        boolean contributes() {
            return !fragments.isEmpty() || !pathDirs.isEmpty() || !imports.isEmpty();
        }
    }

    private PluginHeaders() {
    }

    /** Whether the bundle has any of the headers. */
    static boolean present(Function<String, String> headers) {
        return headers.apply(PRELOAD) != null || headers.apply(PATH) != null || headers.apply(IMPORT) != null;
    }

    static Parsed parse(String bsn, Version version, Function<String, String> headers, Entries entries) {
        String bundle = bsn + "/" + version;
        List<String> problems = new ArrayList<>();
        List<Contributed> fragments = new ArrayList<>();
        for (ManifestClauses.Clause clause : clauses(bundle, PRELOAD, headers.apply(PRELOAD), problems)) {
            String entry = stripSlash(clause.value());
            int order;
            try {
                order = Integer.parseInt(clause.parameters().getOrDefault("order", "0").trim());
            } catch (NumberFormatException e) {
                problems.add(bundle + ": " + PRELOAD + " entry " + entry + " has order '" + clause.parameters().get("order")
                        + "', not an integer; entry ignored");
                continue;
            }
            String code = readUtf8(bundle, entry, entries, problems);
            if (code != null) {
                fragments.add(new Contributed(new Fragment(bsn + "/" + version + "!" + entry, order, code), bsn, version, entry));
            }
        }
        List<String> paths = new ArrayList<>();
        for (ManifestClauses.Clause clause : clauses(bundle, PATH, headers.apply(PATH), problems)) {
            String dir = stripSlash(clause.value());
            if (dir.contains("..")) {
                problems.add(bundle + ": " + PATH + " " + dir + " leaves the bundle; ignored");
            } else {
                paths.add(dir);
            }
        }
        List<String> imports = new ArrayList<>();
        for (ManifestClauses.Clause clause : clauses(bundle, IMPORT, headers.apply(IMPORT), problems)) {
            try {
                PreloadRegistry.checkModuleName(clause.value().trim());
                imports.add(clause.value().trim());
            } catch (IllegalArgumentException e) {
                problems.add(bundle + ": " + IMPORT + ": " + e.getMessage() + "; ignored");
            }
        }
        return new Parsed(fragments, paths, imports, problems);
    }

    private static List<ManifestClauses.Clause> clauses(String bundle, String name, String value, List<String> problems) {
        try {
            return ManifestClauses.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add(bundle + ": malformed " + name + " header (" + e.getMessage() + "); header ignored");
            return List.of();
        }
    }

    private static String readUtf8(String bundle, String entry, Entries entries, List<String> problems) {
        byte[] bytes;
        try {
            bytes = entries.read(entry);
        } catch (IOException e) {
            problems.add(bundle + ": " + PRELOAD + " entry " + entry + " cannot be read (" + e.getMessage() + "); skipped");
            return null;
        }
        if (bytes == null) {
            problems.add(bundle + ": " + PRELOAD + " entry " + entry + " does not exist in the bundle; skipped");
            return null;
        }
        try {
            String code = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            if (code.indexOf('\0') >= 0) {
                problems.add(bundle + ": " + PRELOAD + " entry " + entry + " contains a NUL character; skipped");
                return null;
            }
            return code;
        } catch (CharacterCodingException e) {
            problems.add(bundle + ": " + PRELOAD + " entry " + entry + " is not valid UTF-8; skipped");
            return null;
        }
    }

    private static String stripSlash(String path) {
        String p = path.trim();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
