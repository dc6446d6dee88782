package io.pyhost.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Turns a run's JMH JSON (and its probes file) into the Markdown tables of the README, with the
 * ratios that matter: pyhost against each peer, owngil's scaling, the goals of issue 8.
 *
 * <pre>java -cp target/pyhost-benchmarks.jar io.pyhost.bench.Report results/DATE.json [results/DATE.probes.json]</pre>
 */
public final class Report {
    private static final List<String> MODES = Pyhost.MODES;

    private final JsonArray results;
    private final JsonObject probes;
    private final StringBuilder out = new StringBuilder();

    private Report(JsonArray results, JsonObject probes) {
        this.results = results;
        this.probes = probes;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Report RESULTS.json [PROBES.json]");
            System.exit(64);
        }
        Path json = Path.of(args[0]);
        Path probesPath = args.length > 1 ? Path.of(args[1])
                : json.resolveSibling(json.getFileName().toString().replaceFirst("\\.json$", ".probes.json"));
        JsonArray results = JsonParser.parseString(Files.readString(json)).getAsJsonArray();
        JsonObject probes = Files.exists(probesPath) ? JsonParser.parseString(Files.readString(probesPath)).getAsJsonObject()
                : new JsonObject();
        String command = probes.has("machine") ? "java -jar benchmarks/target/pyhost-benchmarks.jar "
                + probes.getAsJsonObject("machine").get("arguments").getAsString() : "(unknown)";
        System.out.print(render(results, probes, command.trim()));
    }

    /** The Markdown for one run. */
    public static String render(JsonArray results, JsonObject probes, String command) {
        Report r = new Report(results, probes);
        r.header(command);
        r.smallCalls();
        r.goals();
        r.pythonCallsJava();
        r.throughput();
        r.creation();
        r.burn();
        r.conversion();
        r.objectsAndBuffers();
        r.jep();
        r.processChannel();
        r.floor();
        r.memory();
        r.coldStart();
        return r.out.toString();
    }

    // ---- lookup

    /** A JMH score in a chosen unit. */
    record Score(double value, double error, int samples) {
        String show() {
            if (Double.isNaN(value)) {
                return "—";
            }
            String v = number(value);
            return samples > 1 && !Double.isNaN(error) && error > 0 ? v + " ± " + number(error) : v;
        }
    }

    static final Score NONE = new Score(Double.NaN, Double.NaN, 0);

    /**
     * The score of {@code benchmark} (class.method) whose params include {@code params}
     * (name, value, ...), in {@code unit} (a time per op: ns, us, ms, s; or ops per ms).
     */
    Score find(String benchmark, String unit, String... params) {
        for (JsonElement e : results) {
            JsonObject o = e.getAsJsonObject();
            if (!o.get("benchmark").getAsString().endsWith("." + benchmark)) {
                continue;
            }
            JsonObject p = o.has("params") ? o.getAsJsonObject("params") : new JsonObject();
            boolean match = true;
            for (int i = 0; i < params.length; i += 2) {
                if (!p.has(params[i]) || !p.get(params[i]).getAsString().equals(params[i + 1])) {
                    match = false;
                    break;
                }
            }
            if (!match) {
                continue;
            }
            JsonObject m = o.getAsJsonObject("primaryMetric");
            double factor = factor(m.get("scoreUnit").getAsString(), unit);
            double error = m.get("scoreError").isJsonPrimitive() ? m.get("scoreError").getAsDouble() * factor : Double.NaN;
            int samples = 0;
            for (JsonElement fork : m.getAsJsonArray("rawData")) {
                samples += fork.getAsJsonArray().size();
            }
            return new Score(m.get("score").getAsDouble() * factor, error, samples);
        }
        return NONE;
    }

    /**
     * The median of every measured iteration (all forks) of {@code benchmark}, in {@code unit}
     * (a time per op); NaN when it was not run. Medians, not JMH's mean: one iteration hit by
     * another process on this shared machine moves the mean, not the median.
     */
    double median(String benchmark, String unit, String... params) {
        for (JsonElement e : results) {
            JsonObject o = e.getAsJsonObject();
            if (!o.get("benchmark").getAsString().endsWith("." + benchmark)) {
                continue;
            }
            JsonObject p = o.has("params") ? o.getAsJsonObject("params") : new JsonObject();
            boolean match = true;
            for (int i = 0; i < params.length; i += 2) {
                if (!p.has(params[i]) || !p.get(params[i]).getAsString().equals(params[i + 1])) {
                    match = false;
                    break;
                }
            }
            if (!match) {
                continue;
            }
            JsonObject m = o.getAsJsonObject("primaryMetric");
            double factor = factor(m.get("scoreUnit").getAsString(), unit);
            List<Double> all = new ArrayList<>();
            for (JsonElement fork : m.getAsJsonArray("rawData")) {
                for (JsonElement v : fork.getAsJsonArray()) {
                    all.add(v.getAsDouble() * factor);
                }
            }
            if (all.isEmpty()) {
                return Double.NaN;
            }
            all.sort(null);
            int n = all.size();
            return n % 2 == 1 ? all.get(n / 2) : (all.get(n / 2 - 1) + all.get(n / 2)) / 2;
        }
        return Double.NaN;
    }

    /**
     * The median over iterations of a benchmark's CPU time per operation ({@link CpuTime}'s
     * secondary results cpuNanos / ops), in µs; NaN when absent.
     */
    double cpuMedian(String benchmark, String... params) {
        for (JsonElement e : results) {
            JsonObject o = e.getAsJsonObject();
            if (!o.get("benchmark").getAsString().endsWith("." + benchmark) || !o.has("secondaryMetrics")) {
                continue;
            }
            JsonObject p = o.has("params") ? o.getAsJsonObject("params") : new JsonObject();
            boolean match = true;
            for (int i = 0; i < params.length; i += 2) {
                if (!p.has(params[i]) || !p.get(params[i]).getAsString().equals(params[i + 1])) {
                    match = false;
                    break;
                }
            }
            JsonObject secondary = o.getAsJsonObject("secondaryMetrics");
            if (!match || !secondary.has("cpuNanos") || !secondary.has("ops")) {
                continue;
            }
            JsonArray nanos = secondary.getAsJsonObject("cpuNanos").getAsJsonArray("rawData");
            JsonArray ops = secondary.getAsJsonObject("ops").getAsJsonArray("rawData");
            List<Double> all = new ArrayList<>();
            for (int f = 0; f < nanos.size(); f++) {
                JsonArray n = nanos.get(f).getAsJsonArray();
                JsonArray k = ops.get(f).getAsJsonArray();
                for (int i = 0; i < n.size(); i++) {
                    if (k.get(i).getAsDouble() > 0) {
                        all.add(n.get(i).getAsDouble() / k.get(i).getAsDouble() / 1000);
                    }
                }
            }
            if (all.isEmpty()) {
                return Double.NaN;
            }
            all.sort(null);
            int n = all.size();
            return n % 2 == 1 ? all.get(n / 2) : (all.get(n / 2 - 1) + all.get(n / 2)) / 2;
        }
        return Double.NaN;
    }

    /** The per-iteration values (all forks) of a secondary result of {@code benchmark}; empty when absent. */
    List<Double> secondary(String benchmark, String counter, String... params) {
        for (JsonElement e : results) {
            JsonObject o = e.getAsJsonObject();
            if (!o.get("benchmark").getAsString().endsWith("." + benchmark) || !o.has("secondaryMetrics")) {
                continue;
            }
            JsonObject p = o.has("params") ? o.getAsJsonObject("params") : new JsonObject();
            boolean match = true;
            for (int i = 0; i < params.length; i += 2) {
                if (!p.has(params[i]) || !p.get(params[i]).getAsString().equals(params[i + 1])) {
                    match = false;
                    break;
                }
            }
            JsonObject secondary = o.getAsJsonObject("secondaryMetrics");
            if (!match || !secondary.has(counter)) {
                continue;
            }
            List<Double> out = new ArrayList<>();
            for (JsonElement fork : secondary.getAsJsonObject(counter).getAsJsonArray("rawData")) {
                for (JsonElement v : fork.getAsJsonArray()) {
                    out.add(v.getAsDouble());
                }
            }
            return out;
        }
        return List.of();
    }

    /** The median of f(a_i, b_i) over iterations i of two secondary results; NaN when absent. */
    static double pairedMedian(List<Double> a, List<Double> b, java.util.function.DoubleBinaryOperator f) {
        List<Double> all = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (b.get(i) > 0) {
                all.add(f.applyAsDouble(a.get(i), b.get(i)));
            }
        }
        return medianOf(all);
    }

    static double medianOf(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> all = new ArrayList<>(values);
        all.sort(null);
        int n = all.size();
        return n % 2 == 1 ? all.get(n / 2) : (all.get(n / 2 - 1) + all.get(n / 2)) / 2;
    }

    private static double seconds(String unit) {
        return switch (unit) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1;
            default -> throw new IllegalArgumentException("unit " + unit);
        };
    }

    /** Factor from JMH's unit (us/op, ops/ms, ...) to the wanted one ("us", "ms", "ops/ms"). */
    private static double factor(String from, String to) {
        if (from.endsWith("/op")) {
            double f = seconds(from.substring(0, from.length() - 3));
            if (to.startsWith("ops/")) {
                throw new IllegalArgumentException("time to rate");
            }
            return f / seconds(to);
        }
        if (from.startsWith("ops/")) {
            return seconds(to.substring(4)) / seconds(from.substring(4));
        }
        throw new IllegalArgumentException("unit " + from);
    }

    // ---- formatting

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String times(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.2fx", v);
    }

    static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "—" : String.format(Locale.ROOT, "%.2fx", a / b);
    }

    private void line(String s) {
        out.append(s).append('\n');
    }

    private void row(List<String> cells) {
        line("| " + String.join(" | ", cells) + " |");
    }

    private void table(List<String> head, List<List<String>> rows) {
        row(head);
        row(head.stream().map(h -> "---").toList());
        rows.forEach(this::row);
        line("");
    }

    private String machine(String key) {
        JsonObject m = probes.has("machine") ? probes.getAsJsonObject("machine") : new JsonObject();
        return m.has(key) ? m.get(key).getAsString() : "unknown";
    }

    // ---- sections

    private void header(String command) {
        line("Run of " + machine("date") + " on " + machine("cores") + " cores (" + machine("cpu") + "), " + machine("java")
                + ", CPython " + machine("python") + ".");
        line("Load average (1, 5, 15 min) at start: " + machine("loadAverageAtStart") + "; at end: " + machine("loadAverageAtEnd")
                + ". Command: `" + command + "`.");
        if (machine("quick").equals("true")) {
            line("");
            line("**Smoke run (--quick): iterations too short to trust the figures.**");
        }
        if (probes.has("notes")) {
            for (JsonElement n : probes.getAsJsonArray("notes")) {
                line("");
                line("Note: " + n.getAsString());
            }
        }
        line("");
        line("Figures are JMH scores ± the 99.9% confidence half-width where JMH gives one.");
        line("");
    }

    private static final List<String> CALLS = List.of("evalCached", "evalNewSource", "callSqrt");
    private static final List<String> CALL_NAMES = List.of("`eval(\"x + 1\")`, cached code", "`eval(\"x + <n>\")`, new source each call",
            "`call(\"math\", \"sqrt\", [16.0])`");

    private Score small(String mode, String caller, String call) {
        return find("SmallCallBench." + call, "us", "mode", mode, "caller", caller);
    }

    private Score graal(String method, String compiler, String unit, String... params) {
        String[] all = new String[params.length + 2];
        all[0] = "compiler";
        all[1] = compiler;
        System.arraycopy(params, 0, all, 2, params.length);
        return find("GraalPyBench." + method, unit, all);
    }

    /** Whether any result comes from {@code benchmarkClass}. */
    private boolean has(String... benchmarkClasses) {
        for (JsonElement e : results) {
            String name = e.getAsJsonObject().get("benchmark").getAsString();
            for (String c : benchmarkClasses) {
                if (name.contains("." + c + ".")) {
                    return true;
                }
            }
        }
        return false;
    }

    private void smallCalls() {
        if (!has("SmallCallBench", "FloorBench", "ProcessPoolBench", "GraalPyBench")) {
            return;
        }
        line("### Small call round trip, µs per call (lower is better)");
        line("");
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < CALLS.size(); i++) {
            String call = CALLS.get(i);
            for (String caller : List.of("platform", "virtual")) {
                List<String> cells = new ArrayList<>(List.of(CALL_NAMES.get(i), caller));
                for (String mode : MODES) {
                    cells.add(small(mode, caller, call).show());
                }
                boolean platform = caller.equals("platform");
                cells.add(platform ? find("FloorBench." + call, "us", "mode", "worker").show() : "");
                cells.add(platform ? find("ProcessPoolBench." + call, "us").show() : "");
                cells.add(platform ? graal(call, "interpreter", "us").show() : "");
                cells.add(platform ? graal(call, "jit", "us").show() : "");
                rows.add(cells);
            }
        }
        table(List.of("call", "caller thread", "pyhost worker", "pyhost subinterp", "pyhost owngil", "floor: timeit inside CPython",
                "CPython process over pipes", "GraalPy interpreter", "GraalPy JIT"), rows);

        line("Ratios (peer time ÷ pyhost time; above 1.00x pyhost is faster):");
        line("");
        rows = new ArrayList<>();
        for (int i = 0; i < CALLS.size(); i++) {
            String call = CALLS.get(i);
            double worker = small("worker", "platform", call).value();
            double owngil = small("owngil", "platform", call).value();
            double floor = find("FloorBench." + call, "us", "mode", "worker").value();
            double pool = find("ProcessPoolBench." + call, "us").value();
            double gi = graal(call, "interpreter", "us").value();
            double gj = graal(call, "jit", "us").value();
            rows.add(List.of(CALL_NAMES.get(i), ratio(pool, worker), ratio(pool, owngil), ratio(gi, worker), ratio(gi, owngil),
                    ratio(gj, worker), number(worker - floor)));
        }
        table(List.of("call", "process ÷ worker", "process ÷ owngil", "GraalPy interp. ÷ worker", "GraalPy interp. ÷ owngil",
                "GraalPy JIT ÷ worker", "pyhost worker overhead over the floor, µs"), rows);
    }

    private void goals() {
        if (!has("SmallCallBench", "BurnBench", "CreationBench")) {
            return;
        }
        line("### Goals of issue 8");
        line("");
        List<List<String>> rows = new ArrayList<>();
        double worker = small("worker", "platform", "evalCached").value();
        rows.add(goal("small cached call, worker", "≤ 1 µs", number(worker) + " µs", worker <= 1));
        for (String mode : List.of("subinterp", "owngil")) {
            double v = small(mode, "platform", "evalCached").value();
            rows.add(goal("small cached call, " + mode, "≤ 3 µs", number(v) + " µs", v <= 3));
        }
        for (String mode : MODES) {
            double p = small(mode, "platform", "evalCached").value();
            double v = small(mode, "virtual", "evalCached").value();
            rows.add(goal("virtual-thread caller, " + mode, "within 2x of platform", ratio(v, p), v <= 2 * p));
        }
        double pool = find("ProcessPoolBench.evalCached", "us").value();
        rows.add(goal("vs. process pool, cached call (worker)", "≥ 10x faster", ratio(pool, worker), pool >= 10 * worker));
        double owngilCall = small("owngil", "platform", "evalCached").value();
        rows.add(goal("vs. process pool, cached call (owngil)", "≥ 10x faster", ratio(pool, owngilCall), pool >= 10 * owngilCall));
        for (String call : CALLS) {
            double gi = graal(call, "interpreter", "us").value();
            double w = small("worker", "platform", call).value();
            rows.add(goal("vs. GraalPy interpreter, " + call + " (worker)", "faster", ratio(gi, w), gi > w));
        }
        double s = scaling("owngil");
        rows.add(goal("owngil burn scaling, 2 threads", "≥ 1.8x", times(s), s >= 1.8));
        double w = find("CreationBench.create", "ms", "variant", "worker", "preload", "realistic").value();
        rows.add(goal("create, realistic preload, worker", "< 1 ms", number(w) + " ms", w < 1));
        double cold = find("CreationBench.create", "ms", "variant", "owngil", "preload", "realistic").value();
        rows.add(goal("create, realistic preload, owngil cold", "< 30 ms", number(cold) + " ms", cold < 30));
        double warm = find("CreationBench.create", "ms", "variant", "owngil-pool", "preload", "realistic").value();
        rows.add(goal("create, realistic preload, owngil from the warm pool", "< 1 ms", number(warm) + " ms", warm < 1));
        table(List.of("goal", "target", "measured", "met"), rows);
    }

    /** HandleBench (issue 13) and BufferBench (issue 14): their goals, measured in this run. */
    private void objectsAndBuffers() {
        if (!has("HandleBench", "BufferBench")) {
            return;
        }
        line("#### Python objects in Java (issue 13), arrays without copies (issue 14)");
        line("");
        List<List<String>> rows = new ArrayList<>();
        if (has("HandleBench")) {
            double graal = find("GraalPyBench.callSqrt", "us", "compiler", "interpreter").value();
            for (String mode : MODES) {
                double held = median("HandleBench.heldCallable", "us", "mode", mode);
                double target = mode.equals("worker") ? 0.5 : mode.equals("owngil") ? 1.5 : Double.NaN;
                if (!Double.isNaN(target)) {
                    rows.add(goal("held callable `sqrt.call(16.0)`, " + mode, "≤ " + number(target) + " µs", number(held) + " µs",
                            held <= target));
                }
                if (mode.equals("worker")) {
                    rows.add(goal("held callable, worker vs. GraalPy interpreter holding `math.sqrt`", "faster",
                            number(held) + " µs vs " + number(graal) + " µs", held < graal));
                }
            }
            double stream = median("HandleBench.streamMillion", "ms", "mode", "worker");
            rows.add(goal("1,000,000 ints streamed, worker", "≥ 2 million items/s",
                    number(1000 / stream) + " million items/s (" + number(stream) + " ms)", stream <= 500));
            double async = median("HandleBench.callAsyncThousand", "ms", "mode", "owngil");
            rows.add(goal("1,000 `callAsync` in flight, owngil", "(throughput)", number(async) + " ms per 1,000", true));
        }
        if (has("BufferBench")) {
            double list = median("BufferBench.listFromArray", "ms");
            double segment = median("BufferBench.segmentToNumpy", "ms");
            double floor = median("BufferBench.numpyHeld", "ms");
            double buffer = median("BufferBench.bufferToJava", "ms");
            double loop = median("BufferBench.javaLoop", "ms");
            rows.add(goal("8M doubles: segment + `numpy.frombuffer(...).sum()` (b) ÷ numpy's own sum (c)", "≤ 1.3x",
                    ratio(segment, floor) + " (" + number(segment) + " vs " + number(floor) + " ms)", segment / floor <= 1.3));
            rows.add(goal("8M doubles: `double[]` → list (a) ÷ segment (b)", "≥ 50x",
                    ratio(list, segment) + " (" + number(list) + " vs " + number(segment) + " ms)", list / segment >= 50));
            rows.add(goal("8M doubles: `PyBuffer` of a numpy array summed in Java ÷ a Java loop over native memory", "≤ 1.3x",
                    ratio(buffer, loop) + " (" + number(buffer) + " vs " + number(loop) + " ms)", buffer / loop <= 1.3));
        }
        table(List.of("goal", "target", "measured", "met"), rows);
    }

    /** ProcessModeBench (issue 15): the channel's goals, the child and its reader polling (spinMicros 50) or not (0). */
    private void processChannel() {
        if (!has("ProcessModeBench")) {
            return;
        }
        line("#### Mode `process` (issue 15): the channel, medians");
        line("");
        List<List<String>> rows = new ArrayList<>();
        for (String spin : List.of("50", "0")) {
            double eval = median("ProcessModeBench.evalCached", "us", "spinMicros", spin);
            double echo = median("ProcessModeBench.echoBytes10MB", "ms", "spinMicros", spin);
            String when = "`-Dpyhost.process.spinMicros=" + spin + "`" + (spin.equals("50") ? " (default)" : "");
            rows.add(goal("`eval(\"x + 1\")`, cached, " + when, "≤ 15 µs", number(eval) + " µs", eval <= 15));
            double mbs = 20.0 * 1024 * 1024 / 1e6 / (echo / 1e3);
            rows.add(goal("10 MB `bytes` echoed (20 MB moved), " + when, "≥ 500 MB/s", number(echo) + " ms = " + number(mbs) + " MB/s", mbs >= 500));
        }
        table(List.of("what", "goal", "measured", "met"), rows);
    }

    /** JepBench (issue 16): Jep's getValue beside pyhost's eval, worker. */
    private void jep() {
        if (!has("JepBench")) {
            return;
        }
        line("#### Jep's API on pyhost (issue 16), worker");
        line("");
        double eval = median("JepBench.pyhostEval", "us");
        List<List<String>> rows = new ArrayList<>();
        for (String[] b : new String[][] {{"pyhostEval", "`PyContext.eval(\"x + 1\")`"}, {"jepGetValue", "`SharedInterpreter.getValue(\"x + 1\")`"},
                {"jepGetValueTyped", "`SharedInterpreter.getValue(\"x + 1\", Integer.class)`"}}) {
            double us = median("JepBench." + b[0], "us");
            rows.add(List.of(b[1], number(us) + " µs", ratio(us, eval)));
        }
        table(List.of("call", "median", "÷ pyhost eval"), rows);
    }

    private static List<String> goal(String what, String target, String measured, boolean met) {
        return List.of(what, target, measured, measured.startsWith("—") || measured.contains("NaN") ? "not measured" : met ? "yes" : "**no**");
    }

    private double scaling(String mode) {
        double one = find("BurnBench.oneContext", "ms", "mode", mode).value();
        double two = find("BurnBench.twoContexts", "ms", "mode", mode).value();
        return 2 * one / two;
    }

    /** Issue 12: Python calling Java (upcalls), Java calling Python services, upcalls in parallel. Medians. */
    private void pythonCallsJava() {
        if (!has("UpcallBench", "UpcallPartsBench", "PythonServiceBench", "ParallelUpcallBench")) {
            return;
        }
        line("### Python calls Java, Java calls Python services (issue 12): medians of the measured iterations");
        line("");
        List<List<String>> rows = new ArrayList<>();
        if (has("UpcallBench")) {
            line("`pyhost.call('bench.inc', i)` in a 10,000-iteration Python loop, µs per upcall; the same loop calling a Python "
                    + "function (`inc(i)`) beside it:");
            line("");
            for (String mode : MODES) {
                double up = median("UpcallBench.upcall", "us", "mode", mode);
                double py = median("UpcallBench.pythonCall", "us", "mode", mode);
                double upCpu = cpuMedian("UpcallBench.upcall", "mode", mode);
                double pyCpu = cpuMedian("UpcallBench.pythonCall", "mode", mode);
                rows.add(List.of(mode, number(up), number(py), number(up - py), number(upCpu), number(pyCpu)));
            }
            table(List.of("mode", "upcall, µs", "Python call, µs", "upcall minus Python call, µs", "upcall, thread CPU µs",
                    "Python call, thread CPU µs"), rows);
        }
        if (has("UpcallPartsBench")) {
            line("Where an upcall's time goes (`UpcallPartsBench`, contexts without sandbox), µs per iteration of the loop:");
            line("");
            rows = new ArrayList<>();
            for (String mode : MODES) {
                double full = median("UpcallPartsBench.full", "us", "mode", mode);
                double raw = median("UpcallPartsBench.raw", "us", "mode", mode);
                double wrapper = median("UpcallPartsBench.wrapper", "us", "mode", mode);
                double stub = median("UpcallPartsBench.stub", "us", "mode", mode);
                double loop = median("UpcallPartsBench.loop", "us", "mode", mode);
                rows.add(List.of(mode, number(full), number(raw), number(wrapper), number(stub), number(loop),
                        number(wrapper - stub), number(raw - loop)));
            }
            for (String mode : MODES) {
                double full = cpuMedian("UpcallPartsBench.full", "mode", mode);
                double raw = cpuMedian("UpcallPartsBench.raw", "mode", mode);
                double wrapper = cpuMedian("UpcallPartsBench.wrapper", "mode", mode);
                double stub = cpuMedian("UpcallPartsBench.stub", "mode", mode);
                double loop = cpuMedian("UpcallPartsBench.loop", "mode", mode);
                rows.add(List.of(mode + ", thread CPU", number(full), number(raw), number(wrapper), number(stub), number(loop),
                        number(wrapper - stub), number(raw - loop)));
            }
            table(List.of("mode", "`pyhost.call`", "`_raw(...)` direct", "wrapper, `_raw` stubbed", "stub alone", "Python call",
                    "Python wrapper adds", "`_raw` over a Python call (upcall, Java, answer)"), rows);
        }
        if (has("PythonServiceBench")) {
            line("Java calls a Python object registered with `pyhost.register('java.util.function.LongUnaryOperator', obj)` "
                    + "through the framework's proxy (`applyAsLong(i)`), and `PyContext.call` of the same Python function, "
                    + "µs per call (embedded Felix):");
            line("");
            rows = new ArrayList<>();
            for (String mode : MODES) {
                double service = median("PythonServiceBench.service", "us", "mode", mode);
                double call = median("PythonServiceBench.contextCall", "us", "mode", mode);
                boolean own = mode.equals("worker"); // the caller's thread does all the work only in worker mode
                double serviceCpu = own ? cpuMedian("PythonServiceBench.service", "mode", mode) : Double.NaN;
                double callCpu = own ? cpuMedian("PythonServiceBench.contextCall", "mode", mode) : Double.NaN;
                rows.add(List.of(mode, number(service), number(call), ratio(service, call), number(serviceCpu), number(callCpu),
                        ratio(serviceCpu, callCpu)));
            }
            table(List.of("mode", "service proxy", "`PyContext.call`", "service ÷ call", "service, thread CPU µs",
                    "call, thread CPU µs", "service ÷ call, CPU"), rows);
            line("The two calls alternating in one loop, each timed (`interleaved`): µs per call, and the ratio per iteration "
                    + "(calls made at the same moments, so a hand-off that moves between spinning and waking a parked thread "
                    + "moves both):");
            line("");
            rows = new ArrayList<>();
            for (String mode : MODES) {
                List<Double> sn = secondary("PythonServiceBench.interleaved", "serviceNanos", "mode", mode);
                List<Double> cn = secondary("PythonServiceBench.interleaved", "callNanos", "mode", mode);
                double perCall = median("PythonServiceBench.interleaved", "us", "mode", mode); // of both kinds
                double r = pairedMedian(sn, cn, (a, b) -> a / b);
                double service = 2 * perCall * r / (1 + r);
                double call = 2 * perCall / (1 + r);
                rows.add(List.of(mode, number(service), number(call), times(r)));
            }
            table(List.of("mode", "service proxy, µs", "`PyContext.call`, µs", "service ÷ call, per iteration (median)"), rows);
        }
        if (has("ParallelUpcallBench")) {
            line("Upcalls in parallel: " + String.format(Locale.ROOT, "%,d", ParallelUpcallBench.UPCALLS)
                    + " upcalls on one context alone, then on two contexts from two threads at once (ms until both returned); a "
                    + "pure-Python loop of about the same length (" + String.format(Locale.ROOT, "%,d", ParallelUpcallBench.PY_LOOP)
                    + " Python calls) the same way, right after, in the same round. Scaling = 2 × one ÷ two, per iteration; "
                    + "medians over iterations.");
            line("");
            rows = new ArrayList<>();
            for (String mode : MODES) {
                List<Double> u1 = secondary("ParallelUpcallBench.round", "upcallsOneNanos", "mode", mode);
                List<Double> u2 = secondary("ParallelUpcallBench.round", "upcallsTwoNanos", "mode", mode);
                List<Double> p1 = secondary("ParallelUpcallBench.round", "pythonOneNanos", "mode", mode);
                List<Double> p2 = secondary("ParallelUpcallBench.round", "pythonTwoNanos", "mode", mode);
                double upScaling = pairedMedian(u1, u2, (a, b) -> 2 * a / b);
                double pyScaling = pairedMedian(p1, p2, (a, b) -> 2 * a / b);
                List<Double> relative = new ArrayList<>();
                for (int i = 0; i < Math.min(Math.min(u1.size(), u2.size()), Math.min(p1.size(), p2.size())); i++) {
                    relative.add((u1.get(i) / u2.get(i)) / (p1.get(i) / p2.get(i)));
                }
                List<Double> n = secondary("ParallelUpcallBench.round", "rounds", "mode", mode);
                java.util.function.DoubleBinaryOperator ms = (nanos, count) -> nanos / count / 1e6;
                rows.add(List.of(mode, number(pairedMedian(u1, n, ms)), number(pairedMedian(u2, n, ms)), times(upScaling),
                        number(pairedMedian(p1, n, ms)), number(pairedMedian(p2, n, ms)), times(pyScaling), times(medianOf(relative))));
            }
            table(List.of("mode", "upcalls, 1 context, ms", "upcalls, 2 contexts, ms", "upcall scaling", "Python, 1 context, ms",
                    "Python, 2 contexts, ms", "Python scaling", "upcall scaling ÷ Python scaling"), rows);
        }
        line("#### Goals of issue 12");
        line("");
        rows = new ArrayList<>();
        for (String mode : MODES) {
            double v = median("UpcallBench.upcall", "us", "mode", mode);
            double cpu = cpuMedian("UpcallBench.upcall", "mode", mode);
            double target = mode.equals("worker") ? 0.5 : 1;
            rows.add(goal("upcall, " + mode, "≤ " + number(target) + " µs", number(v) + " µs (thread CPU " + number(cpu) + " µs)",
                    v <= target));
        }
        for (String mode : MODES) {
            double service = median("PythonServiceBench.service", "us", "mode", mode);
            double call = median("PythonServiceBench.contextCall", "us", "mode", mode);
            double paired = pairedMedian(secondary("PythonServiceBench.interleaved", "serviceNanos", "mode", mode),
                    secondary("PythonServiceBench.interleaved", "callNanos", "mode", mode), (a, b) -> a / b);
            rows.add(goal("Python service from Java ÷ `PyContext.call`, " + mode, "≤ 1.5x",
                    times(paired) + " interleaved (" + ratio(service, call) + " run apart)", paired <= 1.5));
        }
        List<Double> u1 = secondary("ParallelUpcallBench.round", "upcallsOneNanos", "mode", "owngil");
        List<Double> u2 = secondary("ParallelUpcallBench.round", "upcallsTwoNanos", "mode", "owngil");
        List<Double> p1 = secondary("ParallelUpcallBench.round", "pythonOneNanos", "mode", "owngil");
        List<Double> p2 = secondary("ParallelUpcallBench.round", "pythonTwoNanos", "mode", "owngil");
        List<Double> relative = new ArrayList<>();
        for (int i = 0; i < Math.min(Math.min(u1.size(), u2.size()), Math.min(p1.size(), p2.size())); i++) {
            relative.add((u1.get(i) / u2.get(i)) / (p1.get(i) / p2.get(i)));
        }
        double rel = medianOf(relative);
        rows.add(goal("owngil upcall scaling, 2 contexts on 2 threads", "within 10% of pure-Python scaling",
                times(pairedMedian(u1, u2, (a, b) -> 2 * a / b)) + " vs " + times(pairedMedian(p1, p2, (a, b) -> 2 * a / b))
                        + " (" + times(rel) + ")", rel >= 0.9));
        table(List.of("goal", "target", "measured", "met"), rows);
    }

    private void throughput() {
        if (!has("ThroughputBench")) {
            return;
        }
        line("### Throughput of small cached calls, calls per ms, one context per thread (higher is better)");
        line("");
        List<List<String>> rows = new ArrayList<>();
        for (String mode : MODES) {
            Score one = find("ThroughputBench.oneThread", "ops/ms", "mode", mode);
            Score two = find("ThroughputBench.twoThreads", "ops/ms", "mode", mode);
            rows.add(List.of(mode, one.show(), two.show(), ratio(two.value(), one.value())));
        }
        table(List.of("mode", "1 thread, 1 context", "2 threads, 2 contexts", "2 ÷ 1"), rows);
    }

    private void creation() {
        if (!has("CreationBench", "GraalPyBench", "ProcessPoolBench")) {
            return;
        }
        line("### Creating a context, ms (lower is better)");
        line("");
        line("Realistic preload: imports json, re, dataclasses, decimal; a dataclass, a regex, a dict and 20 functions.");
        line("");
        List<List<String>> rows = new ArrayList<>();
        for (String variant : List.of("worker", "subinterp", "subinterp-pool", "owngil", "owngil-pool")) {
            rows.add(List.of("pyhost " + variant.replace("-pool", ", from the warm pool"),
                    find("CreationBench.create", "ms", "variant", variant, "preload", "empty").show(),
                    find("CreationBench.create", "ms", "variant", variant, "preload", "realistic").show()));
        }
        for (String compiler : List.of("interpreter", "jit")) {
            for (String engine : List.of("shared", "none")) {
                rows.add(List.of("GraalPy " + compiler + ", " + (engine.equals("shared") ? "shared Engine" : "own Engine"),
                        graal("create", compiler, "ms", "engine", engine, "preload", "empty").show(),
                        graal("create", compiler, "ms", "engine", engine, "preload", "realistic").show()));
            }
        }
        rows.add(List.of("CPython worker process: spawn until it answers", find("ProcessPoolBench.spawn", "ms").show(), ""));
        table(List.of("what", "empty preload", "realistic preload"), rows);
    }

    private void burn() {
        if (!has("BurnBench", "ProcessPoolBench", "SystemPythonBench", "GraalPyBench")) {
            return;
        }
        line("### CPU-bound `burn(" + String.format(Locale.ROOT, "%,d", Workloads.BURN_N)
                + ")`, ms until every call returned (lower is better)");
        line("");
        line("Scaling = 2 × one ÷ two: 2.00x when two calls run truly in parallel on the 2 cores.");
        line("");
        List<List<String>> rows = new ArrayList<>();
        for (String mode : java.util.stream.Stream.concat(MODES.stream(), java.util.stream.Stream.of("process")).toList()) {
            Score one = find("BurnBench.oneContext", "ms", "mode", mode);
            Score two = find("BurnBench.twoContexts", "ms", "mode", mode);
            if (one != NONE || !mode.equals("process")) {
                rows.add(List.of("pyhost " + mode, one.show(), two.show(), times(2 * one.value() / two.value())));
            }
        }
        Score p1 = find("ProcessPoolBench.burnOneWorker", "ms");
        Score p2 = find("ProcessPoolBench.burnTwoWorkers", "ms");
        rows.add(List.of("CPython worker processes (embedded build)", p1.show(), p2.show(), times(2 * p1.value() / p2.value())));
        double system = Double.NaN;
        for (JsonElement e : results) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("benchmark").getAsString().endsWith("SystemPythonBench.burn")) {
                String python = o.getAsJsonObject("params").get("python").getAsString();
                Score score = find("SystemPythonBench.burn", "ms", "python", python);
                system = score.value();
                rows.add(List.of("system CPython `" + python + "` (process)", score.show(), "", ""));
            }
        }
        rows.add(List.of("GraalPy interpreter", graal("burn", "interpreter", "ms").show(), "", ""));
        rows.add(List.of("GraalPy JIT, after warm-up", graal("burn", "jit", "ms").show(), "", ""));
        table(List.of("runner", "1 call", "2 calls on 2 threads", "scaling"), rows);
        double worker = find("BurnBench.oneContext", "ms", "mode", "worker").value();
        line("pyhost worker ÷ GraalPy JIT: " + ratio(worker, graal("burn", "jit", "ms").value())
                + "; pyhost worker ÷ GraalPy interpreter: " + ratio(worker, graal("burn", "interpreter", "ms").value())
                + "; pyhost worker ÷ system CPython: " + ratio(worker, system) + " (above 1.00x the other is faster).");
        line("");
    }

    private void conversion() {
        if (!has("ConversionBench")) {
            return;
        }
        line("### Conversion, ms per call (lower is better)");
        line("");
        List<List<String>> rows = new ArrayList<>();
        for (String mode : MODES) {
            rows.add(List.of(mode, find("ConversionBench.listOfDictsToJava", "ms", "mode", mode).show(),
                    find("ConversionBench.bytesToJava", "ms", "mode", mode).show(),
                    find("ConversionBench.bytesToPython", "ms", "mode", mode).show()));
        }
        table(List.of("mode", "10,000 dicts → List<Map>", "10 MB bytes → byte[]", "10 MB byte[] → bytes"), rows);
    }

    private void floor() {
        if (!has("FloorBench")) {
            return;
        }
        line("### Floor: the same Python work timed with `timeit` inside the embedded CPython, µs per operation");
        line("");
        List<List<String>> rows = new ArrayList<>();
        for (String mode : MODES) {
            List<String> cells = new ArrayList<>(List.of(mode));
            for (String call : CALLS) {
                Score floor = find("FloorBench." + call, "us", "mode", mode);
                cells.add(floor.show());
                cells.add(number(small(mode, "platform", call).value() - floor.value()));
            }
            rows.add(cells);
        }
        table(List.of("mode", "eval cached code", "pyhost overhead", "compile + eval", "pyhost overhead", "math.sqrt(16.0)",
                "pyhost overhead"), rows);
    }

    private void memory() {
        if (!probes.has("memory") || probes.getAsJsonArray("memory").isEmpty()) {
            return;
        }
        line("### Memory: resident set added per context (VmRSS, fixed pre-touched Java heap)");
        line("");
        List<List<String>> rows = new ArrayList<>();
        Function<String, JsonObject> get = key -> {
            for (JsonElement e : probes.getAsJsonArray("memory")) {
                JsonObject o = e.getAsJsonObject();
                if ((o.get("mode").getAsString() + "/" + o.get("preload").getAsString()).equals(key)) {
                    return o;
                }
            }
            return null;
        };
        for (String mode : List.of("worker", "subinterp", "owngil", "graalpy")) {
            JsonObject empty = get.apply(mode + "/empty");
            JsonObject realistic = get.apply(mode + "/realistic");
            if (empty == null && realistic == null) {
                continue;
            }
            JsonObject any = empty != null ? empty : realistic;
            rows.add(List.of(mode.equals("graalpy") ? "GraalPy (shared Engine)" : "pyhost " + mode,
                    empty == null ? "—" : number(empty.get("perContextKb").getAsDouble()),
                    realistic == null ? "—" : number(realistic.get("perContextKb").getAsDouble()),
                    String.format(Locale.ROOT, "%.1f", any.get("javaThreadsAdded").getAsDouble() / any.get("contexts").getAsDouble()),
                    number(any.get("rssBeforeKb").getAsDouble() / 1024),
                    (empty != null ? empty : realistic).get("contexts").getAsString()));
        }
        table(List.of("contexts of", "KB per context, empty preload", "KB per context, realistic preload", "Java threads per context",
                "RSS with one context, MB", "contexts measured"), rows);
    }

    private void coldStart() {
        if (!probes.has("coldStart")) {
            return;
        }
        line("### Cold start: from starting the process to the first result of `1 + 1`, ms");
        line("");
        List<List<String>> rows = new ArrayList<>();
        for (JsonElement e : probes.getAsJsonArray("coldStart")) {
            JsonObject o = e.getAsJsonObject();
            List<Double> ms = new ArrayList<>();
            o.getAsJsonArray("ms").forEach(x -> ms.add(x.getAsDouble()));
            ms.sort(null);
            String median = ms.isEmpty() ? "—" : number(ms.get(ms.size() / 2));
            rows.add(List.of(o.get("what").getAsString(), median, ms.stream().map(Report::number).toList().toString()));
        }
        table(List.of("what", "median", "runs"), rows);
    }
}
