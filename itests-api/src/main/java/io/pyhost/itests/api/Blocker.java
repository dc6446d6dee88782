package io.pyhost.itests.api;

/** A service whose method blocks until the test lets it go. */
public interface Blocker {
    String block();
}
