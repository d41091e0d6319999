package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_MALFORMED;
import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_UNKNOWN_STREAM;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_CREDIT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tests of the flyweights over message bodies, LINK_ERROR and STREAM_CREDIT: exact bytes, round trips at the
 * extremes of each field, and the completeness check a receiver makes before reading a body.
 */
class MessageBodyFlyweightTest
{
    private final LinkErrorFlyweight linkError = new LinkErrorFlyweight();
    private final StreamCreditFlyweight streamCredit = new StreamCreditFlyweight();

    @Test
    void shouldWriteALinkErrorInNetworkOrder()
    {
        final byte[] bytes = new byte[LinkErrorFlyweight.LENGTH];
        linkError.wrap(MemorySegment.ofArray(bytes), 0, bytes.length)
            .write(0x0123, LINK_ERROR_UNKNOWN_STREAM, 0x89AB_CDEF);

        assertArrayEquals(new byte[] {0x01, 0x23, 0x00, 0x03, (byte)0x89, (byte)0xAB, (byte)0xCD, (byte)0xEF}, bytes);
    }

    @Test
    void shouldRoundTripALinkErrorAtItsExtremes()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[20]);
        linkError.wrap(segment, 12, LinkErrorFlyweight.LENGTH).write(0xFFFF, 0xFFFF, 0xFFFF_FFFF);

        final LinkErrorFlyweight reader = new LinkErrorFlyweight().wrap(segment, 12, LinkErrorFlyweight.LENGTH);
        assertTrue(reader.isComplete());
        assertEquals(0xFFFF, reader.offendingType());
        assertEquals(0xFFFF, reader.reason());
        assertEquals(0xFFFF_FFFF, reader.offendingStreamId());

        reader.offendingType(TYPE_STREAM_CREDIT).reason(LINK_ERROR_MALFORMED).offendingStreamId(0);
        assertEquals(TYPE_STREAM_CREDIT, linkError.offendingType());
        assertEquals(LINK_ERROR_MALFORMED, linkError.reason());
        assertEquals(0, linkError.offendingStreamId());
        assertEquals(LinkErrorFlyweight.LENGTH, linkError.length());
        assertFalse(linkError.wrap(segment, 0, LinkErrorFlyweight.LENGTH - 1).isComplete());
    }

    @Test
    void shouldWriteAStreamCreditInNetworkOrder()
    {
        final byte[] bytes = new byte[StreamCreditFlyweight.LENGTH];
        streamCredit.wrap(MemorySegment.ofArray(bytes), 0, bytes.length)
            .write(0x0102_0304_0506_0708L, 0x090A_0B0CL);

        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, bytes);
    }

    @Test
    void shouldRoundTripAStreamCreditAtItsExtremes()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[StreamCreditFlyweight.LENGTH + 3]);
        streamCredit.wrap(segment, 3, StreamCreditFlyweight.LENGTH).write(-1L, 0xFFFF_FFFFL);

        final StreamCreditFlyweight reader = new StreamCreditFlyweight()
            .wrap(segment, 3, StreamCreditFlyweight.LENGTH);
        assertTrue(reader.isComplete());
        assertEquals(0xFFFF_FFFF_FFFF_FFFFL, reader.position());
        assertEquals(4_294_967_295L, reader.window());

        reader.position(Long.MIN_VALUE).window(0);
        assertEquals(Long.MIN_VALUE, streamCredit.position());
        assertEquals(0, streamCredit.window());
        reader.window(0x1_0000_0001L);
        assertEquals(1, streamCredit.window(), "only the low 32 bits are on the wire");
        assertEquals(StreamCreditFlyweight.LENGTH, streamCredit.length());
        assertFalse(streamCredit.wrap(segment, 0, StreamCreditFlyweight.LENGTH - 1).isComplete());
    }
}
