package io.pyhost.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.api.ContextOptions;
import io.pyhost.spi.ContextProvider;
import io.pyhost.spi.ContextRequest;
import io.pyhost.spi.ProvidedContext;
import io.pyhost.spi.PythonVersion;

/**
 * The contexts that {@link ContextProvider} strategies made (mode {@code process}): core hands
 * them the effective preload and its settings, and keeps the same books as for its own contexts
 * (ids, listing, closing when the strategy leaves or core stops).
 */
final class ProvidedContexts {
    private final Map<ProvidedContext, Object> owners = new ConcurrentHashMap<>();

    /** Opens context {@code id} with {@code provider}; the caller checks afterwards whether it was retired meanwhile. */
    ProvidedContext create(long id, String mode, ContextProvider provider, Object owner, ContextOptions options, PreloadSnapshot snapshot,
            Path home, Path library, PythonVersion version, Duration callTimeout, Duration closeTimeout) {
        ProvidedContext[] made = new ProvidedContext[1];
        Runnable closed = () -> {
            ProvidedContext context = made[0];
            if (context != null) {
                owners.remove(context);
            }
        };
        ContextRequest request = request(id, mode, provider, options, snapshot, home, library, version, callTimeout,
                closeTimeout, closed);
        ProvidedContext context = provider.openContext(request);
        if (context == null) {
            throw new IllegalStateException("the strategy for mode '" + mode + "' returned no context");
        }
        made[0] = context;
        owners.put(context, owner);
        if (context.isClosed()) { // it died before it was listed
            owners.remove(context);
        }
        return context;
    }

    /** A request as {@link #create} would make it now for {@code ContextOptions.mode(mode)}, id 0: a warm pool's template. */
    ContextRequest template(String mode, ContextProvider provider, PreloadSnapshot snapshot, Path home, Path library,
            PythonVersion version, Duration callTimeout, Duration closeTimeout) {
        return request(0, mode, provider, ContextOptions.mode(mode), snapshot, home, library, version, callTimeout, closeTimeout, () -> { });
    }

    private static ContextRequest request(long id, String mode, ContextProvider provider, ContextOptions options, PreloadSnapshot snapshot,
            Path home, Path library, PythonVersion version, Duration callTimeout, Duration closeTimeout, Runnable closed) {
        if (home == null) {
            throw new IllegalStateException("mode '" + mode + "' needs the Python distribution's home, which core was not given");
        }
        boolean sandbox = options.sandbox() != null ? options.sandbox() : provider.sandboxByDefault();
        return new ContextRequest(id, mode, options, sandbox, snapshot.paths(), snapshot.imports(), snapshot.fragments(), home, library,
                version, callTimeout, closeTimeout, closed, io.pyhost.core.interop.ProvidedJavaAccess.INSTANCE);
    }

    /** The contexts {@code owner} opened that are still open. */
    List<ProvidedContext> ownedBy(Object owner) {
        return owners.entrySet().stream().filter(e -> owner.equals(e.getValue()) && !e.getKey().isClosed()).map(Map.Entry::getKey).toList();
    }

    List<ProvidedContext> all() {
        return List.copyOf(owners.keySet());
    }

    /** Who opened {@code context} (a strategy's service id); null when not one of these. */
    Object owner(Object context) {
        return context instanceof ProvidedContext p ? owners.get(p) : null;
    }
}
