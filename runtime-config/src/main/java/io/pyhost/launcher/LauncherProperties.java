package io.pyhost.launcher;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code launcher.properties}: Felix framework properties plus the launcher's own
 * ({@code pyhost.*}). A value may refer to another property, a launcher-defined directory or a
 * system property as {@code ${name}}; a system property {@code -Dname=value} overrides the file.
 */
final class LauncherProperties {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([^}]+)}");

    private LauncherProperties() {
    }

    /**
     * Reads {@code file} and resolves every {@code ${...}}: first against {@code defined}, then
     * the file's own properties, then system properties.
     *
     * @throws IllegalArgumentException a reference that nothing defines, or a cycle
     */
    static Map<String, String> load(Path file, Map<String, String> defined) throws IOException {
        Properties raw = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            raw.load(in);
        }
        Map<String, String> values = new LinkedHashMap<>(defined);
        for (String name : raw.stringPropertyNames()) {
            values.putIfAbsent(name, System.getProperty(name, raw.getProperty(name)));
        }
        Map<String, String> resolved = new LinkedHashMap<>();
        for (String name : values.keySet()) {
            resolved.put(name, resolve(name, values, 0));
        }
        return resolved;
    }

    private static String resolve(String name, Map<String, String> values, int depth) {
        if (depth > 32) {
            throw new IllegalArgumentException("launcher property ${" + name + "} refers to itself");
        }
        String value = values.get(name);
        return substitute(value, reference -> {
            if (values.containsKey(reference)) {
                return resolve(reference, values, depth + 1);
            }
            String system = System.getProperty(reference);
            if (system == null) {
                throw new IllegalArgumentException("launcher property " + name + " refers to ${" + reference + "}, which nothing defines");
            }
            return system;
        });
    }

    static String substitute(String value, Function<String, String> lookup) {
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(lookup.apply(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }
}
