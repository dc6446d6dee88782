/**
 * Unpacking jars into a per-machine cache directory, once: checksum, lock across threads and
 * processes, marker written last, atomic publish. The embedded CPython and package bundles such
 * as {@code io.pyhost.package.numpy} share it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.pyhost.python.cache;
