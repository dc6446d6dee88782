package io.pyhost.bench;

/** JVM flags every forked benchmark JVM gets (compile-time constants, for {@code @Fork}). */
final class Jvm {
    private Jvm() {
    }

    /** core calls libpython through FFM from class-path (unnamed-module) code. */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /** silences Java 25's warning about sun.misc.Unsafe (GraalPy's Truffle, JMH). */
    static final String UNSAFE = "--sun-misc-unsafe-memory-access=allow";
}
