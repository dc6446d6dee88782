package io.pyhost.core;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.bridge.PythonRuntime;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.spi.PythonDistribution;

/**
 * The {@link ContextFactory} service: starts (or finds) the CPython runtime from the
 * {@link PythonDistribution} service and binds interpreter strategies dynamically. A mode
 * appears when its strategy registers and disappears when it leaves; the contexts a leaving
 * strategy opened are closed. With two strategies for one mode, the higher service ranking
 * serves new contexts.
 *
 * <p>Immediate, so that contexts never depend on some consumer still holding the service.
 */
@Component(service = ContextFactory.class, immediate = true, configurationPid = "io.pyhost.core")
@Designate(ocd = CoreConfiguration.class)
public final class PythonContextFactory implements ContextFactory {
    private static final Logger LOG = System.getLogger(PythonContextFactory.class.getName());

    /** A bound strategy: its service, the mode it serves and its place among that mode's strategies. */
    private record Bound(InterpreterStrategy strategy, String mode, int ranking, long serviceId, String bundle) {
    }

    private static final Comparator<Bound> BEST_FIRST = Comparator.comparingInt((Bound b) -> -b.ranking())
            .thenComparingLong(Bound::serviceId);

    private final Object lock = new Object();
    private final Map<String, TreeSet<Bound>> strategies = new HashMap<>(); // guarded by lock
    private final Map<Long, Bound> byServiceId = new HashMap<>();           // guarded by lock
    private final ContextEngine engine;
    private Map<String, Integer> warmPoolSizes = Map.of(); // guarded by lock
    private boolean deactivated;                            // guarded by lock
    private final PythonRuntime runtime;
    private final org.osgi.framework.BundleContext bundleContext; // for Python's service lookups; never given to Python

    @Activate
    public PythonContextFactory(@Reference PythonDistribution distribution, @Reference PreloadRegistry preload,
            CoreConfiguration config, org.osgi.framework.BundleContext bundleContext) {
        long started = System.nanoTime();
        this.bundleContext = bundleContext;
        io.pyhost.core.interop.PythonServices.shared().bind(bundleContext);
        io.pyhost.core.interop.PythonLog.bind(bundleContext);
        io.pyhost.core.interop.PyhostModule.activate(); // a restart (no refresh): the stub was retired at the last stop
        this.runtime = PythonRuntime.start(distribution.home(), distribution.library());
        this.engine = new ContextEngine(runtime, preload, null);
        engine.setPythonInstallation(distribution.home(), distribution.library());
        modified(config);
        LOG.log(Level.INFO, "pyhost: CPython {0} ({1}, {2}) ready in {3} ms", runtime.pythonVersion(), distribution.source(),
                distribution.library(), (System.nanoTime() - started) / 1_000_000);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = "(" + InterpreterStrategy.MODE + "=*)")
    void bindStrategy(ServiceReference<InterpreterStrategy> ref, InterpreterStrategy strategy) {
        Bound bound = bound(ref, strategy);
        synchronized (lock) {
            strategies.computeIfAbsent(bound.mode(), m -> new TreeSet<>(BEST_FIRST)).add(bound);
            byServiceId.put(bound.serviceId(), bound);
            lock.notifyAll();
        }
        LOG.log(Level.INFO, "pyhost: strategy for mode {0} arrived from {1} (service {2}, ranking {3})", bound.mode(), bound.bundle(),
                bound.serviceId(), bound.ranking());
        updateWarmPools();
    }

    /** A changed service ranking re-orders the mode's strategies; contexts stay where they are. */
    void updatedStrategy(ServiceReference<InterpreterStrategy> ref, InterpreterStrategy strategy) {
        Bound updated = bound(ref, strategy);
        synchronized (lock) {
            Bound old = byServiceId.get(updated.serviceId());
            if (old == null || old.equals(updated)) {
                return;
            }
            TreeSet<Bound> forMode = strategies.get(old.mode());
            forMode.remove(old);
            if (forMode.isEmpty()) {
                strategies.remove(old.mode());
            }
            strategies.computeIfAbsent(updated.mode(), m -> new TreeSet<>(BEST_FIRST)).add(updated);
            byServiceId.put(updated.serviceId(), updated);
            lock.notifyAll();
        }
        LOG.log(Level.INFO, "pyhost: strategy for mode {0} from {1} now has ranking {2}", updated.mode(), updated.bundle(), updated.ranking());
        updateWarmPools();
    }

    private static Bound bound(ServiceReference<InterpreterStrategy> ref, InterpreterStrategy strategy) {
        return new Bound(strategy, String.valueOf(ref.getProperty(InterpreterStrategy.MODE)),
                ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0,
                (Long) ref.getProperty(Constants.SERVICE_ID), ref.getBundle() == null ? "service:" + ref.getProperty(Constants.SERVICE_ID)
                        : ref.getBundle().getSymbolicName() + "/" + ref.getBundle().getVersion());
    }

    void unbindStrategy(ServiceReference<InterpreterStrategy> ref) {
        Bound bound;
        synchronized (lock) {
            if (deactivated) {
                return; // SCR unbinds after deactivate; every context is closed already
            }
            bound = byServiceId.remove((Long) ref.getProperty(Constants.SERVICE_ID));
            if (bound == null) {
                return;
            }
            TreeSet<Bound> forMode = strategies.get(bound.mode());
            forMode.remove(bound);
            if (forMode.isEmpty()) {
                strategies.remove(bound.mode());
            }
        }
        updateWarmPools();
        int closed = engine.closeOwnedBy(bound.serviceId(), "its strategy for mode '" + bound.mode() + "' (" + bound.bundle() + ") left");
        LOG.log(Level.INFO, "pyhost: strategy for mode {0} from {1} left; closed {2} context(s)", bound.mode(), bound.bundle(), closed);
    }

    /** Whiteboard: a {@link io.pyhost.api.PyFunction} service becomes callable from Python under its name(s). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = "(" + io.pyhost.api.PyFunction.NAME + "=*)")
    void bindFunction(ServiceReference<io.pyhost.api.PyFunction> ref, io.pyhost.api.PyFunction function) {
        long id = (Long) ref.getProperty(Constants.SERVICE_ID);
        int ranking = ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        Object names = ref.getProperty(io.pyhost.api.PyFunction.NAME);
        for (Object name : names instanceof Object[] many ? many : new Object[] {names}) {
            if (name instanceof String n && !n.isBlank()) {
                io.pyhost.core.interop.FunctionRegistry.shared().add(new io.pyhost.core.interop.FunctionRegistry.Entry(n, function, ranking, id));
            } else {
                LOG.log(Level.WARNING, "pyhost: PyFunction service {0} has a {1} that is not a name: {2}; ignored", id,
                        io.pyhost.api.PyFunction.NAME, name);
            }
        }
    }

    void updatedFunction(ServiceReference<io.pyhost.api.PyFunction> ref, io.pyhost.api.PyFunction function) {
        unbindFunction(ref);
        bindFunction(ref, function);
    }

    void unbindFunction(ServiceReference<io.pyhost.api.PyFunction> ref) {
        io.pyhost.core.interop.FunctionRegistry.shared().remove((Long) ref.getProperty(Constants.SERVICE_ID));
    }

    /** A changed configuration reaches new contexts; open contexts keep what they have. */
    @Modified
    void modified(CoreConfiguration config) {
        try {
            io.pyhost.core.interop.ExportedServices.shared().bind(bundleContext, config.exportFilter());
        } catch (IllegalArgumentException e) {
            io.pyhost.core.interop.ExportedServices.shared().bind(bundleContext, null);
            LOG.log(Level.WARNING, "pyhost: " + e.getMessage() + "; only services with pyhost.export=true are exported to Python");
        }
        long timeoutMillis = config.callTimeoutMillis();
        engine.setDefaultCallTimeout(timeoutMillis > 0 ? Duration.ofMillis(timeoutMillis) : null);
        if (config.closeTimeoutMillis() > 0) {
            engine.setCloseTimeout(Duration.ofMillis(config.closeTimeoutMillis()));
        } else {
            LOG.log(Level.WARNING, "pyhost: closeTimeoutMillis must be positive, was {0}; kept the previous value", config.closeTimeoutMillis());
        }
        if (config.mainLanes() > 0) {
            engine.setMainLanes(config.mainLanes());
        } else {
            LOG.log(Level.WARNING, "pyhost: mainLanes must be positive, was {0}; kept the previous value", config.mainLanes());
        }
        Map<String, Integer> sizes = new HashMap<>();
        for (String entry : String.join(",", config.warmPool()).split(",")) { // a .cfg value arrives as one string
            if (entry.isBlank()) {
                continue;
            }
            String[] parts = entry.split("=", 2);
            try {
                int size = Integer.parseInt(parts.length == 2 ? parts[1].trim() : "");
                if (size < 0) {
                    throw new NumberFormatException();
                }
                sizes.put(parts[0].trim(), size);
            } catch (NumberFormatException e) {
                LOG.log(Level.WARNING, "pyhost: warmPool entry ''{0}'' is not mode=count; ignored", entry);
            }
        }
        synchronized (lock) {
            warmPoolSizes = Map.copyOf(sizes);
        }
        updateWarmPools();
    }

    /** Points each configured pool at the best strategy of its mode. */
    private void updateWarmPools() {
        List<io.pyhost.core.WarmPool.Target> targets = new ArrayList<>();
        Map<io.pyhost.spi.ContextProvider, Map.Entry<String, Integer>> provided = new HashMap<>();
        synchronized (lock) {
            warmPoolSizes.forEach((mode, size) -> {
                TreeSet<Bound> forMode = strategies.get(mode);
                if (forMode == null || forMode.isEmpty() || size <= 0) {
                    return;
                }
                Bound best = forMode.first();
                if (best.strategy() instanceof io.pyhost.spi.ContextProvider provider) {
                    provided.put(provider, Map.entry(mode, size)); // it keeps its own pool (process: ready children)
                } else {
                    targets.add(engine.warmPool(mode, best.strategy(), best.serviceId(), size));
                }
            });
        }
        engine.setWarmPools(targets);
        engine.setProvidedWarmPools(provided);
    }

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            deactivated = true;
        }
        engine.setProvidedWarmPools(Map.of()); // providers end their ready children
        engine.closeAll("pyhost core stopped");
        io.pyhost.core.interop.ExportedServices.shared().unbind();
        io.pyhost.core.interop.PythonServices.shared().unbind();
        io.pyhost.core.interop.PythonLog.bind(null);
        io.pyhost.core.interop.PyhostModule.retire(runtime.main(), io.pyhost.core.bridge.SubInterpreter.CLOSE_BOUND);
        PythonRuntime.release();
        LOG.log(Level.INFO, "pyhost: core stopped; CPython stays initialized for the next start");
    }

    @Override
    public PyContext create(ContextOptions options) {
        Objects.requireNonNull(options, "options");
        Bound bound = strategyFor(options);
        try {
            return engine.create(bound.mode(), bound.strategy(), bound.serviceId(), options);
        } catch (IllegalArgumentException | IllegalStateException | io.pyhost.api.PyException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pyhost: strategy for mode " + bound.mode() + " from " + bound.bundle() + " failed to create a context", e);
            throw e;
        }
    }

    private Bound strategyFor(ContextOptions options) {
        long waitNanos = options.modeWait() == null ? 0 : options.modeWait().toNanos();
        long deadline = System.nanoTime() + waitNanos;
        synchronized (lock) {
            while (true) {
                TreeSet<Bound> forMode = strategies.get(options.mode());
                if (forMode != null && !forMode.isEmpty()) {
                    return forMode.first();
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalArgumentException("no strategy for mode '" + options.mode() + "'"
                            + (waitNanos > 0 ? " appeared within " + options.modeWait().toMillis() + " ms" : "")
                            + "; modes present: " + (strategies.isEmpty() ? "none" : new TreeSet<>(strategies.keySet())));
                }
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for mode '" + options.mode() + "'", e);
                }
            }
        }
    }

    @Override
    public Set<String> modes() {
        synchronized (lock) {
            return Set.copyOf(strategies.keySet());
        }
    }

    @Override
    public List<io.pyhost.api.ContextInfo> contexts() {
        Map<Long, Bound> bound;
        synchronized (lock) {
            bound = Map.copyOf(byServiceId);
        }
        return engine.contexts().stream().map(c -> {
            Object owner = c instanceof PythonContext context ? context.owner() : engine.providedOwner(c);
            Bound b = bound.get(owner);
            String strategy = b != null ? b.bundle() : "service:" + owner;
            return c instanceof PythonContext context ? context.info(strategy) : ((io.pyhost.spi.ProvidedContext) c).info(strategy);
        }).sorted(Comparator.comparingLong(io.pyhost.api.ContextInfo::id)).toList();
    }
}
