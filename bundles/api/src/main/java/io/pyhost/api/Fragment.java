package io.pyhost.api;

import java.util.Objects;

/**
 * One piece of the effective preload.
 *
 * @param origin where it comes from: {@code BSN/version!entry/path} for a bundle entry,
 *               {@code service:<service.id>} for a {@link PreloadFragment} service,
 *               {@code application} for {@link PreloadService#setCode(String)},
 *               {@code context} for {@link ContextOptions#preload()}
 * @param order  its order; fragments run in ascending order
 * @param code   the Python source
 */
public record Fragment(String origin, int order, String code) {
    /** Origin of the code set by {@link PreloadService#setCode(String)}. */
    public static final String APPLICATION = "application";
    /** Origin of {@link ContextOptions#preload()}. */
    public static final String CONTEXT = "context";

    public Fragment {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(code, "code");
    }
}
