package io.pyhost.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses an OSGi manifest header value into clauses: {@code path;order=100, other;order="2"}.
 * Commas separate clauses, semicolons separate a clause's value from its {@code key=value}
 * parameters; double quotes protect commas and semicolons.
 */
final class ManifestClauses {

    /** One clause: its value and its parameters, in order. */
    record Clause(String value, Map<String, String> parameters) {
    }

    private ManifestClauses() {
    }

    /**
     * @throws IllegalArgumentException the header is malformed (the message says where)
     */
    static List<Clause> parse(String header) {
        List<Clause> clauses = new ArrayList<>();
        if (header == null || header.isBlank()) {
            return clauses;
        }
        for (String clause : split(header, ',')) {
            List<String> parts = split(clause, ';');
            String value = unquote(parts.get(0).trim());
            if (value.isEmpty()) {
                throw new IllegalArgumentException("empty clause in '" + header + "'");
            }
            Map<String, String> parameters = new LinkedHashMap<>();
            for (String parameter : parts.subList(1, parts.size())) {
                int eq = parameter.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("parameter '" + parameter.trim() + "' of '" + value + "' is not key=value");
                }
                String key = parameter.substring(0, eq).trim();
                if (key.endsWith(":")) {
                    key = key.substring(0, key.length() - 1); // directives (key:=value) read like parameters
                }
                parameters.put(key, unquote(parameter.substring(eq + 1).trim()));
            }
            clauses.add(new Clause(value, parameters));
        }
        return clauses;
    }

    private static List<String> split(String text, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == separator && !quoted) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unbalanced quote in '" + text.trim() + "'");
        }
        parts.add(current.toString());
        return parts;
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
}
