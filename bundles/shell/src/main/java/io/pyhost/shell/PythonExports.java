package io.pyhost.shell;

import java.util.ArrayList;
import java.util.List;

import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What {@code py:services} shows: the OSGi services exported to Python ({@code pyhost.service}).
 *
 * <p>pyhost core decides what is exported, but the class that knows
 * ({@code io.pyhost.core.interop.ExportedServices}) is private to core: core exports no package,
 * and the shell depends on the public API only. So the shell applies core's documented rule to
 * what the framework publishes anyway: a service is exported when its property
 * {@value #EXPORT} is {@code Boolean.TRUE} or the string {@code "true"} (any case, spaces
 * trimmed), or when it matches core's {@value #EXPORT_FILTER}. Core's configuration (PID
 * {@code io.pyhost.core}) reaches the shell without ConfigAdmin: DS publishes a component's
 * configuration on its service, so the filter is a property of core's {@code ContextFactory}
 * ({@code ""} when none is configured). A filter that is not LDAP is ignored, as core ignores it.
 * Lines are those of {@code ExportedServices.describeExported()}: {@code "objectClass1,
 * objectClass2 (id N, ranking R, bundle BSN)"}, sorted.
 */
final class PythonExports {
    /** The service property that exports a service to Python (core's {@code ExportedServices.EXPORT}). */
    static final String EXPORT = "pyhost.export";
    /** Core's configuration key for the LDAP filter of further exported services ({@code CoreConfiguration.exportFilter}). */
    static final String EXPORT_FILTER = "exportFilter";

    private PythonExports() {
    }

    /**
     * The exported services among {@code all}, one line each, sorted, then a line saying what
     * exports them; {@code exportFilter} is core's (the ContextFactory's property; null or blank: none).
     */
    static String describe(ServiceReference<?>[] all, Object exportFilter) {
        String filterText = exportFilter instanceof String s ? s.trim() : "";
        Filter filter = null;
        String filterProblem = null;
        if (!filterText.isEmpty()) {
            try {
                filter = FrameworkUtil.createFilter(filterText);
            } catch (InvalidSyntaxException e) {
                filterProblem = e.getMessage();
            }
        }
        List<String> lines = new ArrayList<>();
        for (ServiceReference<?> ref : all) {
            if (exported(ref, filter)) {
                lines.add(line(ref));
            }
        }
        lines.sort(null);
        String rule = filter != null ? "exported to Python: services with " + EXPORT + "=true, and those matching core's "
                + EXPORT_FILTER + " " + filterText
                : filterProblem != null ? "exported to Python: services with " + EXPORT + "=true only (core ignores its "
                        + EXPORT_FILTER + " '" + filterText + "': " + filterProblem + ")"
                : "exported to Python: services with " + EXPORT + "=true (core's " + EXPORT_FILTER + " is not set)";
        StringBuilder out = new StringBuilder();
        if (lines.isEmpty()) {
            out.append("no service is exported to Python\n");
        }
        lines.forEach(l -> out.append(l).append('\n'));
        return out.append(rule).toString();
    }

    /** Core's rule: {@code pyhost.export} is Boolean.TRUE or "true", or the service matches the export filter. */
    static boolean exported(ServiceReference<?> ref, Filter exportFilter) {
        Object flag = ref.getProperty(EXPORT);
        return Boolean.TRUE.equals(flag) || flag instanceof String s && "true".equalsIgnoreCase(s.trim())
                || exportFilter != null && exportFilter.match(ref);
    }

    /** "objectClass1, objectClass2 (id N, ranking R, bundle BSN)". */
    static String line(ServiceReference<?> ref) {
        Object types = ref.getProperty(Constants.OBJECTCLASS);
        String names = types instanceof String[] many ? String.join(", ", many) : String.valueOf(types);
        Object ranking = ref.getProperty(Constants.SERVICE_RANKING);
        return names + " (id " + ref.getProperty(Constants.SERVICE_ID) + ", ranking " + (ranking instanceof Integer r ? r : 0)
                + ", bundle " + (ref.getBundle() == null ? "gone" : ref.getBundle().getSymbolicName()) + ")";
    }
}
