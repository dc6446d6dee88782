package io.pyhost.jep.internal;

import java.util.List;
import java.util.Map;

import io.pyhost.api.PyFunction;

/**
 * The hidden {@code pyhost.function} of one interpreter: how its Python side finds Java classes
 * and packages ({@code from java.util import ArrayList}) in the interpreter's class space, makes
 * arrays ({@code jep.jarray}) and proxies ({@code jep.jproxy}).
 */
final class JepFunction implements PyFunction {
    private final Session session;

    JepFunction(Session session) {
        this.session = session;
    }

    @Override
    public Object apply(List<Object> args, Map<String, Object> kwargs) {
        if (args.isEmpty() || !(args.get(0) instanceof String op)) {
            throw JavaThrown.python("TypeError", "pyhost-jep: no operation given");
        }
        return switch (op) {
            case "class" -> session.javaClass((String) args.get(1));
            case "package" -> session.isJavaPackage((String) args.get(1));
            case "jarray" -> session.jarray(args.get(1), (String) args.get(2), args.get(3));
            case "jproxy" -> session.jproxy(args.get(1), (List<?>) args.get(2));
            default -> throw JavaThrown.python("ValueError", "pyhost-jep: unknown operation '" + op + "'");
        };
    }
}
