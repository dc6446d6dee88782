package io.pyhost.itests.api;

import java.util.List;

/** An interface Python implements ({@code pyhost.register}) and Java calls. */
public interface Greeter {
    int count(String text);

    String greet(String name);

    List<String> words(String text);

    boolean even(long n);

    /** Python keeps {@code text} (a void method: whatever Python returns is ignored). */
    void remember(String text);

    /** Python gets {@code tally} as a pyhost.JavaObject and calls its methods. */
    String describe(Tally tally);

    /** Python returns the name of the type {@code value} has in Python. */
    String kind(Object value);

    /** Python returns the JavaObject it was given: Java gets the very same object back. */
    Tally echo(Tally tally);

    /** The tests' Python returns a str here: it does not fit an int. */
    int broken();

    /** The tests' Python raises here. */
    String fail(String why);

    /** The tests' Python calls back into Java (pyhost.call), which calls the same context again. */
    long reenter(long x);

    /** The tests' Python objects do not define it: Java's default runs. */
    default String hello() {
        return "hello from the Java default";
    }
}
