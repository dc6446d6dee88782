package io.pyhost.maven;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The wheel tags an interpreter accepts, as its pip computes them ({@code packaging.tags.sys_tags()}),
 * most preferred first, and the distinct values of each of their three parts in that order.
 */
final class SupportedTags {
    private final List<String> tags;
    private final Set<String> lookup;
    private final List<String> interpreters;
    private final List<String> abis;
    private final List<String> platforms;

    SupportedTags(List<String> tags) {
        this.tags = List.copyOf(tags);
        this.lookup = new HashSet<>(tags);
        Set<String> interpreters = new LinkedHashSet<>();
        Set<String> abis = new LinkedHashSet<>();
        Set<String> platforms = new LinkedHashSet<>();
        for (String tag : tags) {
            String[] parts = tag.split("-");
            if (parts.length != 3) {
                throw new IllegalArgumentException("not a wheel tag (python-abi-platform): " + tag);
            }
            interpreters.add(parts[0]);
            abis.add(parts[1]);
            platforms.add(parts[2]);
        }
        this.interpreters = new ArrayList<>(interpreters);
        this.abis = new ArrayList<>(abis);
        this.platforms = new ArrayList<>(platforms);
    }

    boolean contains(String tag) {
        return lookup.contains(tag);
    }

    List<String> tags() {
        return tags;
    }

    List<String> interpreters() {
        return interpreters;
    }

    List<String> abis() {
        return abis;
    }

    List<String> platforms() {
        return platforms;
    }
}
