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
}
