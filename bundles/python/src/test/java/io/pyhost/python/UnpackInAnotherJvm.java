package io.pyhost.python;

import java.nio.file.Path;

/**
 * Started by {@link DistributionCacheTest} as a separate JVM: installs {@code args[0]} into the
 * cache root {@code args[1]} and prints the outcome on one line.
 */
public final class UnpackInAnotherJvm {
    private UnpackInAnotherJvm() {}

    public static void main(String[] args) throws Exception {
        DistributionCache.Outcome outcome = new DistributionCache(Path.of(args[1])).install(Path.of(args[0]));
        System.out.println("unpackedNow=" + outcome.unpackedNow() + " home=" + outcome.installation().home());
    }
}
