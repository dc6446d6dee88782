package io.pyhost.shell;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the {@code py:} commands (PID {@value PythonCommands#PID}); read again on every change. */
@ObjectClassDefinition(id = PythonCommands.PID, name = "pyhost shell", description = "The py: Gogo commands")
public @interface ShellConfiguration {

    @AttributeDefinition(required = false, name = "Default mode",
            description = "The mode of py:eval, py:exec and py:run without -m: worker, subinterp or owngil")
    String defaultMode() default "worker";

    @AttributeDefinition(required = false, name = "Wait (seconds)",
            description = "How long a command waits for core's services, and, while the framework is still starting, for the mode's strategy")
    int waitSeconds() default 30;
}
