package io.pyhost.api;

import static java.lang.annotation.ElementType.PACKAGE;
import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.CLASS;

import java.lang.annotation.Retention;
import java.lang.annotation.Target;

import org.osgi.annotation.bundle.Requirement;

/**
 * Put this on a plugin bundle's package or class: the bundle then requires the
 * {@code io.pyhost.preload} extender that reads its {@code Python-Preload}, {@code Python-Path}
 * and {@code Python-Import} headers, so a resolver installs pyhost core with it. A bundle
 * without Java code writes the same requirement as a header:
 * {@code Require-Capability: osgi.extender;filter:="(osgi.extender=io.pyhost.preload)"}.
 */
@Requirement(namespace = "osgi.extender", name = RequirePreloadExtender.NAME, version = RequirePreloadExtender.VERSION)
@Retention(CLASS)
@Target({TYPE, PACKAGE})
public @interface RequirePreloadExtender {
    /** The extender's name. */
    String NAME = "io.pyhost.preload";
    /** The extender's version. */
    String VERSION = "1.0.0";
}
