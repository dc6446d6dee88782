package io.pyhost.core;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of core's ContextFactory (PID {@code io.pyhost.core}). */
@ObjectClassDefinition(id = "io.pyhost.core", name = "pyhost core", description = "Defaults for Python contexts")
public @interface CoreConfiguration {

    @AttributeDefinition(description = "Bound of every eval/exec/call in milliseconds when ContextOptions.callTimeout is null; 0 means no bound")
    long callTimeoutMillis() default 0;

    @AttributeDefinition(description = "Sub-interpreters kept ready per mode, as mode=count (e.g. owngil=2); "
            + "each costs its memory while it waits; 0 or absent: none")
    String[] warmPool() default {};

    @AttributeDefinition(description = "Platform threads that may run worker-mode calls handed over from virtual threads "
            + "or bounded by a timeout, at once; more wait their turn (the wait counts in their timeout)")
    int mainLanes() default io.pyhost.core.bridge.PythonRuntime.DEFAULT_MAIN_LANES;

    @AttributeDefinition(description = "How long close() (and a strategy or core stop) waits for a context's interpreter to end, "
            + "in milliseconds; one that cannot end by then is abandoned and reported")
    long closeTimeoutMillis() default 5000;

    @AttributeDefinition(description = "LDAP filter of the OSGi services Python may use (pyhost.service) besides those registered "
            + "with pyhost.export=true; empty: only those")
    String exportFilter() default "";
}
