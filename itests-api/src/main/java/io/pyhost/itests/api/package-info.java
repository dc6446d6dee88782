/**
 * Interfaces of the interop integration tests (itests): {@link io.pyhost.itests.api.Calculator},
 * {@link io.pyhost.itests.api.Tally} and {@link io.pyhost.itests.api.Blocker} are implemented in
 * Java and exported to Python ({@code pyhost.service}); {@link io.pyhost.itests.api.Greeter} is
 * implemented in Python ({@code pyhost.register}) and called by Java.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.pyhost.itests.api;
