package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.api.PyContext;

/**
 * DESIGN.md "Plugin fragments": fragments of plugin bundles run in ascending {@code order}
 * (default 0), then bundle symbolic name, then bundle version, then entry path, whatever order
 * the bundles were installed and started in; the application code runs after every fragment,
 * {@code ContextOptions.preload} after that. {@code fragments()} lists them in that order with
 * their origins; {@code effectiveCode()} is their concatenation, each after a comment line
 * naming its origin.
 */
@RunWith(PaxExam.class)
public class PluginFragmentOrderIT extends PluginTestSupport {

    static final String ALPHA = "io.pyhost.it.order.alpha";
    static final String BETA = "io.pyhost.it.order.beta";
    static final String GAMMA = "io.pyhost.it.order.gamma";

    /**
     * Four bundles of three names. Every key of the rule decides somewhere: a negative order, a
     * default order, BSN (alpha < beta < gamma at order 20, against header order and entry
     * names), version (beta 1.9.0 < 1.10.0: compared as versions, not as text) and entry path
     * (alpha's a.py < b.py, listed the other way round in its header).
     */
    static List<PluginJar> plugins() {
        return List.of(
                plugin(ALPHA, "1.0.0")
                        .preload("python/b.py;order=20, python/a.py;order=20, python/first.py;order=-5")
                        .entry("python/a.py", appendRun("alpha a.py"))
                        .entry("python/b.py", appendRun("alpha b.py"))
                        .entry("python/first.py", appendRun("alpha first.py")),
                plugin(BETA, "1.10.0")
                        .preload("python/x.py;order=20")
                        .entry("python/x.py", appendRun("beta 1.10.0 x.py")),
                plugin(BETA, "1.9.0")
                        .preload("python/x.py;order=\"20\"")
                        .entry("python/x.py", appendRun("beta 1.9.0 x.py")),
                plugin(GAMMA, "1.0.0")
                        .preload("python/late.py;order=100, python/x.py, python/m.py;order=20")
                        .entry("python/x.py", appendRun("gamma x.py"))
                        .entry("python/m.py", appendRun("gamma m.py"))
                        .entry("python/late.py", appendRun("gamma late.py")));
    }

    /** The documented order of the fragments above (labels, and origins without the BSN/version). */
    static final List<String> EXPECTED_RUN = List.of(
            "alpha first.py",   // order -5
            "gamma x.py",       // order 0 (default)
            "alpha a.py",       // order 20: alpha, entry a.py before b.py
            "alpha b.py",
            "beta 1.9.0 x.py",  // order 20: beta, version 1.9.0 before 1.10.0
            "beta 1.10.0 x.py",
            "gamma m.py",       // order 20: gamma after alpha and beta
            "gamma late.py");   // order 100

    static final List<String> EXPECTED_ORIGINS = List.of(
            ALPHA + "/1.0.0!python/first.py",
            GAMMA + "/1.0.0!python/x.py",
            ALPHA + "/1.0.0!python/a.py",
            ALPHA + "/1.0.0!python/b.py",
            BETA + "/1.9.0!python/x.py",
            BETA + "/1.10.0!python/x.py",
            GAMMA + "/1.0.0!python/m.py",
            GAMMA + "/1.0.0!python/late.py",
            Fragment.APPLICATION);

    @Test
    public void fragmentsOfBundlesInstalledInAnyOrderRunInTheDocumentedOrderInEveryMode() throws Exception {
        List<List<PluginJar>> installOrders = new ArrayList<>();
        installOrders.add(plugins());
        installOrders.add(plugins().reversed());
        for (long seed : new long[] {7, 42, 2024}) {
            List<PluginJar> shuffled = new ArrayList<>(plugins());
            Collections.shuffle(shuffled, new Random(seed));
            installOrders.add(shuffled);
        }
        for (List<PluginJar> installOrder : installOrders) {
            String described = installOrder.stream().map(p -> p.symbolicName + "/" + p.version).toList().toString();
            for (PluginJar jar : installOrder) {
                start(jar);
            }
            try {
                preload.setCode(appendRun("application"));
                assertEquals("fragments() after installing " + described, EXPECTED_ORIGINS, origins());
                assertEffectiveCodeNamesEachOriginBeforeItsCode();

                forEachMode(mode -> {
                    preload.setCode(appendRun("application"));
                    List<String> expected = new ArrayList<>(EXPECTED_RUN);
                    expected.add("application");
                    expected.add("context");
                    try (PyContext ctx = create(ContextOptions.mode(mode).withPreload("RUN.append('context')"))) {
                        assertEquals("[" + mode + "] run order after installing " + described, expected, run(ctx));
                    }
                    try (PyContext second = create(mode)) {
                        assertEquals("[" + mode + "] a second context: every fragment once, no context preload",
                                expected.subList(0, expected.size() - 1), run(second));
                    }
                });
            } finally {
                uninstallInstalled();
            }
            assertEquals("every plugin fragment left with its bundle", List.of(), origins());
        }
    }

    @Test
    public void withoutPluginsOnlyTheApplicationCodeIsAFragmentAndEffectiveCodeIsJustIt() {
        assertEquals(List.of(), preload.fragments());
        preload.setCode("APP = 1\n");
        assertEquals(List.of(Fragment.APPLICATION), origins());
        assertEquals("the application code is always last", Integer.MAX_VALUE, preload.fragments().getFirst().order());
        assertEffectiveCodeNamesEachOriginBeforeItsCode();
    }

    @Test
    public void aFragmentSeesWhatLowerOrdersDefinedAndLaterFragmentsWin() throws Exception {
        // One namespace for all fragments: order 10 defines, order 20 reads and replaces, the
        // application code reads what order 20 left.
        start(plugin("io.pyhost.it.order.base", "1.0.0").preload("base.py;order=10")
                .entry("base.py", "GREETING = 'hello'\nWINNER = 'base'\n"));
        start(plugin("io.pyhost.it.order.override", "1.0.0").preload("/override.py;order=20")
                .entry("override.py", "GREETING = GREETING.upper()\nWINNER = 'override'\n"));
        forEachMode(mode -> {
            preload.setCode("SEEN_BY_APPLICATION = WINNER\n");
            try (PyContext ctx = create(mode)) {
                assertEquals("HELLO", ctx.eval("GREETING"));
                assertEquals("override", ctx.eval("WINNER"));
                assertEquals("override", ctx.eval("SEEN_BY_APPLICATION"));
            }
        });
        assertEquals("a leading slash of the entry path is not part of the origin",
                List.of("io.pyhost.it.order.base/1.0.0!base.py", "io.pyhost.it.order.override/1.0.0!override.py"), origins());
    }

    /**
     * effectiveCode() holds every fragment's code, in fragments() order, each directly after a
     * comment line that names the fragment's origin.
     */
    private void assertEffectiveCodeNamesEachOriginBeforeItsCode() {
        List<Fragment> fragments = preload.fragments();
        String effective = preload.effectiveCode();
        int from = 0;
        for (Fragment f : fragments) {
            int code = effective.indexOf(f.code(), from);
            assertTrue("effectiveCode() holds the code of " + f.origin() + " after what comes before it:\n" + effective, code >= 0);
            String before = effective.substring(from, code);
            List<String> lines = Stream.of(before.split("\n")).filter(l -> !l.isBlank()).toList();
            assertTrue("the code of " + f.origin() + " follows a comment line naming it:\n" + effective,
                    !lines.isEmpty() && lines.getLast().startsWith("#") && lines.getLast().contains(f.origin()));
            assertEquals("only the comment line comes between the previous fragment and " + f.origin() + ":\n" + effective,
                    1, lines.size());
            from = code + f.code().length();
        }
        assertEquals("nothing but fragments in effectiveCode()", "", effective.substring(from).strip());
    }
}
