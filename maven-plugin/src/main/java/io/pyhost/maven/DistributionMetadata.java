package io.pyhost.maven;

import java.util.Locale;

/**
 * Name and version of an installed distribution, from its {@code *.dist-info/METADATA} (core
 * metadata, RFC 822 style headers up to the first empty line; the description body after it is
 * not read).
 *
 * @param name    the {@code Name} header as written
 * @param version the {@code Version} header as written (PEP 440)
 */
record DistributionMetadata(String name, String version) {

    /**
     * Reads the first {@code Name} and {@code Version} headers of {@code text}; throws
     * {@link IllegalArgumentException} naming {@code origin} when either is missing or empty.
     */
    static DistributionMetadata parse(String text, String origin) {
        String name = null;
        String version = null;
        for (String line : text.split("\r?\n", -1)) {
            if (line.isEmpty()) {
                break; // end of the headers; the body (the long description) follows
            }
            if (Character.isWhitespace(line.charAt(0))) {
                continue; // a folded continuation of the previous header
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (key.equals("name") && name == null) {
                name = value;
            } else if (key.equals("version") && version == null) {
                version = value;
            }
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(origin + " has no Name header");
        }
        if (version == null || version.isEmpty()) {
            throw new IllegalArgumentException(origin + " has no Version header");
        }
        return new DistributionMetadata(name, version);
    }

    /** The name as PEP 503 normalizes it ({@code Foo_Bar.baz} → {@code foo-bar-baz}): what capabilities carry. */
    String normalizedName() {
        return normalizeName(name);
    }

    static String normalizeName(String name) {
        return name.replaceAll("[-_.]+", "-").toLowerCase(Locale.ROOT);
    }

    /** The version as an OSGi version ({@link OsgiVersion#fromPep440}). */
    String osgiVersion() {
        return OsgiVersion.fromPep440(version);
    }
}
