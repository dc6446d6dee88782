package io.pyhost.bench;

/**
 * The Python every benchmark runs, in one place, so that pyhost and each peer run exactly the
 * same source.
 */
public final class Workloads {
    private Workloads() {
    }

    /**
     * {@code burn(n)}: a pure-Python loop summing squares. n = 3,000,000 takes about 250 ms on the
     * embedded CPython 3.14.3 here (DESIGN.md, "Performance facts"); {@code -Dpyhost.bench.burnN}
     * changes it for a machine where that is far off.
     */
    public static final String BURN = """
            def burn(n):
                total = 0
                for i in range(n):
                    total += i * i
                return total
            """;

    public static final long BURN_N = Long.getLong("pyhost.bench.burnN", 3_000_000L);

    /** What burn(BURN_N) returns: the sum of i*i for i below n, checked after every run. */
    public static long burnResult(long n) {
        return java.math.BigInteger.valueOf(n - 1).multiply(java.math.BigInteger.valueOf(n))
                .multiply(java.math.BigInteger.valueOf(2 * n - 1)).divide(java.math.BigInteger.valueOf(6)).longValueExact();
    }

    /**
     * The realistic preload of the creation benchmarks: four stdlib imports (json, re, dataclasses,
     * decimal), a dataclass, a compiled pattern, a config dict, and 20 small functions.
     */
    public static final String REALISTIC_PRELOAD = realisticPreload();

    private static String realisticPreload() {
        StringBuilder code = new StringBuilder("""
                import json
                import re
                import dataclasses
                import decimal

                @dataclasses.dataclass
                class Item:
                    name: str
                    price: decimal.Decimal
                    tags: list

                WORD = re.compile(r"[A-Za-z]+")
                CONFIG = {'debug': False, 'currency': 'EUR', 'limits': {'items': 100, 'depth': 4}}
                """);
        String[] bodies = {
                "    return json.dumps({'k': %d, 'v': value}, sort_keys=True)\n",
                "    return [w.lower() for w in WORD.findall(str(value))][:%d]\n",
                "    return decimal.Decimal(str(value)).quantize(decimal.Decimal('0.01')) * %d\n",
                "    return dataclasses.asdict(Item(str(value), decimal.Decimal(%d), [value]))\n",
                "    total = 0\n    for i in range(%d):\n        total += hash((i, str(value))) & 0xff\n    return total\n",
        };
        for (int i = 1; i <= 20; i++) {
            code.append("\ndef fn%02d(value):\n".formatted(i)).append(bodies[(i - 1) % bodies.length].formatted(i));
        }
        return code.toString();
    }

    /** A 10,000-element list of dicts with four fields each (int, str, float, bool). */
    public static final String ROWS = "[{'id': i, 'name': 'row%d' % i, 'score': i * 0.5, 'active': i % 2 == 0} for i in range(10_000)]";

    /** 10 MB for the bytes benchmarks. */
    public static final int BLOB_SIZE = 10 * 1024 * 1024;
}
