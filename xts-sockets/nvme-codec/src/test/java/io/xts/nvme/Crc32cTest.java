package io.xts.nvme;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CRC-32C against the published vectors of the fact sheet, whole and split into pieces at every position, over heap
 * and native memory, and the little-endian wire form.
 */
class Crc32cTest
{
    private static final byte[] ZEROS = new byte[32];
    private static final byte[] ONES = new byte[32];
    private static final byte[] UP = new byte[32];
    private static final byte[] DOWN = new byte[32];

    static
    {
        for (int i = 0; i < 32; i++)
        {
            ONES[i] = (byte)0xFF;
            UP[i] = (byte)i;
            DOWN[i] = (byte)(31 - i);
        }
    }

    @Test
    void shouldMatchPublishedVectors()
    {
        assertEquals(0xE3069283, of("123456789"));
        assertEquals(0x6087809A, of("12345678"));
        assertEquals(0x7B98E751, of("Hello world!"));
        assertEquals(0, of(""));
        assertEquals(0x8A9136AA, of(ZEROS));
        assertEquals(0x62A8AB43, of(ONES));
        assertEquals(0x46DD794E, of(UP));
        assertEquals(0x113FDB5C, of(DOWN));
    }

    @Test
    void shouldComputeIncrementallyAcrossEverySplit()
    {
        final Crc32c crc = new Crc32c();
        for (final byte[] vector :
            new byte[][] {ZEROS, ONES, UP, DOWN, "123456789".getBytes(StandardCharsets.US_ASCII)})
        {
            final MemorySegment heap = MemorySegment.ofArray(vector);
            final MemorySegment nativeCopy = Arena.ofAuto().allocate(vector.length + 3);
            MemorySegment.copy(heap, 0, nativeCopy, 3, vector.length);
            final int whole = Crc32c.of(heap, 0, vector.length);
            for (int a = 0; a <= vector.length; a++)
            {
                for (int b = a; b <= vector.length; b++)
                {
                    crc.reset().update(heap, 0, a).update(nativeCopy, 3 + a, b - a).update(heap, b, vector.length - b);
                    assertEquals(whole, crc.value(), "split at " + a + ", " + b);
                }
            }
            crc.reset();
            for (int i = 0; i < vector.length; i++)
            {
                crc.update(nativeCopy, 3 + i, 1);
            }
            assertEquals(whole, crc.value(), "byte by byte");
        }
    }

    @Test
    void shouldStoreAndVerifyDigestsLittleEndian()
    {
        final MemorySegment memory = Arena.ofAuto().allocate(64);
        MemorySegment.copy(MemorySegment.ofArray("123456789".getBytes(StandardCharsets.US_ASCII)), 0, memory, 10, 9);
        final Crc32c crc = new Crc32c();
        assertEquals(0xE3069283, crc.writeDataDigest(memory, 10, 9));
        assertEquals("839206e3", Hex.of(memory, 19, 4));
        assertEquals(0xE3069283, Crc32c.get(memory, 19));
        assertTrue(crc.verifyDataDigest(memory, 10, 9));
        memory.set(ValueLayout.JAVA_BYTE, 12, (byte)0);
        assertFalse(crc.verifyDataDigest(memory, 10, 9));

        // Header digest over HLEN bytes (read from the CH), stored right after them.
        final MemorySegment header = Hex.segment("050118001c000000" + "0000000000000000" + "0100000001000000" +
            "00000000");
        assertEquals(0x1D7AC504, crc.writeHeaderDigest(header, 0));
        assertEquals("04c57a1d", Hex.of(header, 24, 4));
        assertTrue(crc.verifyHeaderDigest(header, 0));
        Crc32c.put(header, 24, 0);
        assertFalse(crc.verifyHeaderDigest(header, 0));
    }

    @Test
    void shouldHandleManySegmentsThroughItsViewCache()
    {
        final Crc32c crc = new Crc32c();
        final MemorySegment[] segments = new MemorySegment[9];
        for (int i = 0; i < segments.length; i++)
        {
            segments[i] = Arena.ofAuto().allocate(9);
            MemorySegment.copy(MemorySegment.ofArray("123456789".getBytes(StandardCharsets.US_ASCII)), 0,
                segments[i], 0, 9);
        }
        for (int round = 0; round < 3; round++)
        {
            for (final MemorySegment segment : segments)
            {
                assertEquals(0xE3069283, crc.reset().update(segment, 0, 4).update(segment, 4, 5).value());
            }
        }
        crc.forget();
        assertEquals(0xE3069283, crc.reset().update(segments[0], 0, 9).value());
    }

    private static int of(final String text)
    {
        return of(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static int of(final byte[] bytes)
    {
        return Crc32c.of(MemorySegment.ofArray(bytes), 0, bytes.length);
    }
}
