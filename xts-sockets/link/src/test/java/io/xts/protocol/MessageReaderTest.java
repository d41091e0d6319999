package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_DATA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tests of iterating the messages of a DATA payload: in order with their fields, stopping at the end, and stopping
 * with {@link MalformedReason#TRUNCATED_MESSAGE} at a header or body running past the payload. Every frame is
 * wrapped in a segment of exactly its size, so a read past it would throw instead of passing silently.
 */
class MessageReaderTest
{
    private final MessageReader reader = new MessageReader();

    @Test
    void shouldReadEveryMessageInOrderThenStop()
    {
        final byte[] bytes = TestFrames.data(0, 1, 5, 8);
        final MemorySegment segment = MemorySegment.ofArray(bytes);
        reader.wrap(segment, 0, bytes.length);

        assertEquals(-1, reader.bodyOffset());
        final int[] lengths = {0, 1, 5, 8};
        long expectedBody = FRAME_OVERHEAD + 8;
        for (int i = 0; i < lengths.length; i++)
        {
            assertTrue(reader.next());
            assertEquals(TYPE_STREAM_DATA, reader.type());
            assertEquals(i + 1, reader.streamId());
            assertEquals(lengths[i], reader.length());
            assertEquals(expectedBody, reader.bodyOffset());
            if (lengths[i] > 0)
            {
                assertEquals(i + 1, bytes[(int)reader.bodyOffset()]);
            }
            expectedBody += XtsFrameDescriptor.messageFrameLength(lengths[i]);
        }
        assertFalse(reader.next());
        assertFalse(reader.next());
        assertEquals(MalformedReason.NONE, reader.malformed());
    }

    @Test
    void shouldReadAPayloadGivenDirectly()
    {
        final byte[] bytes = TestFrames.data(3, 4);
        reader.wrapPayload(MemorySegment.ofArray(bytes), FRAME_OVERHEAD, bytes.length - FRAME_OVERHEAD);

        assertTrue(reader.next());
        assertEquals(3, reader.length());
        assertTrue(reader.next());
        assertEquals(4, reader.length());
        assertFalse(reader.next());
        assertEquals(MalformedReason.NONE, reader.malformed());
    }

    @Test
    void shouldAcceptALastMessageWithoutPadding()
    {
        final byte[] padded = TestFrames.data(4, 1);
        final int unpadded = padded.length - 3;
        final byte[] bytes = TestFrames.putU16(TestFrames.resize(padded, unpadded), PAYLOAD_LENGTH_OFFSET,
            unpadded - FRAME_OVERHEAD);
        reader.wrap(MemorySegment.ofArray(bytes), 0, bytes.length);

        assertTrue(reader.next());
        assertTrue(reader.next());
        assertEquals(1, reader.length());
        assertFalse(reader.next());
        assertEquals(MalformedReason.NONE, reader.malformed());
    }

    @Test
    void shouldStopAtAMessageHeaderPastThePayload()
    {
        final byte[] valid = TestFrames.data(4);
        final int payloadLength = valid.length - FRAME_OVERHEAD + 4;
        final byte[] bytes = TestFrames.putU16(TestFrames.resize(valid, valid.length + 4), PAYLOAD_LENGTH_OFFSET,
            payloadLength);
        reader.wrap(MemorySegment.ofArray(bytes), 0, bytes.length);

        assertTrue(reader.next());
        assertFalse(reader.next());
        assertEquals(MalformedReason.TRUNCATED_MESSAGE, reader.malformed());
        assertFalse(reader.next());
        assertEquals(MalformedReason.TRUNCATED_MESSAGE, reader.malformed());
    }

    @Test
    void shouldStopAtAMessageBodyPastThePayload()
    {
        final byte[] bytes = TestFrames.data(4, 8);
        TestFrames.putU16(bytes, FRAME_OVERHEAD + 12 + 2, 9);
        reader.wrap(MemorySegment.ofArray(bytes), 0, bytes.length);

        assertTrue(reader.next());
        assertEquals(4, reader.length());
        assertFalse(reader.next());
        assertEquals(MalformedReason.TRUNCATED_MESSAGE, reader.malformed());
        assertEquals(4, reader.length(), "the last good message stays current");
    }

    @Test
    void shouldStopAtTheLargestBodyLengthInATinyPayload()
    {
        final byte[] bytes = TestFrames.data(0);
        TestFrames.putU16(bytes, FRAME_OVERHEAD + 2, 0xFFFF);
        reader.wrap(MemorySegment.ofArray(bytes), 0, bytes.length);

        assertFalse(reader.next());
        assertEquals(MalformedReason.TRUNCATED_MESSAGE, reader.malformed());
    }

    @Test
    void shouldFindNothingInAnEmptyPayload()
    {
        final byte[] bytes = TestFrames.header(XtsFrameDescriptor.KIND_DATA, 0, FRAME_OVERHEAD);
        reader.wrap(MemorySegment.ofArray(bytes), 0, bytes.length);

        assertFalse(reader.next());
        assertEquals(MalformedReason.NONE, reader.malformed());
    }

    @Test
    void shouldReportABrokenFrameWithoutReadingPastIt()
    {
        final byte[] shortFrame = new byte[FRAME_OVERHEAD - 1];
        reader.wrap(MemorySegment.ofArray(shortFrame), 0, shortFrame.length);
        assertFalse(reader.next());
        assertEquals(MalformedReason.TRUNCATED, reader.malformed());

        final byte[] pastFrame = TestFrames.data(4);
        TestFrames.putU16(pastFrame, PAYLOAD_LENGTH_OFFSET, pastFrame.length - FRAME_OVERHEAD + 1);
        reader.wrap(MemorySegment.ofArray(pastFrame), 0, pastFrame.length);
        assertFalse(reader.next());
        assertEquals(MalformedReason.LENGTH_PAST_FRAME, reader.malformed());

        final byte[] valid = TestFrames.data(4);
        reader.wrap(MemorySegment.ofArray(valid), 0, valid.length);
        assertEquals(MalformedReason.NONE, reader.malformed(), "wrap clears the previous verdict");
        assertTrue(reader.next());
    }
}
