package io.pyhost.strategy.process;

import org.junit.Test;

public class TmpPerfTest {
    @Test
    public void smallCall() {
        try (ProcessContext ctx = Children.open()) {
            ctx.exec("x = 1");
            for (int round = 0; round < 5; round++) {
                int n = 20000;
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    ctx.eval("x + 1");
                }
                long t1 = System.nanoTime();
                byte[] big = new byte[10 << 20];
                int m = 20;
                for (int i = 0; i < m; i++) {
                    ctx.eval("b", java.util.Map.of("b", big));
                }
                long t2 = System.nanoTime();
                System.out.printf("PERF small %.2f us; 10MB echo %.1f MB/s%n", (t1 - t0) / 1e3 / n, 2.0 * m * 10 / ((t2 - t1) / 1e9));
            }
        }
    }
}
