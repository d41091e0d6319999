package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Tests of the HELLO payload flyweight: its exact bytes against the specification's table, and round trips of every
 * field at both ends of its width.
 */
class HelloFlyweightTest
{
    private final HelloFlyweight hello = new HelloFlyweight();

    @Test
    void shouldWriteThePayloadInNetworkOrderAtTheSpecifiedOffsets()
    {
        final byte[] bytes = new byte[FRAME_OVERHEAD + HelloFlyweight.LENGTH];
        Arrays.fill(bytes, (byte)0xEE);
        hello.wrap(MemorySegment.ofArray(bytes), FRAME_OVERHEAD, HelloFlyweight.LENGTH)
            .write(0x0102, 0x0304, 0x0506_0708, 0x0DC0, 0x0910_1112, 0x1314_1516, 0x1718_191A);

        final byte[] payload = Arrays.copyOfRange(bytes, FRAME_OVERHEAD, bytes.length);
        final byte[] expected = {
            0x01, 0x02, 0x03, 0x04,
            0x05, 0x06, 0x07, 0x08,
            0x0D, (byte)0xC0, 0x00, 0x00,
            0x09, 0x10, 0x11, 0x12,
            0x13, 0x14, 0x15, 0x16,
            0x17, 0x18, 0x19, 0x1A,
        };
        assertArrayEquals(expected, payload);
        assertEquals((byte)0xEE, bytes[FRAME_OVERHEAD - 1], "nothing written before the payload");
    }

    @Test
    void shouldRoundTripEveryFieldAtItsExtremes()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[HelloFlyweight.LENGTH]);
        hello.wrap(segment, 0, HelloFlyweight.LENGTH)
            .write(0xFFFF, 0xFFFF, 0xFFFF_FFFF, 0xFFFF, 0xFFFF_FFFF, 0x8000_0000, 0xFFFF_FFFF);

        final HelloFlyweight reader = new HelloFlyweight().wrap(segment, 0, HelloFlyweight.LENGTH);
        assertEquals(HelloFlyweight.LENGTH, reader.length());
        assertEquals(0xFFFF, reader.minVersion());
        assertEquals(0xFFFF, reader.maxVersion());
        assertEquals(0xFFFF_FFFF, reader.peerEpoch());
        assertEquals(0xFFFF, reader.maxFrameSize());
        assertEquals(0xFFFF_FFFF, reader.initialCredits());
        assertEquals(0x8000_0000, reader.heartbeatIntervalMicros());
        assertEquals(0xFFFF_FFFF, reader.deadTimeoutMicros());
        assertEquals(4_294_967_295L, Integer.toUnsignedLong(reader.deadTimeoutMicros()));

        reader.minVersion(0).maxVersion(1).peerEpoch(0).maxFrameSize(46)
            .initialCredits(0).heartbeatIntervalMicros(100_000).deadTimeoutMicros(1_000_000);
        assertEquals(0, hello.minVersion());
        assertEquals(1, hello.maxVersion());
        assertEquals(0, hello.peerEpoch());
        assertEquals(46, hello.maxFrameSize());
        assertEquals(0, hello.initialCredits());
        assertEquals(100_000, hello.heartbeatIntervalMicros());
        assertEquals(1_000_000, hello.deadTimeoutMicros());
    }
}
