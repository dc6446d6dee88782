package io.pyhost.core;

import static org.junit.Assert.*;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.osgi.framework.Version;

import io.pyhost.api.Fragment;

/** Parsing the plugin headers and ordering the fragments, bad input included. */
public class PluginHeadersTest {
    private final Map<String, byte[]> entries = new HashMap<>();

    private PluginHeaders.Parsed parse(String bsn, String version, Map<String, String> headers) {
        return PluginHeaders.parse(bsn, Version.parseVersion(version), headers::get, entries::get);
    }

    private void entry(String path, String code) {
        entries.put(path, code.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    public void clausesWithParametersAndQuotes() {
        var clauses = ManifestClauses.parse(" python/a.py;order=100 , \"python/b,c.py\";order=\"-5\", x.py ");
        assertEquals(3, clauses.size());
        assertEquals("python/a.py", clauses.get(0).value());
        assertEquals("100", clauses.get(0).parameters().get("order"));
        assertEquals("python/b,c.py", clauses.get(1).value());
        assertEquals("-5", clauses.get(1).parameters().get("order"));
        assertEquals(Map.of(), clauses.get(2).parameters());
        assertEquals(List.of(), ManifestClauses.parse("  "));
    }

    @Test
    public void malformedClausesAreRefused() {
        assertEquals("unbalanced quote in '\"python/a.py;order=1'",
                assertThrows(IllegalArgumentException.class, () -> ManifestClauses.parse("\"python/a.py;order=1")).getMessage());
        assertEquals("parameter 'order' of 'a.py' is not key=value",
                assertThrows(IllegalArgumentException.class, () -> ManifestClauses.parse("a.py;order")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ManifestClauses.parse("a.py,,b.py")).getMessage()
                .startsWith("empty clause"));
    }

    @Test
    public void allThreeHeadersAreRead() {
        entry("python/preload.py", "A = 1\n");
        entry("python/more.py", "B = 2\n");
        var parsed = parse("com.example.plugin", "1.2.0", Map.of(
                "Python-Preload", "python/preload.py;order=100, /python/more.py;order=200",
                "Python-Path", "python/lib/",
                "Python-Import", "json, xml.etree.ElementTree"));
        assertEquals(List.of(), parsed.problems());
        assertEquals(2, parsed.fragments().size());
        Fragment first = parsed.fragments().get(0).fragment();
        assertEquals("com.example.plugin/1.2.0!python/preload.py", first.origin());
        assertEquals(100, first.order());
        assertEquals("A = 1\n", first.code());
        assertEquals("com.example.plugin/1.2.0!python/more.py", parsed.fragments().get(1).fragment().origin());
        assertEquals(List.of("python/lib"), parsed.pathDirs());
        assertEquals(List.of("json", "xml.etree.ElementTree"), parsed.imports());
    }

    @Test
    public void problemsNameTheBundleAndEntryAndSpareTheRest() {
        entry("ok.py", "OK = 1\n");
        entries.put("latin1.py", new byte[] {'X', '=', '"', (byte) 0xE9, '"'});
        entry("order.py", "O = 1");
        var parsed = parse("p", "1.0.0", Map.of(
                "Python-Preload", "ok.py, missing.py;order=3, latin1.py, order.py;order=high",
                "Python-Path", "\"unbalanced",
                "Python-Import", "json, 9bad, decimal"));
        assertEquals(1, parsed.fragments().size());
        assertEquals("p/1.0.0!ok.py", parsed.fragments().get(0).fragment().origin());
        assertEquals(List.of(
                "p/1.0.0: Python-Preload entry missing.py does not exist in the bundle; skipped",
                "p/1.0.0: Python-Preload entry latin1.py is not valid UTF-8; skipped",
                "p/1.0.0: Python-Preload entry order.py has order 'high', not an integer; entry ignored",
                "p/1.0.0: malformed Python-Path header (unbalanced quote in '\"unbalanced'); header ignored",
                "p/1.0.0: Python-Import: not a Python module name: '9bad'; ignored"), parsed.problems());
        assertEquals(List.of(), parsed.pathDirs());
        assertEquals(List.of("json", "decimal"), parsed.imports());
    }

    @Test
    public void codeSmuggledIntoAnImportMakesTheHeaderMalformed() {
        var parsed = parse("p", "1.0.0", Map.of("Python-Import", "os; import sys"));
        assertEquals(List.of("p/1.0.0: malformed Python-Import header (parameter 'import sys' of 'os' is not key=value); header ignored"),
                parsed.problems());
        assertEquals(List.of(), parsed.imports());
    }

    @Test
    public void noHeadersMeansNoContribution() {
        assertFalse(PluginHeaders.present(Map.<String, String>of()::get));
        assertFalse(parse("p", "1.0.0", Map.of()).contributes());
    }

    @Test
    public void fragmentsRunByOrderThenNameThenVersionThenPathApplicationLast() {
        PreloadRegistry registry = new PreloadRegistry();
        registry.setCode("APP = 1");
        entry("b.py", "");
        entry("a.py", "");
        // contributed in shuffled order
        registry.contribute("bundle:3", contribution("zeta", "1.0.0", "a.py;order=10"));
        registry.contribute("bundle:1", contribution("alpha", "2.0.0", "b.py, a.py"));
        registry.contribute("bundle:2", contribution("alpha", "1.5.0", "b.py"));
        registry.contribute("bundle:4", contribution("beta", "1.0.0", "a.py;order=-1"));
        List<String> origins = registry.fragments().stream().map(Fragment::origin).toList();
        assertEquals(List.of("beta/1.0.0!a.py", "alpha/1.5.0!b.py", "alpha/2.0.0!a.py", "alpha/2.0.0!b.py", "zeta/1.0.0!a.py",
                Fragment.APPLICATION), origins);
        String effective = registry.effectiveCode();
        assertTrue(effective, effective.startsWith("# --- beta/1.0.0!a.py (order -1) ---\n"));
        assertTrue(effective, effective.endsWith("# --- application (order " + Integer.MAX_VALUE + ") ---\nAPP = 1\n"));
        long version = registry.version();
        assertTrue(registry.withdraw("bundle:1"));
        assertFalse(registry.withdraw("bundle:1"));
        assertTrue(registry.version() > version);
        assertEquals(4, registry.fragments().size());
    }

    private PreloadRegistry.Contribution contribution(String bsn, String version, String header) {
        var parsed = parse(bsn, version, Map.of("Python-Preload", header));
        assertEquals(List.of(), parsed.problems());
        return new PreloadRegistry.Contribution(parsed.fragments(), parsed.pathDirs(), parsed.imports());
    }

    @Test
    public void registryRefusesBadInputWithClearMessages() {
        PreloadRegistry registry = new PreloadRegistry();
        assertEquals("not a Python module name: 'os; import sys'",
                assertThrows(IllegalArgumentException.class, () -> registry.addImport("os; import sys")).getMessage());
        assertEquals("not a Python module name: null", assertThrows(IllegalArgumentException.class, () -> registry.addImport(null)).getMessage());
        assertEquals("path is null or blank", assertThrows(IllegalArgumentException.class, () -> registry.addPath(" ")).getMessage());
        assertEquals("preload code contains a NUL character",
                assertThrows(IllegalArgumentException.class, () -> registry.setCode("x\0")).getMessage());
        assertThrows(NullPointerException.class, () -> registry.setCode(null));
        long version = registry.version();
        registry.addPath("/tmp/a");
        registry.addPath("/tmp/a");
        assertEquals(List.of("/tmp/a"), registry.paths());
        assertEquals(version + 1, registry.version());
        assertTrue(registry.removePath("/tmp/a"));
        assertFalse(registry.hasPreload());
        registry.clearCode(); // nothing to clear: no new version
        assertEquals(version + 2, registry.version());
    }
}
