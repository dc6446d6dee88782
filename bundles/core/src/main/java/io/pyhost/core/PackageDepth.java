package io.pyhost.core;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

import io.pyhost.spi.PythonPackage;

/**
 * How deep a bundle sits in the {@code python.package} requirements: 0 for a bundle wired to no
 * package bundle, else one more than the deepest package bundle it is wired to. Contributions are
 * ordered by it, so a package's directories come before those of every bundle that requires it,
 * whatever the order the bundles were installed in.
 */
final class PackageDepth {
    private PackageDepth() {
    }

    /** The depth of {@code bundle} by its current wiring (0 when it has none, e.g. while it is not resolved). */
    static int of(Bundle bundle) {
        return of(bundle, PackageDepth::providers);
    }

    /** The depth of {@code node} in the graph {@code providers} spans; an edge that closes a cycle is not followed. */
    static <T> int of(T node, Function<T, List<T>> providers) {
        return depth(node, providers, new HashSet<>());
    }

    private static <T> int depth(T node, Function<T, List<T>> providers, Set<T> onPath) {
        if (!onPath.add(node)) {
            return -1; // a cycle: the node already counts where the path entered it
        }
        int deepest = -1;
        for (T provider : providers.apply(node)) {
            deepest = Math.max(deepest, depth(provider, providers, onPath));
        }
        onPath.remove(node);
        return deepest + 1;
    }

    private static List<Bundle> providers(Bundle bundle) {
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        List<BundleWire> wires = wiring == null ? null : wiring.getRequiredWires(PythonPackage.NAMESPACE);
        return wires == null ? List.of() : wires.stream().map(w -> w.getProvider().getBundle()).distinct().toList();
    }
}
