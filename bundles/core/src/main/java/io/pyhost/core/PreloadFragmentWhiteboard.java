package io.pyhost.core;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;

import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.pyhost.api.Fragment;
import io.pyhost.api.PreloadFragment;

/**
 * Turns {@link PreloadFragment} services into preload fragments with origin
 * {@code service:<pyhost.preload.id or service.id>}, ordered by {@code pyhost.preload.order},
 * then the registering bundle's name and version.
 */
@Component(immediate = true)
public final class PreloadFragmentWhiteboard {
    private static final Logger LOG = System.getLogger(PreloadFragmentWhiteboard.class.getName());

    private final PreloadRegistry registry;

    @Activate
    public PreloadFragmentWhiteboard(@Reference PreloadRegistry registry) {
        this.registry = registry;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindFragment(ServiceReference<PreloadFragment> ref, PreloadFragment fragment) {
        Object id = ref.getProperty(PreloadFragment.ID) != null ? ref.getProperty(PreloadFragment.ID) : ref.getProperty(Constants.SERVICE_ID);
        String origin = "service:" + id;
        Bundle bundle = ref.getBundle();
        String bsn = bundle == null ? "" : bundle.getSymbolicName();
        Version version = bundle == null ? Version.emptyVersion : bundle.getVersion();
        int order;
        Object raw = ref.getProperty(PreloadFragment.ORDER);
        try {
            order = raw == null ? 0 : raw instanceof Number n ? n.intValue() : Integer.parseInt(raw.toString().trim());
        } catch (NumberFormatException e) {
            LOG.log(Level.WARNING, "pyhost preload: " + origin + " from " + bsn + " has " + PreloadFragment.ORDER + "='" + raw
                    + "', not an integer; fragment ignored");
            return;
        }
        String code;
        try {
            code = fragment.code();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pyhost preload: " + origin + " from " + bsn + " failed to give its code; fragment ignored", e);
            return;
        }
        if (code == null || code.indexOf('\0') >= 0) {
            LOG.log(Level.WARNING, "pyhost preload: " + origin + " from " + bsn + " gave " + (code == null ? "null" : "code with a NUL character")
                    + "; fragment ignored");
            return;
        }
        registry.contribute(key(ref), new PreloadRegistry.Contribution(
                List.of(new PreloadRegistry.Contributed(new Fragment(origin, order, code), bsn, version, origin)), List.of(), List.of()));
    }

    void updatedFragment(ServiceReference<PreloadFragment> ref, PreloadFragment fragment) {
        bindFragment(ref, fragment);
    }

    void unbindFragment(ServiceReference<PreloadFragment> ref) {
        registry.withdraw(key(ref));
    }

    private static String key(ServiceReference<?> ref) {
        return "service:" + ref.getProperty(Constants.SERVICE_ID);
    }
}
