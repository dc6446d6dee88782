package io.pyhost.api;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A Java function Python can call: a whiteboard service registered with the {@value #NAME}
 * property. In any context of any mode, {@code pyhost.call(name, *args, **kwargs)} calls it;
 * {@code pyhost.function(name)} returns a Python callable for it; {@code pyhost.functions()}
 * lists the visible names, sorted. A name that starts with {@code _} is private: callable by
 * {@code pyhost.call} by whoever knows it, never listed (a bundle that gives one context a
 * function of its own registers it under an unguessable {@code _} name).
 *
 * <p><b>Values.</b> Arguments arrive converted by the value table of {@link PyContext}; the
 * result goes back the same way. <b>Threads.</b> {@link #apply} runs on the thread of the Python
 * code that called it, with that interpreter's GIL released (other contexts go on), possibly on
 * several threads at once. It may call back into the calling context (re-entry runs inline).
 * <b>Errors.</b> An exception reaches Python as {@code pyhost.JavaError} with {@code java_type}
 * and {@code java_message}; a function whose service left raises {@code pyhost.ServiceUnavailable}.
 */
@ConsumerType
@FunctionalInterface
public interface PyFunction {
    /** Service property: the name Python calls the function by. */
    String NAME = "pyhost.function";

    /**
     * @param args   positional arguments, converted (never null)
     * @param kwargs keyword arguments, converted, in call order (never null)
     * @return the result, converted back to Python by the value table
     */
    Object apply(List<Object> args, Map<String, Object> kwargs) throws Exception;
}
