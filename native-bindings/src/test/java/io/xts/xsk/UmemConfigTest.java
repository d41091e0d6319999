package io.xts.xsk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Validation of {@link Umem.Config}: every bad value is rejected where it enters, with a message naming the value,
 * before any native call. Needs no privileges.
 */
class UmemConfigTest
{
    @ParameterizedTest(name = "frame size {0}")
    @ValueSource(ints = {0, 1000, 1024, 3000, 8192, -4096})
    void shouldRejectAFrameSizeOtherThan2048Or4096(final int frameSize)
    {
        final String message = rejected(() -> new Umem.Config(64, frameSize, 0, 64, 64));
        assertTrue(message.contains("frame size must be 2048 or 4096"), message);
        assertTrue(message.contains("got " + frameSize), message);
    }

    @ParameterizedTest(name = "frame count {0}")
    @ValueSource(ints = {0, -1})
    void shouldRejectANonPositiveFrameCount(final int frameCount)
    {
        final String message = rejected(() -> new Umem.Config(frameCount, 4096, 0, 64, 64));
        assertTrue(message.contains("frame count must be positive, got " + frameCount), message);
    }

    @Test
    void shouldRejectHeadroomThatLeavesNoRoomForPackets()
    {
        final int tooBig = 4096 - 256 - 64 + 1;
        final String message = rejected(() -> new Umem.Config(64, 4096, tooBig, 64, 64));
        assertTrue(message.contains("headroom " + tooBig), message);
        assertTrue(message.contains("4096 byte frame"), message);

        final String small = rejected(() -> new Umem.Config(64, 2048, 2048, 64, 64));
        assertTrue(small.contains("headroom 2048") && small.contains("2048 byte frame"), small);
    }

    @Test
    void shouldRejectNegativeHeadroom()
    {
        final String message = rejected(() -> new Umem.Config(64, 2048, -1, 64, 64));
        assertTrue(message.contains("headroom -1"), message);
    }

    @Test
    void shouldAcceptTheLargestHeadroomThatLeavesRoomForPackets()
    {
        final Umem.Config config = assertDoesNotThrow(() -> new Umem.Config(64, 4096, 4096 - 256 - 64, 64, 64));
        assertEquals(64, config.maxPacket(), "what is left after XDP_PACKET_HEADROOM and the headroom");
    }

    @ParameterizedTest(name = "fill ring size {0}")
    @ValueSource(ints = {0, 3, 1000, 4095, -64})
    void shouldRejectAFillRingSizeThatIsNotAPowerOfTwo(final int size)
    {
        final String message = rejected(() -> new Umem.Config(64, 4096, 0, size, 64));
        assertEquals("fill ring size must be a power of two, got " + size, message);
    }

    @ParameterizedTest(name = "completion ring size {0}")
    @ValueSource(ints = {0, 6, 2049})
    void shouldRejectACompletionRingSizeThatIsNotAPowerOfTwo(final int size)
    {
        final String message = rejected(() -> new Umem.Config(64, 4096, 0, 64, size));
        assertEquals("completion ring size must be a power of two, got " + size, message);
    }

    @Test
    void shouldDefaultTo4096ByteFramesAnd4096EntryRings()
    {
        final Umem.Config config = Umem.Config.of(1024);
        assertEquals(1024, config.frameCount());
        assertEquals(4096, config.frameSize());
        assertEquals(0, config.frameHeadroom());
        assertEquals(4096, config.fillSize());
        assertEquals(4096, config.completionSize());
        assertEquals(4096 - 256, config.maxPacket());
        assertEquals(2048 - 256 - 128, new Umem.Config(1, 2048, 128, 1, 1).maxPacket());
    }

    private static String rejected(final Executable construction)
    {
        return assertThrows(IllegalArgumentException.class, construction).getMessage();
    }
}
