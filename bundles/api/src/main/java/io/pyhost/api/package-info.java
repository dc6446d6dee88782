/**
 * pyhost's public API: isolated Python contexts ({@link io.pyhost.api.ContextFactory},
 * {@link io.pyhost.api.PyContext}) and the code preloaded into each of them
 * ({@link io.pyhost.api.PreloadService}, {@link io.pyhost.api.PreloadFragment}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.pyhost.api;
