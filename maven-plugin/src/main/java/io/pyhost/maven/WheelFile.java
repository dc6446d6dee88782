package io.pyhost.maven;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A wheel by its file name (PEP 427, "binary distribution format"):
 * {@code {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl}, where each of the
 * last three may be a compressed set ({@code py2.py3}) and the wheel fits every combination.
 *
 * @param fileName     the file name as given
 * @param distribution the distribution name as written in the file name
 * @param version      the version as written in the file name
 * @param interpreters the Python tags ({@code cp314}, {@code py3})
 * @param abis         the ABI tags ({@code cp314}, {@code abi3}, {@code none})
 * @param platforms    the platform tags ({@code manylinux_2_17_x86_64}, {@code any})
 */
record WheelFile(String fileName, String distribution, String version, List<String> interpreters, List<String> abis,
        List<String> platforms) {

    /** Parses {@code fileName}; throws {@link IllegalArgumentException} naming it when it is not a wheel's name. */
    static WheelFile parse(String fileName) {
        if (!fileName.endsWith(".whl")) {
            throw new IllegalArgumentException(fileName + " is not a wheel: the name does not end in .whl");
        }
        String[] parts = fileName.substring(0, fileName.length() - 4).split("-");
        if (parts.length != 5 && parts.length != 6) {
            throw new IllegalArgumentException(fileName + " is not a wheel name: expected name-version[-build]-python-abi-platform.whl");
        }
        for (String part : parts) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException(fileName + " is not a wheel name: an empty part");
            }
        }
        int n = parts.length;
        return new WheelFile(fileName, parts[0], parts[1], split(parts[n - 3]), split(parts[n - 2]), split(parts[n - 1]));
    }

    private static List<String> split(String compressed) {
        return List.of(compressed.split("\\."));
    }

    /** The distribution name normalized as PEP 503 does: lower case, runs of {@code -_.} as one {@code -}. */
    String normalizedName() {
        return DistributionMetadata.normalizeName(distribution);
    }

    /** Every tag this wheel fits ({@code python-abi-platform}), expanded from the compressed sets. */
    List<String> tags() {
        List<String> tags = new ArrayList<>();
        for (String interpreter : interpreters) {
            for (String abi : abis) {
                for (String platform : platforms) {
                    tags.add(interpreter + "-" + abi + "-" + platform);
                }
            }
        }
        return tags;
    }

    /**
     * Why this wheel does not fit an interpreter that accepts {@code supported}, or empty when it
     * fits: the message names the wheel, the offending tag and the tags accepted in its place.
     *
     * @param supported the interpreter's tags, most preferred first (what {@code packaging.tags.sys_tags()} yields)
     * @param python    how to call the interpreter in the message
     */
    Optional<String> misfit(SupportedTags supported, String python) {
        if (tags().stream().anyMatch(supported::contains)) {
            return Optional.empty();
        }
        StringBuilder why = new StringBuilder("wheel ").append(fileName).append(" does not fit ").append(python).append(": ");
        List<String> reasons = new ArrayList<>();
        offending("Python tag", interpreters, supported.interpreters(), reasons);
        offending("ABI tag", abis, supported.abis(), reasons);
        offending("platform tag", platforms, supported.platforms(), reasons);
        if (reasons.isEmpty()) {
            why.append("no combination of its tags ").append(String.join(", ", tags()))
                    .append(" is accepted (accepted combinations begin with ")
                    .append(String.join(", ", supported.tags().subList(0, Math.min(8, supported.tags().size())))).append(", ...)");
        } else {
            why.append(String.join("; ", reasons));
        }
        return Optional.of(why.toString());
    }

    private static void offending(String kind, List<String> own, List<String> accepted, List<String> reasons) {
        List<String> unknown = own.stream().filter(t -> !accepted.contains(t)).toList();
        if (unknown.size() == own.size()) {
            reasons.add(kind + " " + String.join(".", unknown) + " is not accepted (accepted: " + String.join(", ", accepted) + ")");
        }
    }
}
