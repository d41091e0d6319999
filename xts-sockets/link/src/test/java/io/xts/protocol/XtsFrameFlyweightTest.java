package io.xts.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.protocol.XtsFrameDescriptor.FLAG_GAP;
import static io.xts.protocol.XtsFrameDescriptor.FLAG_RETRANSMIT;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.KIND_ACK;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tests of the frame-header flyweight: the exact bytes it writes (network order, at the specified offsets, nothing
 * outside the header touched), round trips of every field including the extremes of each width, both forms of MAC
 * access, and the derived payload offset and frame length, at a non-zero base offset inside a larger segment.
 */
class XtsFrameFlyweightTest
{
    private static final int BASE = 100;

    private final XtsFrameFlyweight frame = new XtsFrameFlyweight();

    @Test
    void shouldWriteTheHeaderInNetworkOrderAtTheSpecifiedOffsets()
    {
        final byte[] bytes = new byte[FRAME_OVERHEAD];
        frame.wrap(MemorySegment.ofArray(bytes), 0, bytes.length).writeHeader(
            0x0102_0304_0506L, 0x0A0B_0C0D_0E0FL, KIND_DATA, FLAG_RETRANSMIT, 0x1234, 0x8765_4321, 0xFFFF_FFFE,
            0x0000_0102, 0x7FFF_FFFF);

        final byte[] expected = {
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
            0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
            (byte)0x88, (byte)0xB5,
            0x01, 0x02, 0x00, 0x02, 0x12, 0x34, 0x00, 0x00,
            (byte)0x87, 0x65, 0x43, 0x21,
            (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFE,
            0x00, 0x00, 0x01, 0x02,
            0x7F, (byte)0xFF, (byte)0xFF, (byte)0xFF,
        };
        assertArrayEquals(expected, bytes);
    }

    @ParameterizedTest
    @CsvSource({
        // dstMac,         srcMac,        kind, flags,  payloadLength, epoch,      seq,        ack,        credit
        "0x000000000000, 0x000000000000, 0,    0,      0,             0x00000000, 0x00000000, 0x00000000, 0x00000000",
        "0xFFFFFFFFFFFF, 0xFFFFFFFFFFFF, 255,  0xFFFF, 0xFFFF,        0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF",
        "0x020000000001, 0x800000000000, 2,    2,      3482,          0x80000001, 0x7FFFFFFF, 0x80000000, 0x00000001",
        "0x7FFFFFFFFFFF, 0x000000000001, 3,    1,      0,             0xDEADBEEF, 0xFFFFFFFF, 0x00000000, 0xFFFFFFFE",
    })
    void shouldRoundTripEveryHeaderField(
        final String dstMac,
        final String srcMac,
        final int kind,
        final String flags,
        final String payloadLength,
        final String epoch,
        final String seq,
        final String ack,
        final String creditLimit)
    {
        final MemorySegment segment = Arena.ofAuto().allocate(BASE + FRAME_OVERHEAD + 16);
        frame.wrap(segment, BASE, FRAME_OVERHEAD).writeHeader(
            Long.decode(dstMac), Long.decode(srcMac), kind, Integer.decode(flags), Integer.decode(payloadLength),
            Long.decode(epoch).intValue(), Long.decode(seq).intValue(), Long.decode(ack).intValue(),
            Long.decode(creditLimit).intValue());

        final XtsFrameFlyweight reader = new XtsFrameFlyweight().wrap(segment, BASE, FRAME_OVERHEAD);
        assertEquals((long)Long.decode(dstMac), reader.dstMac());
        assertEquals((long)Long.decode(srcMac), reader.srcMac());
        assertEquals(XtsFrameDescriptor.ETHERTYPE, reader.ethertype());
        assertEquals(XtsFrameDescriptor.VERSION, reader.version());
        assertEquals(kind, reader.kind());
        assertEquals((int)Integer.decode(flags), reader.flags());
        assertEquals((int)Integer.decode(payloadLength), reader.payloadLength());
        assertEquals(Long.decode(epoch).intValue(), reader.epoch());
        assertEquals(Long.decode(seq).intValue(), reader.seq());
        assertEquals(Long.decode(ack).intValue(), reader.ack());
        assertEquals(Long.decode(creditLimit).intValue(), reader.creditLimit());
        assertEquals(0, segment.get(ValueLayout.JAVA_SHORT_UNALIGNED, BASE + XtsFrameDescriptor.RESERVED_OFFSET));
    }

    @Test
    void shouldRoundTripEachFieldThroughItsOwnAccessors()
    {
        final MemorySegment segment = Arena.ofAuto().allocate(BASE + FRAME_OVERHEAD);
        frame.wrap(segment, BASE, FRAME_OVERHEAD)
            .ethertype(0xFFFF)
            .version(0xFF)
            .kind(0xFE)
            .flags(0x8001)
            .payloadLength(0xFFFF)
            .epoch(0x8000_0000)
            .seq(0xFFFF_FFFF)
            .ack(0x8000_0000)
            .creditLimit(0xFFFF_FFFF);

        assertEquals(0xFFFF, frame.ethertype());
        assertEquals(0xFF, frame.version());
        assertEquals(0xFE, frame.kind());
        assertEquals(0x8001, frame.flags());
        assertEquals(0xFFFF, frame.payloadLength());
        assertEquals(0x8000_0000, frame.epoch());
        assertEquals(0xFFFF_FFFF, frame.seq());
        assertEquals(0x8000_0000, frame.ack());
        assertEquals(0xFFFF_FFFF, frame.creditLimit());
        assertEquals(FRAME_OVERHEAD + 0xFFFF, frame.frameLength());
    }

    @Test
    void shouldRoundTripMacsAsBytesAndAsLongs()
    {
        final MemorySegment segment = Arena.ofAuto().allocate(BASE + FRAME_OVERHEAD);
        final byte[] dst = {(byte)0xFF, 0x00, 0x11, 0x22, (byte)0x88, (byte)0x99};
        final byte[] src = {0x02, 0x42, (byte)0xAC, 0x11, 0x00, 0x02};
        frame.wrap(segment, BASE, FRAME_OVERHEAD).dstMac(dst).srcMac(src);

        assertEquals(0xFF00_1122_8899L, frame.dstMac());
        assertEquals(0x0242_AC11_0002L, frame.srcMac());
        final byte[] copy = new byte[6];
        frame.copyDstMac(copy);
        assertArrayEquals(dst, copy);
        frame.copySrcMac(copy);
        assertArrayEquals(src, copy);

        frame.dstMac(0xFFFF_0A0B_0C0D_0E0FL);
        assertEquals(0x0A0B_0C0D_0E0FL, frame.dstMac(), "upper 16 bits are not part of a MAC");
        frame.copyDstMac(copy);
        assertArrayEquals(new byte[] {0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F}, copy);
        assertEquals(0x0242_AC11_0002L, frame.srcMac(), "writing one MAC leaves the other");
    }

    @Test
    void shouldTouchNothingOutsideTheHeader()
    {
        final MemorySegment segment = Arena.ofAuto().allocate(BASE + FRAME_OVERHEAD + BASE);
        segment.fill((byte)0xAA);
        frame.wrap(segment, BASE, FRAME_OVERHEAD + BASE).writeHeader(-1L, -1L, 255, 0xFFFF, 0xFFFF, -1, -1, -1, -1);

        for (long i = 0; i < segment.byteSize(); i++)
        {
            if (i < BASE || i >= BASE + FRAME_OVERHEAD)
            {
                assertEquals((byte)0xAA, segment.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        }
    }

    @Test
    void shouldDerivePayloadOffsetAndFrameLength()
    {
        final MemorySegment segment = Arena.ofAuto().allocate(BASE + 200);
        frame.wrap(segment, BASE, 200).writeHeader(1, 2, KIND_ACK, FLAG_GAP, 12, 1, 2, 3, 4);

        assertSame(segment, frame.segment());
        assertEquals(BASE, frame.offset());
        assertEquals(200, frame.length());
        assertEquals(BASE + 38, frame.payloadOffset());
        assertEquals(38 + 12, frame.frameLength());
        assertTrue(frame.hasFlag(FLAG_GAP));
        assertFalse(frame.hasFlag(FLAG_RETRANSMIT));
    }

    @Test
    void shouldFailOnTheSegmentBoundsWhenTheHeaderIsNotThere()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[FRAME_OVERHEAD - 1]);
        frame.wrap(segment, 0, FRAME_OVERHEAD - 1);

        assertEquals(0, frame.seq());
        assertThrows(IndexOutOfBoundsException.class, frame::creditLimit);
    }
}
