package io.pyhost.maven;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEP 440 version as an OSGi version {@code major.minor.micro[.qualifier]}.
 *
 * <ul>
 * <li>The first three release numbers are major, minor and micro; missing ones are 0
 *     ({@code 2024.1} → {@code 2024.1.0}).</li>
 * <li>Everything else becomes the qualifier, as tokens joined by {@code -}, in this order: the
 *     further release numbers joined by {@code _} ({@code 1.2.3.4.5} → {@code 1.2.3.4_5}); the
 *     pre-release in PEP 440's normal form ({@code a}, {@code b}, {@code rc} and a number:
 *     {@code 2.0rc1} and {@code 2.0-RC.1} → {@code 2.0.0.rc1}); {@code postN}; {@code devN};
 *     {@code localX} with the local label's separators as {@code _} ({@code 1.0+ubuntu.1} →
 *     {@code 1.0.0.local_ubuntu_1}); {@code epochN} for a non-zero epoch ({@code 1!2.0} →
 *     {@code 2.0.0.epoch1}).</li>
 * </ul>
 *
 * <p>OSGi sorts a version with a qualifier after the same version without one, so
 * {@code 2.0.0.rc1 > 2.0.0} where PEP 440 has {@code 2.0rc1 < 2.0}; qualifiers compare as
 * strings. Version ranges on {@code python.package} capabilities are therefore only exact on
 * the release numbers.
 */
final class OsgiVersion {
    /** PEP 440's grammar as the packaging project writes it (case-insensitive, surrounding blanks allowed). */
    private static final Pattern PEP440 = Pattern.compile("""
            \\s*v?
            (?:(?<epoch>[0-9]+)!)?
            (?<release>[0-9]+(?:\\.[0-9]+)*)
            (?<pre>[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?
            (?<post>(?:-(?<postN1>[0-9]+))|(?:[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?))?
            (?<dev>[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?
            (?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
            \\s*""", Pattern.CASE_INSENSITIVE | Pattern.COMMENTS);

    private OsgiVersion() {
    }

    /** Throws {@link IllegalArgumentException} naming {@code version} when it is not PEP 440 or a number does not fit an int. */
    static String fromPep440(String version) {
        Matcher m = PEP440.matcher(version);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + version + "' is not a PEP 440 version");
        }
        String[] release = m.group("release").split("\\.");
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            out.append(i == 0 ? "" : ".").append(i < release.length ? number(release[i], version) : 0);
        }
        List<String> qualifier = new ArrayList<>();
        if (release.length > 3) {
            List<String> rest = new ArrayList<>();
            for (int i = 3; i < release.length; i++) {
                rest.add(new BigInteger(release[i]).toString());
            }
            qualifier.add(String.join("_", rest));
        }
        if (m.group("pre") != null) {
            String label = switch (m.group("preL").toLowerCase(Locale.ROOT)) {
                case "alpha", "a" -> "a";
                case "beta", "b" -> "b";
                default -> "rc"; // c, rc, pre, preview
            };
            qualifier.add(label + count(m.group("preN")));
        }
        if (m.group("post") != null) {
            qualifier.add("post" + count(m.group("postN1") != null ? m.group("postN1") : m.group("postN2")));
        }
        if (m.group("dev") != null) {
            qualifier.add("dev" + count(m.group("devN")));
        }
        if (m.group("local") != null) {
            qualifier.add("local_" + m.group("local").toLowerCase(Locale.ROOT).replaceAll("[-_.]", "_"));
        }
        if (m.group("epoch") != null && new BigInteger(m.group("epoch")).signum() != 0) {
            qualifier.add("epoch" + new BigInteger(m.group("epoch")));
        }
        if (!qualifier.isEmpty()) {
            out.append('.').append(String.join("-", qualifier));
        }
        return out.toString();
    }

    private static int number(String digits, String version) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + version + "': release number " + digits + " does not fit an OSGi version (at most "
                    + Integer.MAX_VALUE + ")");
        }
    }

    private static String count(String digits) {
        return digits == null ? "0" : new BigInteger(digits).toString();
    }
}
