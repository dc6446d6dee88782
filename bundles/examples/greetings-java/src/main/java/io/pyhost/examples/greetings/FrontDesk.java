package io.pyhost.examples.greetings;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.pyhost.examples.greetings.api.Greeter;
import io.pyhost.examples.greetings.api.Reception;

/**
 * The {@link Reception}: a Java component that uses whatever {@link Greeter} service is best
 * ranked, in the example the one Python registers. The reference is optional, dynamic and
 * greedy: the desk exists without a Greeter, takes one as soon as it is registered, and moves to
 * a better one (or none) when Greeters come and go, Python's included (they leave with the
 * context or preload that registered them).
 */
@Component(property = {
        "pyhost.export=true",
        "osgi.command.scope=greetings", "osgi.command.function=welcome", "osgi.command.function=greeter" },
        // immediate: the desk follows the Greeters as they come and go, and says so in the log
        immediate = true)
public final class FrontDesk implements Reception {
    private static final System.Logger LOG = System.getLogger(FrontDesk.class.getName());

    /** The Greeter in use and its description. */
    private record Bound(Greeter greeter, String description) {
    }

    private final AtomicReference<Bound> bound = new AtomicReference<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindGreeter(Greeter greeter, Map<String, Object> properties) {
        String description = "language=" + properties.getOrDefault("language", "java") + ", pyhost.host="
                + properties.getOrDefault("pyhost.host", "-") + ", service.id=" + properties.get("service.id");
        bound.set(new Bound(greeter, description));
        LOG.log(Level.INFO, "greetings: the front desk greets through the Greeter {0}", description);
    }

    void unbindGreeter(Greeter greeter) {
        // a greedy replacement binds the new Greeter before it unbinds the old one
        Bound left = bound.getAndUpdate(b -> b != null && b.greeter() == greeter ? null : b);
        if (left != null && left.greeter() == greeter) {
            LOG.log(Level.INFO, "greetings: the Greeter {0} left", left.description());
        }
    }

    @Override
    public String welcome(String name) {
        Bound b = bound.get();
        if (b == null) {
            throw new IllegalStateException("no Greeter service is registered: the Python plugin io.pyhost.examples.greetings.python"
                    + " registers one when its preload runs, in worker mode with the first worker context (say, py:eval 1)");
        }
        return b.greeter().greet(name);
    }

    @Override
    public String greeter() {
        Bound b = bound.get();
        return b == null ? "none" : b.description();
    }
}
