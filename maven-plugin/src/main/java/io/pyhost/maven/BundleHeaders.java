package io.pyhost.maven;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The bnd include file the goal writes: bnd properties for the headers of a package bundle, and
 * the headers themselves made of them.
 *
 * <p>Included from {@code bnd.bnd} with {@code -include: ~<file>}: the {@code ~} lets a header
 * that {@code bnd.bnd} sets itself win, and such a header can still take the generated part
 * through the property ({@code Provide-Capability: ${pyhost.python.packages}, my.own;my.own=1}).
 */
final class BundleHeaders {
    /** The extender requirement of a plugin bundle, as the repository's example plugins write it. */
    static final String EXTENDER_REQUIREMENT =
            "osgi.extender;filter:=\"(&(osgi.extender=io.pyhost.preload)(version>=1.0.0)(!(version>=2.0.0)))\"";

    private BundleHeaders() {
    }

    /** One {@code python.package} capability: PEP 503 name, OSGi version. */
    static String capability(DistributionMetadata distribution) {
        return "python.package;python.package=\"" + distribution.normalizedName() + "\";version:Version=\"" + distribution.osgiVersion() + "\"";
    }

    /** The file's text for {@code distributions} installed into the bundle directory {@code sitePackages}. */
    static String bndFile(String sitePackages, List<DistributionMetadata> distributions, boolean requireExtender) {
        String capabilities = distributions.stream().map(d -> "  " + capability(d)).collect(Collectors.joining(",\\\n"));
        StringBuilder text = new StringBuilder();
        text.append("# Written by pyhost-maven-plugin (goal python-bundle) at every build: do not edit.\n");
        text.append("# Installed: ").append(distributions.stream().map(d -> d.name() + " " + d.version()).collect(Collectors.joining(", ")))
                .append('\n');
        text.append("pyhost.python.path: ").append(sitePackages).append('\n');
        text.append("pyhost.python.packages: \\\n").append(capabilities).append('\n');
        text.append("pyhost.preload.extender: ").append(EXTENDER_REQUIREMENT).append('\n');
        text.append("Python-Path: ${pyhost.python.path}\n");
        text.append("Provide-Capability: ${pyhost.python.packages}\n");
        if (requireExtender) {
            text.append("Require-Capability: ${pyhost.preload.extender}\n");
        }
        return text.toString();
    }
}
