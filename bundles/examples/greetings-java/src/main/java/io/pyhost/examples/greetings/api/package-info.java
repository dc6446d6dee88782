/**
 * The greetings example's API, shared by Java and Python: {@link io.pyhost.examples.greetings.api.Greeter}
 * (implemented in Python by the plugin io.pyhost.examples.greetings.python),
 * {@link io.pyhost.examples.greetings.api.Counter} (a Java service Python uses) and
 * {@link io.pyhost.examples.greetings.api.Reception} (a Java service that greets through a Greeter).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.pyhost.examples.greetings.api;
