package io.pyhost.api;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Python code run once per interpreter whose resulting globals are copied into every new
 * context (erlang_python's {@code py_preload}).
 *
 * <p>A new interpreter is prepared in this order: registered {@linkplain #paths() paths} are
 * added to {@code sys.path}, registered {@linkplain #imports() imports} are imported, then the
 * {@linkplain #effectiveCode() effective code} runs: every {@linkplain #fragments() fragment}
 * in order, the application code of {@link #setCode(String)} last. Each context then gets a
 * copy of the resulting globals: plain containers (dict, list, set, bytearray) are copied
 * deeply, modules, functions and classes are shared within one interpreter.
 *
 * <p>Any change (code, fragments, paths, imports) makes a new preload version; it reaches
 * only contexts created afterwards. Existing contexts keep what they had.
 *
 * <p>Thread-safe; every method is cheap (no Python runs here).
 */
@ProviderType
public interface PreloadService {

    /** Sets the application's preload code ({@code py_preload:set_code/1}). */
    void setCode(String code);

    /** The application's preload code; empty where none is set ({@code get_code/0}). */
    Optional<String> getCode();

    /** Removes the application's preload code ({@code clear_code/0}). */
    void clearCode();

    /** {@code getCode().isPresent()} ({@code has_preload/0}). */
    default boolean hasPreload() {
        return getCode().isPresent();
    }

    /** Every fragment, in the order it is applied; the application code, if any, is last. */
    List<Fragment> fragments();

    /**
     * What a new interpreter runs: all fragments in order, then the application code, each
     * preceded by a comment line naming its origin.
     */
    String effectiveCode();

    /** Adds a directory to {@code sys.path} of new contexts (ignored if already present). */
    void addPath(String dir);

    /** Removes a directory added by {@link #addPath(String)}; {@code true} if it was there. */
    boolean removePath(String dir);

    /** Directories added to {@code sys.path}, in the order they were added. */
    List<String> paths();

    /** Adds a module imported in new contexts, as {@code import module} would. */
    void addImport(String module);

    /** Removes a module added by {@link #addImport(String)}; {@code true} if it was there. */
    boolean removeImport(String module);

    /** Modules imported in new contexts, in the order they were added. */
    List<String> imports();

    /** The current preload version; it grows with every change. */
    long version();
}
