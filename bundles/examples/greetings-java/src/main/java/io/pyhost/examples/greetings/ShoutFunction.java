package io.pyhost.examples.greetings;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.osgi.service.component.annotations.Component;

import io.pyhost.api.PyFunction;

/** A Java function for Python: {@code pyhost.call('greetings.shout', 'hello')} returns {@code 'HELLO!'}. */
@Component(property = PyFunction.NAME + "=" + ShoutFunction.NAME)
public final class ShoutFunction implements PyFunction {
    static final String NAME = "greetings.shout";

    @Override
    public Object apply(List<Object> args, Map<String, Object> kwargs) {
        if (args.size() != 1 || !kwargs.isEmpty() || !(args.getFirst() instanceof String text)) {
            // reaches Python as pyhost.JavaError
            throw new IllegalArgumentException(NAME + " takes one str, got " + args + (kwargs.isEmpty() ? "" : " and " + kwargs));
        }
        return text.toUpperCase(Locale.ROOT) + "!";
    }
}
