package io.pyhost.itests.api;

import java.util.List;

/** A service Java implements and exports to Python: overloads, a generic parameter, an object result. */
public interface Calculator {
    /** Which registration this is (the tests tell services apart by it). */
    String name();

    long add(long a, long b);

    double add(double a, double b);

    String add(String a, String b);

    /** Throws ArithmeticException when {@code b} is 0. */
    long divide(long a, long b);

    /** The sum of {@code values}: Python passes a list, converted element by element. */
    long sum(List<Integer> values);

    /** With {@link #pick(long, int)}: {@code pick(1, 1)} from Python fits both equally well. */
    String pick(int a, long b);

    String pick(long a, int b);

    /** A new tally: an object the value table does not convert (Python gets a pyhost.JavaObject). */
    Tally tally(String name);

    /** Whether {@code tally} is the very object the last {@link #tally} call returned. */
    boolean isLastTally(Tally tally);

    /** An object Python must never get (the tests return a BundleContext). */
    Object owner();

    /** Another one (the tests return a Bundle). */
    Object origin();
}
