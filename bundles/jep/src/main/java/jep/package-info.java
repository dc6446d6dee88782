/**
 * Jep's Java API (version 4.2.2) served by pyhost: existing Jep code runs in OSGi unchanged,
 * without Jep's native library. Written from Jep's documented behaviour; see the README's
 * migration guide for what is the same, what differs and what is refused.
 *
 * <p><b>Better than Jep.</b> An {@link jep.Interpreter} may be used from any thread (Jep throws
 * when the thread differs from the one that made it); calls on one interpreter are serialized.
 * {@link jep.Interpreter#close()} is bounded (a running call is interrupted first). Many
 * {@link jep.SubInterpreter}s with an own GIL ({@link jep.SubInterpreterOptions#isolated()}) run
 * Python in parallel.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("4.2.2")
package jep;
