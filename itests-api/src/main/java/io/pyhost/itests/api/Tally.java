package io.pyhost.itests.api;

/** A counter that {@link Calculator#tally} returns. */
public interface Tally {
    void add(int n);

    int total();

    String label();
}
