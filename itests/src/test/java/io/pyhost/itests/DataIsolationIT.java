package io.pyhost.itests;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.PyContext;

/**
 * DESIGN.md "Details of the contract": each context's copy of the preloaded globals is isolated
 * for data. Plain containers built by the preload (dict, list, set, bytearray, nested, inside
 * tuples) are copied deeply, so mutating them in one context never shows in another, nor in a
 * context created later; in every mode present.
 */
@RunWith(PaxExam.class)
public class DataIsolationIT extends PyhostTestSupport {

    @Test
    public void mutatingPreloadedConfigInOneContextDoesNotShowInAnother() {
        forEachMode(mode -> {
            preload.setCode(SeedExamplesIT.BASIC_USAGE_PRELOAD);
            try (PyContext ctx1 = create(mode); PyContext ctx2 = create(mode)) {
                ctx1.exec("CONFIG['debug'] = False");
                assertEquals(false, ctx1.eval("CONFIG['debug']"));
                assertEquals(true, ctx2.eval("CONFIG['debug']"));
                try (PyContext later = create(mode)) {
                    assertEquals("the preloaded namespace itself was not mutated", true, later.eval("CONFIG['debug']"));
                }
            }
        });
    }

    @Test
    public void nestedContainersAreCopiedDeeply() {
        forEachMode(mode -> {
            preload.setCode("""
                    SETTINGS = {'servers': [{'host': 'a', 'tags': {'x'}}], 'raw': bytearray(b'ab')}
                    PAIR = ([1], {'k': 'v'})
                    ALIAS = SETTINGS['servers']
                    """);
            try (PyContext ctx1 = create(mode); PyContext ctx2 = create(mode)) {
                ctx1.exec("""
                        SETTINGS['servers'][0]['host'] = 'changed'
                        SETTINGS['servers'][0]['tags'].add('y')
                        SETTINGS['servers'].append({})
                        SETTINGS['raw'][0] = 0x7a
                        PAIR[0].append(2)
                        PAIR[1]['k'] = 'w'
                        """);
                assertEquals("changed", ctx1.eval("SETTINGS['servers'][0]['host']"));
                assertEquals("a", ctx2.eval("SETTINGS['servers'][0]['host']"));
                assertEquals(Set.of("x"), ctx2.eval("SETTINGS['servers'][0]['tags']"));
                assertEquals(1L, ctx2.eval("len(SETTINGS['servers'])"));
                assertEquals("ab", ctx2.eval("SETTINGS['raw'].decode()"));
                assertEquals(List.of(List.of(1L), Map.of("k", "v")), ctx2.eval("PAIR"));
                assertEquals("one object referenced twice is still one object in the copy", true,
                        ctx2.eval("ALIAS is SETTINGS['servers']"));
                assertEquals(true, ctx1.eval("ALIAS is SETTINGS['servers']"));
            }
        });
    }

    /**
     * The same guarantee when the mutation goes through a function the preload defined: the
     * function is shared (it cannot be copied), but what it changes must stay in the context
     * that called it, never reach another context or the preloaded namespace later contexts
     * are copied from.
     */
    @Test
    public void aPreloadedFunctionMutatingGlobalsDoesNotLeakIntoOtherOrLaterContexts() {
        forEachMode(mode -> {
            preload.setCode("""
                    CONFIG = {'debug': True}
                    COUNTER = 0

                    def set_debug(value):
                        CONFIG['debug'] = value

                    def bump():
                        global COUNTER
                        COUNTER += 1
                        return COUNTER
                    """);
            try (PyContext ctx1 = create(mode); PyContext ctx2 = create(mode)) {
                ctx1.call(null, "set_debug", List.of(false), null);
                assertEquals("ctx1 called bump() once", 1L, ctx1.eval("bump()"));
                assertEquals("ctx2's first bump() counts ctx2's calls only", 1L, ctx2.eval("bump()"));
                assertEquals(true, ctx2.eval("CONFIG['debug']"));
                try (PyContext later = create(mode)) {
                    assertEquals("a later context starts from the preload's COUNTER = 0", 0L, later.eval("COUNTER"));
                    assertEquals("a later context starts from the preload's CONFIG", true, later.eval("CONFIG['debug']"));
                }
            }
        });
    }

    @Test
    public void rebindingAndDeletingGlobalsStayInTheirContext() {
        forEachMode(mode -> {
            preload.setCode("COUNTER = 0\nNAME = 'n'");
            try (PyContext ctx1 = create(mode); PyContext ctx2 = create(mode)) {
                ctx1.exec("COUNTER += 1\ndel NAME\nNEW = 1");
                assertEquals(1L, ctx1.eval("COUNTER"));
                assertEquals(0L, ctx2.eval("COUNTER"));
                assertEquals("n", ctx2.eval("NAME"));
                assertEquals(false, ctx2.eval("'NEW' in globals()"));
            }
        });
    }
}
