package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_UNKNOWN_TYPE;
import static io.xts.protocol.XtsFrameDescriptor.MAX_PAYLOAD_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_LINK_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_DATA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tests of packing messages into a DATA frame: exact bytes of headers, bodies and zeroed padding, several messages
 * of every kind read back by {@link MessageReader}, bodies written in place after {@link MessageWriter#claim},
 * refusal when full (nothing written), the bound set by the frame size and by the u16 payload length, padding cut
 * at an unaligned bound, and the payload length committed into the header.
 */
class MessageWriterTest
{
    private static final int BASE = 64;

    private final XtsFrameFlyweight frame = new XtsFrameFlyweight();
    private final MessageWriter writer = new MessageWriter();
    private final MessageReader reader = new MessageReader();

    @Test
    void shouldWriteHeaderBodyAndZeroedPadding()
    {
        final byte[] bytes = new byte[FRAME_OVERHEAD + 24];
        Arrays.fill(bytes, (byte)0xAA);
        final MemorySegment segment = MemorySegment.ofArray(bytes);
        final MemorySegment body = MemorySegment.ofArray(new byte[] {9, 8, 7, 6, 5});
        writer.wrap(segment, 0, bytes.length);

        assertTrue(writer.append(0x0010, 0x0102_0304, body, 1, 3));
        assertEquals(12, writer.payloadLength());
        assertTrue(writer.append(0xABCD, -1, body, 0, 0));
        assertEquals(20, writer.payloadLength());

        final byte[] payload = Arrays.copyOfRange(bytes, FRAME_OVERHEAD, FRAME_OVERHEAD + 20);
        final byte[] expected = {
            0x00, 0x10, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04, 8, 7, 6, 0,
            (byte)0xAB, (byte)0xCD, 0x00, 0x00, (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF,
        };
        assertArrayEquals(expected, payload);
        assertEquals((byte)0xAA, bytes[FRAME_OVERHEAD + 20], "nothing written past the last message");
    }

    @Test
    void shouldPackSeveralMessagesAndReadThemBack()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[BASE + 3520]);
        frame.wrap(segment, BASE, 3520).writeHeader(1, 2, KIND_DATA, 0, 0, 0x8000_0001, 0xFFFF_FFFF, 0, 64);
        writer.wrap(segment, BASE, 3520);
        final MemorySegment source = MemorySegment.ofArray(new byte[1000]);
        for (int i = 0; i < 1000; i++)
        {
            source.set(ValueLayout.JAVA_BYTE, i, (byte)(i * 31));
        }

        assertTrue(writer.append(TYPE_STREAM_DATA, 7, source, 0, 1));
        assertTrue(writer.append(TYPE_STREAM_DATA, 8, source, 1, 2));
        assertTrue(writer.append(TYPE_STREAM_DATA, 9, source, 3, 3));
        assertTrue(writer.append(TYPE_STREAM_DATA, 10, source, 6, 4));
        final long credit = writer.claim(TYPE_STREAM_CREDIT, 7, StreamCreditFlyweight.LENGTH);
        new StreamCreditFlyweight().wrap(segment, credit, StreamCreditFlyweight.LENGTH).write(1L << 40, 65_536);
        final long error = writer.claim(TYPE_LINK_ERROR, 0, LinkErrorFlyweight.LENGTH);
        new LinkErrorFlyweight().wrap(segment, error, LinkErrorFlyweight.LENGTH)
            .write(0x0300, LINK_ERROR_UNKNOWN_TYPE, 42);
        assertTrue(writer.append(TYPE_STREAM_DATA, 0xFFFF_FFFF, source, 10, 990));
        assertEquals(7, writer.messageCount());
        final int frameLength = writer.commit();

        final int expectedPayload = 12 + 12 + 12 + 12 + 20 + 16 + 8 + 992;
        assertEquals(expectedPayload, writer.payloadLength());
        assertEquals(FRAME_OVERHEAD + expectedPayload, frameLength);
        assertEquals(expectedPayload, frame.payloadLength());
        assertEquals(MalformedReason.NONE, FrameValidator.validate(segment, BASE, frameLength));

        reader.wrap(segment, BASE, frameLength);
        final int[] streamIds = {7, 8, 9, 10};
        int sourceOffset = 0;
        for (int i = 0; i < 4; i++)
        {
            assertTrue(reader.next());
            assertEquals(TYPE_STREAM_DATA, reader.type());
            assertEquals(streamIds[i], reader.streamId());
            assertEquals(i + 1, reader.length());
            assertEquals(0, (reader.bodyOffset() - MESSAGE_HEADER_LENGTH - frame.payloadOffset()) % 4);
            assertBody(segment, reader.bodyOffset(), source, sourceOffset, i + 1);
            sourceOffset += i + 1;
        }
        assertTrue(reader.next());
        assertEquals(TYPE_STREAM_CREDIT, reader.type());
        assertEquals(credit, reader.bodyOffset());
        final StreamCreditFlyweight readCredit =
            new StreamCreditFlyweight().wrap(segment, reader.bodyOffset(), reader.length());
        assertEquals(1L << 40, readCredit.position());
        assertEquals(65_536, readCredit.window());
        assertTrue(reader.next());
        assertEquals(TYPE_LINK_ERROR, reader.type());
        assertEquals(0, reader.streamId());
        final LinkErrorFlyweight readError =
            new LinkErrorFlyweight().wrap(segment, reader.bodyOffset(), reader.length());
        assertEquals(0x0300, readError.offendingType());
        assertEquals(LINK_ERROR_UNKNOWN_TYPE, readError.reason());
        assertEquals(42, readError.offendingStreamId());
        assertTrue(reader.next());
        assertEquals(0xFFFF_FFFF, reader.streamId());
        assertEquals(990, reader.length());
        assertBody(segment, reader.bodyOffset(), source, 10, 990);
        assertFalse(reader.next());
        assertEquals(MalformedReason.NONE, reader.malformed());
    }

    @Test
    void shouldRefuseWhatDoesNotFitAndWriteNothing()
    {
        final byte[] bytes = new byte[FRAME_OVERHEAD + 32];
        Arrays.fill(bytes, (byte)0x55);
        final MemorySegment segment = MemorySegment.ofArray(bytes);
        final MemorySegment source = MemorySegment.ofArray(new byte[64]);
        writer.wrap(segment, 0, bytes.length);

        assertEquals(32, writer.remaining());
        assertEquals(24, writer.maxBodyLength());
        assertFalse(writer.append(TYPE_STREAM_DATA, 1, source, 0, 25));
        assertEquals(-1, writer.claim(TYPE_STREAM_DATA, 1, 25));
        assertEquals(0, writer.payloadLength());
        assertEquals(0, writer.messageCount());
        assertEquals((byte)0x55, bytes[FRAME_OVERHEAD], "a refused message leaves no trace");

        assertTrue(writer.append(TYPE_STREAM_DATA, 1, source, 0, 13));
        assertEquals(8, writer.remaining());
        assertEquals(0, writer.maxBodyLength());
        assertFalse(writer.append(TYPE_STREAM_DATA, 1, source, 0, 1));
        assertTrue(writer.append(TYPE_STREAM_DATA, 2, source, 0, 0));
        assertEquals(0, writer.remaining());
        assertEquals(-1, writer.claim(TYPE_LINK_ERROR, 0, 0));
        assertEquals(2, writer.messageCount());
        assertEquals(FRAME_OVERHEAD + 32, writer.commit());
    }

    @Test
    void shouldCutThePaddingOfTheLastMessageAtAnUnalignedBound()
    {
        // A 3520-byte frame leaves 3482 payload bytes, not a multiple of 4.
        final MemorySegment segment = MemorySegment.ofArray(new byte[3520]);
        final MemorySegment source = MemorySegment.ofArray(new byte[4000]);
        frame.wrap(segment, 0, 3520).writeHeader(1, 2, KIND_DATA, 0, 0, 1, 0, 0, 1);
        writer.wrap(segment, 0, 3520);

        assertEquals(3482, writer.remaining());
        assertTrue(writer.append(TYPE_STREAM_DATA, 1, source, 0, 3482 - 8 - 1));
        assertEquals(3482, writer.payloadLength(), "padding cut at the bound");
        assertEquals(0, writer.remaining());
        assertEquals(3520, writer.commit());
        assertEquals(MalformedReason.NONE, FrameValidator.validate(segment, 0, 3520));
        reader.wrap(segment, 0, 3520);
        assertTrue(reader.next());
        assertEquals(3473, reader.length());
        assertFalse(reader.next());
        assertEquals(MalformedReason.NONE, reader.malformed());
    }

    @Test
    void shouldBoundThePayloadByItsSixteenBitLength()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[100_000]);
        final MemorySegment source = MemorySegment.ofArray(new byte[MAX_PAYLOAD_LENGTH]);
        frame.wrap(segment, 0, 100_000).writeHeader(1, 2, KIND_DATA, 0, 0, 1, 0, 0, 1);
        writer.wrap(segment, 0, 100_000);

        assertEquals(MAX_PAYLOAD_LENGTH, writer.remaining());
        assertEquals(-1, writer.claim(TYPE_STREAM_DATA, 1, MAX_PAYLOAD_LENGTH));
        assertTrue(writer.append(TYPE_STREAM_DATA, 1, source, 0, MAX_PAYLOAD_LENGTH - MESSAGE_HEADER_LENGTH));
        assertEquals(MAX_PAYLOAD_LENGTH, writer.payloadLength());
        final int frameLength = writer.commit();

        assertEquals(FRAME_OVERHEAD + MAX_PAYLOAD_LENGTH, frameLength);
        assertEquals(MAX_PAYLOAD_LENGTH, frame.wrap(segment, 0, frameLength).payloadLength());
        assertEquals(MalformedReason.NONE, FrameValidator.validate(segment, 0, frameLength));
    }

    @Test
    void shouldStartEmptyOnEveryWrap()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[200]);
        final MemorySegment source = MemorySegment.ofArray(new byte[8]);
        writer.wrap(segment, 0, 200);
        writer.append(TYPE_STREAM_DATA, 1, source, 0, 8);
        writer.wrap(segment, 100, 100);

        assertEquals(0, writer.payloadLength());
        assertEquals(0, writer.messageCount());
        assertEquals(100, writer.frameOffset());
        assertEquals(100 - FRAME_OVERHEAD, writer.remaining());
        assertEquals(FRAME_OVERHEAD, writer.commit());
    }

    @Test
    void shouldRejectImpossibleArguments()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[200]);

        assertThrows(IllegalArgumentException.class, () -> writer.wrap(segment, 0, FRAME_OVERHEAD - 1));
        writer.wrap(segment, 0, 200);
        assertThrows(IllegalArgumentException.class, () -> writer.claim(TYPE_STREAM_DATA, 1, -1));
        assertThrows(IllegalArgumentException.class, () -> writer.claim(0x1_0000, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> writer.claim(-1, 1, 0));
        assertEquals(0, writer.messageCount());
    }

    private static void assertBody(
        final MemorySegment segment,
        final long bodyOffset,
        final MemorySegment source,
        final long from,
        final int length)
    {
        assertEquals(-1, MemorySegment.mismatch(segment, bodyOffset, bodyOffset + length, source, from, from + length));
    }
}
