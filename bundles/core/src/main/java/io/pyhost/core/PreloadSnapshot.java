package io.pyhost.core;

import java.util.List;

import io.pyhost.api.Fragment;

/**
 * One preload version, as a new interpreter applies it: paths, then imports, then fragments
 * in order (the application code last).
 */
public record PreloadSnapshot(long version, List<String> paths, List<String> imports, List<Fragment> fragments) {
    public PreloadSnapshot {
        paths = List.copyOf(paths);
        imports = List.copyOf(imports);
        fragments = List.copyOf(fragments);
    }
}
