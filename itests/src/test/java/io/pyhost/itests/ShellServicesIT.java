package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.itests.api.Calculator;
import io.pyhost.itests.api.Greeter;

/**
 * {@code py:services} in real Felix, through the real Gogo runtime and the real shell bundle: it
 * lists the services Python may use, as pyhost core decides (the shell applies core's rule to
 * {@code pyhost.export} and to core's {@code exportFilter}, which it reads from the
 * ContextFactory's service properties): the same services {@code pyhost.services} finds, in every
 * mode, before and after the filter is set through ConfigAdmin; Python-registered services too.
 */
@RunWith(PaxExam.class)
public class ShellServicesIT extends InteropTestSupport {

    @Override
    protected List<String> moreBundles() {
        return List.of("pyhost-itests-api", "org.apache.felix.gogo.runtime", "pyhost-shell");
    }

    /** The py: command service of the shell bundle, once SCR registered it. */
    private ServiceReference<?> pyCommands() {
        try {
            ServiceReference<?>[] refs = bundleContext.getServiceReferences((String) null, "(" + CommandProcessor.COMMAND_SCOPE + "=py)");
            return refs == null ? null : refs[0];
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Before
    public void awaitShell() {
        service(CommandProcessor.class);
        awaitCondition(() -> "the py: commands; bundles: " + bundleStates(), () -> pyCommands() != null);
    }

    /** Runs {@code command} in a new Gogo session; its result as text. */
    private String gogo(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandSession session = service(CommandProcessor.class).createSession(new ByteArrayInputStream(new byte[0]), out, err);
        try {
            Object result = session.execute(command);
            return String.valueOf(result);
        } finally {
            session.close();
        }
    }

    private String line(ServiceRegistration<?> registration, String types, int ranking, String bundle) {
        return types + " (id " + registration.getReference().getProperty(Constants.SERVICE_ID) + ", ranking " + ranking + ", bundle "
                + bundle + ")";
    }

    /** The lines of {@code py:services} naming {@code type} first. */
    private static long linesOf(String listing, String type) {
        return listing.lines().filter(l -> l.startsWith(type + " (")).count();
    }

    @Test
    public void theCommandIsRegisteredBesideTheOthers() {
        Object functions = pyCommands().getProperty(CommandProcessor.COMMAND_FUNCTION);
        List<?> names = functions instanceof Object[] many ? Arrays.asList(many) : List.of(functions);
        assertTrue(String.valueOf(names), names.containsAll(List.of("eval", "functions", "contexts", "services")));
    }

    @Test
    public void pyServicesListsWhatPythonMayUseAsCoreDecides() throws Exception {
        String probe = bundleContext.getBundle().getSymbolicName();
        ServiceRegistration<Calculator> exported = register(Calculator.class, new ServiceInteropIT.Calc("shell-exported", bundleContext),
                props("pyhost.export", true, Constants.SERVICE_RANKING, 7));
        ServiceRegistration<Calculator> hidden = register(Calculator.class, new ServiceInteropIT.Calc("shell-hidden", bundleContext),
                props("export.me", "yes"));

        String listing = gogo("py:services");
        assertTrue(listing, listing.contains(line(exported, CALCULATOR, 7, probe) + "\n"));
        assertFalse(listing, listing.contains(line(hidden, CALCULATOR, 0, probe)));
        assertTrue(listing, listing.endsWith("\nexported to Python: services with pyhost.export=true (core's exportFilter is not set)"));
        assertSameAsPython(listing);

        setExportFilter("(export.me=yes)");
        listing = gogo("py:services");
        assertTrue(listing, listing.contains(line(exported, CALCULATOR, 7, probe) + "\n"));
        assertTrue(listing, listing.contains(line(hidden, CALCULATOR, 0, probe) + "\n"));
        assertTrue(listing, listing.endsWith("\nexported to Python: services with pyhost.export=true, and those matching core's exportFilter (export.me=yes)"));
        assertSameAsPython(listing);

        restoreCoreConfig();
        listing = gogo("py:services");
        assertFalse(listing, listing.contains(line(hidden, CALCULATOR, 0, probe)));
        assertSameAsPython(listing);
    }

    /** What py:services lists of Calculator is what pyhost.services finds, in every mode. */
    private void assertSameAsPython(String listing) {
        long listed = linesOf(listing, CALCULATOR);
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertEquals(mode + ": py:services listed\n" + listing, listed,
                        ctx.eval("len(__import__('pyhost').services(" + pyString(CALCULATOR) + "))"));
            }
        });
    }

    @Test
    public void aPythonServiceExportedToPythonIsListedAsCoresAndLeavesWithItsContext() throws Exception {
        String key = "shell-python";
        long id;
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            ctx.exec("import pyhost\nclass G:\n    def greet(self, name):\n        return 'hi ' + name\n"
                    + "reg = pyhost.register(" + pyString(GREETER) + ", G(), {'it.key': " + pyString(key) + ", 'pyhost.export': True})");
            List<ServiceReference<Greeter>> refs = references(Greeter.class, "it.key", key);
            assertEquals(1, refs.size());
            id = (Long) refs.get(0).getProperty(Constants.SERVICE_ID);
            String listing = gogo("py:services");
            assertTrue(listing, listing.contains(GREETER + " (id " + id + ", ranking 0, bundle io.pyhost.core)\n"));
        }
        String after = gogo("py:services");
        assertFalse(after, after.contains(GREETER + " (id " + id + ","));
    }
}
