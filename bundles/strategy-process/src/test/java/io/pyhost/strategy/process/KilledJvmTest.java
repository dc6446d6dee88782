package io.pyhost.strategy.process;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

/** A JVM killed with SIGKILL leaves no child behind: the child's parent-death signal ends it. */
public class KilledJvmTest {

    /** The JVM to kill: opens a process context, prints the child's pid, waits to be killed. */
    public static void main(String[] args) throws Exception {
        ProcessContext ctx = Children.open();
        System.out.println(ctx.eval("__import__('os').getpid()"));
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(2));
    }

    @Test
    public void aChildEndsWithItsKilledJvm() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process jvm = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                KilledJvmTest.class.getName()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String line = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue("the JVM printed no pid", line != null);
            long child = Long.parseLong(line.trim());
            assertTrue("child " + child + " runs", alive(child));
            jvm.destroyForcibly(); // SIGKILL: no shutdown hook, no close
            assertTrue(jvm.waitFor(30, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (alive(child)) {
                if (System.nanoTime() > deadline) {
                    fail("child " + child + " outlived its JVM by 10 s");
                }
                Thread.sleep(20);
            }
        } finally {
            jvm.destroyForcibly();
        }
    }

    /** Running, not a zombie waiting for a reaper (a container's init may never reap it). */
    private static boolean alive(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        try {
            String text = Files.readString(stat);
            char state = text.charAt(text.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException gone) {
            return false;
        }
    }
}
