package io.pyhost.strategy.process;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Test;

/** The Java half of the channel: frames and values round-trip, bad values are refused by name. */
public class FramesTest {

    private static Object roundTrip(Object value) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Frames.write(out, Frames.EVAL, 42, value);
        Frames.Frame frame = Frames.read(new DataInputStream(new ByteArrayInputStream(out.toByteArray())));
        assertEquals(Frames.EVAL, frame.kind());
        assertEquals(42, frame.seq());
        return frame.value();
    }

    @Test
    public void scalarsRoundTrip() throws Exception {
        assertEquals(null, roundTrip(null));
        assertEquals(true, roundTrip(true));
        assertEquals(false, roundTrip(false));
        assertEquals(Long.MIN_VALUE, roundTrip(Long.MIN_VALUE));
        assertEquals(7L, roundTrip(7));
        assertEquals(-3L, roundTrip((short) -3));
        assertEquals(5L, roundTrip((byte) 5));
        assertEquals(Double.NaN, roundTrip(Double.NaN));
        assertEquals(Double.NEGATIVE_INFINITY, roundTrip(Double.NEGATIVE_INFINITY));
        assertEquals(1.5, roundTrip(1.5f));
        assertEquals("grüße \uD83D\uDE00", roundTrip("grüße \uD83D\uDE00"));
        assertEquals("x", roundTrip('x'));
        assertEquals("lone \uD800 surrogate", roundTrip("lone \uD800 surrogate"));
        assertArrayEquals(new byte[] {0, 1, (byte) 255}, (byte[]) roundTrip(new byte[] {0, 1, (byte) 255}));
    }

    @Test
    public void bigIntegersKeepEveryBitAndSmallOnesBecomeLongs() throws Exception {
        BigInteger big = BigInteger.TWO.pow(200).negate().add(BigInteger.valueOf(12345));
        assertEquals(big, roundTrip(big));
        assertEquals(BigInteger.TWO.pow(63), roundTrip(BigInteger.TWO.pow(63)));
        assertEquals(-9L, roundTrip(BigInteger.valueOf(-9)));
    }

    @Test
    public void containersKeepOrderAndKind() throws Exception {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("z", List.of(1, 2));
        map.put("a", Set.of("s"));
        map.put("m", Map.of());
        Object back = roundTrip(map);
        assertEquals(List.of("z", "a", "m"), new ArrayList<>(((Map<?, ?>) back).keySet()));
        assertEquals(List.of(1L, 2L), ((Map<?, ?>) back).get("z"));
        assertTrue(((Map<?, ?>) back).get("a") instanceof Set<?>);
        assertEquals(List.of(1L, 2L, 3L), roundTrip(new int[] {1, 2, 3}));
        assertEquals(List.of("a", List.of()), roundTrip(new Object[] {"a", new String[0]}));
        assertEquals(new LinkedHashSet<>(List.of(3L, 1L)), roundTrip(new LinkedHashSet<>(List.of(3, 1))));
    }

    @Test
    public void badValuesAreRefusedWithTheirName() {
        assertEquals("cannot convert a Java java.lang.Thread to Python: mode 'process' passes only the values of the value table to its child",
                assertThrows(IllegalArgumentException.class, () -> Frames.encode(Thread.currentThread())).getMessage());
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        assertEquals("Java java.util.ArrayList contains itself; a cycle cannot be converted",
                assertThrows(IllegalArgumentException.class, () -> Frames.encode(cycle)).getMessage());
        Object deep = 1;
        for (int i = 0; i < 101; i++) {
            deep = List.of(deep);
        }
        Object tooDeep = deep;
        assertEquals("Java value nested deeper than 100 levels",
                assertThrows(IllegalArgumentException.class, () -> Frames.encode(tooDeep)).getMessage());
        assertEquals("cannot use a Java java.util.ImmutableCollections$List12 as a Python dict key (unhashable)",
                assertThrows(IllegalArgumentException.class, () -> Frames.encode(Map.of(List.of(1), 1))).getMessage());
    }

    @Test
    public void aTruncatedStreamEndsWithEofAndGarbageIsRefused() throws Exception {
        byte[] frame = Frames.frame(Frames.RESULT, 1, "hello");
        byte[] half = java.util.Arrays.copyOf(frame, frame.length - 2);
        assertThrows(EOFException.class, () -> Frames.read(new DataInputStream(new ByteArrayInputStream(half))));
        byte[] badTag = frame.clone();
        badTag[13] = 'Q';
        assertThrows(IllegalStateException.class, () -> Frames.read(new DataInputStream(new ByteArrayInputStream(badTag))));
        byte[] hugeCount = Frames.frame(Frames.RESULT, 1, List.of());
        ByteBuffer.wrap(hugeCount, 14, 4).putInt(1 << 30);
        assertThrows(IllegalStateException.class, () -> Frames.read(new DataInputStream(new ByteArrayInputStream(hugeCount))));
    }

    @Test
    public void aLengthIsAClaimUntilItsBytesArrive() throws Exception {
        // a child that writes junk to its channel: a header claiming almost 2 GiB, then a few bytes and the end
        byte[] junk = new byte[64];
        ByteBuffer.wrap(junk).putInt(Integer.MAX_VALUE - 100).put(Frames.RESULT).putLong(1);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertThrows(EOFException.class, () -> Frames.read(new DataInputStream(new ByteArrayInputStream(junk))));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue("allocated " + allocated + " bytes for 51 that came", allocated < 16L << 20);
        byte[] big = new byte[(3 << 20) + 5]; // beyond the trusted length, whole: read as before
        big[big.length - 1] = 7;
        assertArrayEquals(big, (byte[]) roundTrip(big));
    }

    @Test
    public void aBufferGrowsByDoublingUpToTheFrameLimitAndRefusesOnlyWhatPassesIt() {
        assertEquals(512, Frames.grown(256, 300, Integer.MAX_VALUE - 64));
        assertEquals(5000, Frames.grown(256, 5000, Integer.MAX_VALUE - 64));
        // 1.1 GB held, a few bytes more: doubling would pass the limit, the value does not (it was refused)
        int limit = Integer.MAX_VALUE - 64;
        assertEquals(limit, Frames.grown(1_100_000_000, 1_100_000_010L, limit));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Frames.grown(limit, limit + 1L, limit)).getMessage()
                .contains("value too large for one frame"));
    }
}
