package io.xts.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;

import static io.xts.protocol.XtsFrameDescriptor.ETHERTYPE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MAX_FRAME_SIZE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MAX_VERSION_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MIN_VERSION_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.KIND_ACK;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static io.xts.protocol.XtsFrameDescriptor.KIND_HELLO;
import static io.xts.protocol.XtsFrameDescriptor.KIND_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.KIND_RESET;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.RESET_SHUTDOWN;
import static io.xts.protocol.XtsFrameDescriptor.RESET_TEXT_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.VERSION_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per {@link MalformedReason} the validator decides, each on a frame broken in exactly one way, plus the
 * valid frame of every kind, the order of the checks when a frame is broken in several ways, and frames lying at
 * a base offset inside a larger segment. Frames are otherwise wrapped in segments of exactly their size, so any
 * read outside them would throw rather than pass.
 */
class FrameValidatorTest
{
    @Test
    void shouldAcceptAValidFrameOfEveryKind()
    {
        assertReason(MalformedReason.NONE, TestFrames.hello());
        assertReason(MalformedReason.NONE, TestFrames.data(1, 2, 3, 100));
        assertReason(MalformedReason.NONE, TestFrames.ack());
        assertReason(MalformedReason.NONE, TestFrames.reset(RESET_SHUTDOWN, "shutting down"));
        assertReason(MalformedReason.NONE, TestFrames.reset(RESET_SHUTDOWN, ""));
    }

    @Test
    void shouldIgnoreEthernetPaddingAfterThePayload()
    {
        assertReason(MalformedReason.NONE, TestFrames.resize(TestFrames.ack(), 60));
        assertReason(MalformedReason.NONE, TestFrames.resize(TestFrames.data(1), 60));
    }

    @Test
    void shouldAcceptALongerHelloAndAnAckWithAPayload()
    {
        final byte[] hello = TestFrames.resize(TestFrames.hello(), FRAME_OVERHEAD + 32);
        assertReason(MalformedReason.NONE, TestFrames.putU16(hello, PAYLOAD_LENGTH_OFFSET, 32));
        final byte[] ack = TestFrames.resize(TestFrames.ack(), FRAME_OVERHEAD + 4);
        assertReason(MalformedReason.NONE, TestFrames.putU16(ack, PAYLOAD_LENGTH_OFFSET, 4));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 13, 14, 37})
    void shouldFindATruncatedHeader(final int length)
    {
        assertReason(MalformedReason.TRUNCATED, TestFrames.resize(TestFrames.ack(), length));
    }

    @Test
    void shouldFindAWrongEthertype()
    {
        assertReason(MalformedReason.WRONG_ETHERTYPE, TestFrames.putU16(TestFrames.ack(), ETHERTYPE_OFFSET, 0x0800));
        assertReason(MalformedReason.WRONG_ETHERTYPE, TestFrames.putU16(TestFrames.ack(), ETHERTYPE_OFFSET, 0xB588));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 255})
    void shouldFindABadVersion(final int version)
    {
        assertReason(MalformedReason.BAD_VERSION, TestFrames.putU8(TestFrames.ack(), VERSION_OFFSET, version));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 128, 255})
    void shouldFindAnUnknownKind(final int kind)
    {
        assertReason(MalformedReason.UNKNOWN_KIND, TestFrames.putU8(TestFrames.ack(), KIND_OFFSET, kind));
    }

    @ParameterizedTest
    @ValueSource(ints = {KIND_HELLO, KIND_DATA, KIND_ACK, KIND_RESET})
    void shouldFindAPayloadLengthPastTheFrame(final int kind)
    {
        final byte[] frame = TestFrames.header(kind, 0, FRAME_OVERHEAD + 30);
        assertReason(MalformedReason.LENGTH_PAST_FRAME, TestFrames.putU16(frame, PAYLOAD_LENGTH_OFFSET, 31));
        assertReason(MalformedReason.LENGTH_PAST_FRAME, TestFrames.putU16(frame, PAYLOAD_LENGTH_OFFSET, 0xFFFF));
    }

    @Test
    void shouldFindAMessageHeaderPastThePayload()
    {
        final byte[] valid = TestFrames.data(4);
        final byte[] frame = TestFrames.resize(valid, valid.length + 7);
        assertReason(MalformedReason.TRUNCATED_MESSAGE,
            TestFrames.putU16(frame, PAYLOAD_LENGTH_OFFSET, valid.length - FRAME_OVERHEAD + 7));
    }

    @Test
    void shouldFindAMessageBodyPastThePayload()
    {
        final byte[] frame = TestFrames.data(4, 8);
        assertReason(MalformedReason.TRUNCATED_MESSAGE, TestFrames.putU16(frame, FRAME_OVERHEAD + 12 + 2, 9));
    }

    @Test
    void shouldFindAMessageBodyPastThePayloadThoughInsideTheFrame()
    {
        final byte[] frame = TestFrames.resize(TestFrames.data(8), 200);
        assertReason(MalformedReason.TRUNCATED_MESSAGE, TestFrames.putU16(frame, FRAME_OVERHEAD + 2, 9));
    }

    @Test
    void shouldFindADataFrameWithoutMessages()
    {
        assertReason(MalformedReason.TRUNCATED_MESSAGE, TestFrames.header(KIND_DATA, 0, FRAME_OVERHEAD));
    }

    @Test
    void shouldFindAResetTextPastThePayload()
    {
        final byte[] reset = TestFrames.reset(RESET_SHUTDOWN, "bye");
        assertReason(MalformedReason.TRUNCATED_MESSAGE,
            TestFrames.putU16(reset.clone(), FRAME_OVERHEAD + RESET_TEXT_LENGTH_OFFSET, 4));
        final byte[] shortReset = TestFrames.header(KIND_RESET, 3, FRAME_OVERHEAD + 3);
        assertReason(MalformedReason.TRUNCATED_MESSAGE, shortReset);
    }

    @Test
    void shouldFindAShortHello()
    {
        final byte[] hello = TestFrames.hello();
        assertReason(MalformedReason.BAD_HELLO, TestFrames.putU16(hello, PAYLOAD_LENGTH_OFFSET, 23));
        assertReason(MalformedReason.BAD_HELLO, TestFrames.header(KIND_HELLO, 0, FRAME_OVERHEAD));
    }

    @Test
    void shouldFindAnInconsistentHello()
    {
        assertReason(MalformedReason.BAD_HELLO,
            TestFrames.putU16(TestFrames.hello(), FRAME_OVERHEAD + HELLO_MIN_VERSION_OFFSET, 2));
        assertReason(MalformedReason.BAD_HELLO,
            TestFrames.putU16(TestFrames.hello(), FRAME_OVERHEAD + HELLO_MAX_VERSION_OFFSET, 0));
        assertReason(MalformedReason.BAD_HELLO,
            TestFrames.putU16(TestFrames.hello(), FRAME_OVERHEAD + HELLO_MAX_FRAME_SIZE_OFFSET, 45));
        assertReason(MalformedReason.NONE,
            TestFrames.putU16(TestFrames.hello(), FRAME_OVERHEAD + HELLO_MAX_FRAME_SIZE_OFFSET, 46));
    }

    @Test
    void shouldCheckInTheSpecifiedOrder()
    {
        final byte[] frame = TestFrames.header(KIND_DATA, 0, FRAME_OVERHEAD);
        TestFrames.putU16(frame, PAYLOAD_LENGTH_OFFSET, 100);
        TestFrames.putU8(frame, KIND_OFFSET, 9);
        TestFrames.putU8(frame, VERSION_OFFSET, 7);
        TestFrames.putU16(frame, ETHERTYPE_OFFSET, 0x86DD);

        assertReason(MalformedReason.TRUNCATED, TestFrames.resize(frame, FRAME_OVERHEAD - 1));
        assertReason(MalformedReason.WRONG_ETHERTYPE, frame);
        TestFrames.putU16(frame, ETHERTYPE_OFFSET, XtsFrameDescriptor.ETHERTYPE);
        assertReason(MalformedReason.BAD_VERSION, frame);
        TestFrames.putU8(frame, VERSION_OFFSET, 1);
        assertReason(MalformedReason.UNKNOWN_KIND, frame);
        TestFrames.putU8(frame, KIND_OFFSET, KIND_HELLO);
        assertReason(MalformedReason.LENGTH_PAST_FRAME, frame);
        TestFrames.putU16(frame, PAYLOAD_LENGTH_OFFSET, 0);
        assertReason(MalformedReason.BAD_HELLO, frame);
    }

    @Test
    void shouldValidateAFrameAtAnOffsetInsideALargerSegment()
    {
        final byte[] frame = TestFrames.data(5);
        final byte[] memory = new byte[frame.length + 200];
        System.arraycopy(frame, 0, memory, 100, frame.length);
        final MemorySegment segment = MemorySegment.ofArray(memory);

        assertEquals(MalformedReason.NONE, FrameValidator.validate(segment, 100, frame.length));
        assertEquals(MalformedReason.WRONG_ETHERTYPE, FrameValidator.validate(segment, 0, frame.length));
    }

    @Test
    void shouldCallARangeOutsideTheSegmentTruncated()
    {
        final MemorySegment segment = MemorySegment.ofArray(TestFrames.ack());

        assertEquals(MalformedReason.TRUNCATED, FrameValidator.validate(segment, 1, FRAME_OVERHEAD));
        assertEquals(MalformedReason.TRUNCATED, FrameValidator.validate(segment, 0, FRAME_OVERHEAD + 1));
        assertEquals(MalformedReason.TRUNCATED, FrameValidator.validate(segment, -1, FRAME_OVERHEAD));
        assertEquals(MalformedReason.TRUNCATED, FrameValidator.validate(segment, Long.MAX_VALUE, FRAME_OVERHEAD));
        assertEquals(MalformedReason.TRUNCATED, FrameValidator.validate(segment, 0, Integer.MIN_VALUE));
        assertEquals(MalformedReason.NONE, FrameValidator.validate(segment, 0, FRAME_OVERHEAD));
    }

    @ParameterizedTest
    @EnumSource(MalformedReason.class)
    void shouldDescribeEveryReason(final MalformedReason reason)
    {
        assertFalse(reason.description().isBlank());
        assertTrue(reason.description().length() < 60);
    }

    private static void assertReason(final MalformedReason expected, final byte[] frame)
    {
        assertEquals(expected, FrameValidator.validate(MemorySegment.ofArray(frame), 0, frame.length));
    }
}
