package io.pyhost.python;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of PID {@code io.pyhost.python}. Without any, the embedded CPython 3.14 is used.
 * Setting both {@link #home()} and {@link #library()} selects a system Python instead, and then
 * nothing is unpacked.
 *
 * <p>SCR hands the component a fresh instance per activation; any change of the configuration
 * reactivates it. Reading the values costs nothing.
 */
@ObjectClassDefinition(
        id = PythonDistributionComponent.PID,
        name = "pyhost Python distribution",
        description = "Which CPython pyhost loads: the embedded CPython 3.14 (default) or a system Python 3.12+ with a shared libpython")
public @interface PythonDistributionConfiguration {

    @AttributeDefinition(required = false, name = "Python home",
            description = "PYTHONHOME of a system Python: the prefix under which lib/pythonX.Y lies, e.g. /opt/python3.13. Requires 'library'.")
    String home() default "";

    @AttributeDefinition(required = false, name = "Shared library",
            description = "The system Python's shared libpython, e.g. /opt/python3.13/lib/libpython3.13.so.1.0. Requires 'home'.")
    String library() default "";

    @AttributeDefinition(required = false, name = "Version",
            description = "The system Python's version (3.13 or 3.13.1). Empty: read from <home>/include/pythonX.Y/patchlevel.h, else from the library's file name.")
    String version() default "";

    @AttributeDefinition(required = false, name = "Cache directory",
            description = "Where the embedded CPython is unpacked. Empty: the system property pyhost.python.cache, else ${user.home}/.cache/pyhost/python.")
    String cacheDir() default "";
}
