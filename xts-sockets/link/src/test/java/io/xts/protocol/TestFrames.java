package io.xts.protocol;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.KIND_ACK;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static io.xts.protocol.XtsFrameDescriptor.KIND_HELLO;
import static io.xts.protocol.XtsFrameDescriptor.KIND_RESET;
import static io.xts.protocol.XtsFrameDescriptor.RESET_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_DATA;

/**
 * Builds well-formed XTS frames as byte arrays of exactly their length, for the codec tests and the fuzz seeds, and
 * patches single fields of them big-endian to make broken variants. Valid frames are written with the flyweights
 * under test; the header-layout tests check those against hand-written bytes, so building with them here is sound.
 */
final class TestFrames
{
    /** Destination MAC of every test frame. */
    static final long DST_MAC = 0x02_00_00_00_00_01L;

    /** Source MAC of every test frame. */
    static final long SRC_MAC = 0x02_00_00_00_00_02L;

    /** Epoch of every test frame, high bit set. */
    static final int EPOCH = 0x8000_0001;

    private TestFrames()
    {
    }

    /**
     * @param kind          frame kind.
     * @param payloadLength value of the payloadLength field.
     * @param frameLength   bytes of the array.
     * @return a frame with a full header and a zeroed payload.
     */
    static byte[] header(final int kind, final int payloadLength, final int frameLength)
    {
        final byte[] bytes = new byte[frameLength];
        new XtsFrameFlyweight().wrap(MemorySegment.ofArray(bytes), 0, frameLength)
            .writeHeader(DST_MAC, SRC_MAC, kind, 0, payloadLength, EPOCH, 7, 9, 40);
        return bytes;
    }

    /**
     * @return a valid HELLO of version range 1..1.
     */
    static byte[] hello()
    {
        final byte[] bytes = header(KIND_HELLO, HELLO_LENGTH, FRAME_OVERHEAD + HELLO_LENGTH);
        new HelloFlyweight().wrap(MemorySegment.ofArray(bytes), FRAME_OVERHEAD, HELLO_LENGTH)
            .write(1, 1, 0x1234_5678, 3520, 64, 100_000, 500_000);
        return bytes;
    }

    /**
     * @return a valid ACK, no payload.
     */
    static byte[] ack()
    {
        return header(KIND_ACK, 0, FRAME_OVERHEAD);
    }

    /**
     * @param reason RESET reason.
     * @param text   the text.
     * @return a valid RESET.
     */
    static byte[] reset(final int reason, final String text)
    {
        final int payloadLength = RESET_HEADER_LENGTH + text.getBytes(StandardCharsets.UTF_8).length;
        final byte[] bytes = header(KIND_RESET, payloadLength, FRAME_OVERHEAD + payloadLength);
        new ResetFlyweight().wrap(MemorySegment.ofArray(bytes), FRAME_OVERHEAD, payloadLength).encode(reason, text);
        return bytes;
    }

    /**
     * @param bodyLengths body length of each STREAM_DATA message; message i has stream id i + 1 and body bytes
     *                    {@code i + 1 + k}.
     * @return a valid DATA frame holding those messages, padded.
     */
    static byte[] data(final int... bodyLengths)
    {
        int payloadLength = 0;
        for (final int bodyLength : bodyLengths)
        {
            payloadLength += XtsFrameDescriptor.messageFrameLength(bodyLength);
        }
        final byte[] bytes = header(KIND_DATA, 0, FRAME_OVERHEAD + payloadLength);
        final MemorySegment segment = MemorySegment.ofArray(bytes);
        final MessageWriter writer = new MessageWriter().wrap(segment, 0, bytes.length);
        for (int i = 0; i < bodyLengths.length; i++)
        {
            final long body = writer.claim(TYPE_STREAM_DATA, i + 1, bodyLengths[i]);
            for (int k = 0; k < bodyLengths[i]; k++)
            {
                bytes[(int)body + k] = (byte)(i + 1 + k);
            }
        }
        writer.commit();
        return bytes;
    }

    /**
     * @param bytes  a frame.
     * @param offset where, from the start of the frame.
     * @param value  u16 to write big-endian.
     * @return {@code bytes}.
     */
    static byte[] putU16(final byte[] bytes, final int offset, final int value)
    {
        bytes[offset] = (byte)(value >>> 8);
        bytes[offset + 1] = (byte)value;
        return bytes;
    }

    /**
     * @param bytes  a frame.
     * @param offset where, from the start of the frame.
     * @param value  u8 to write.
     * @return {@code bytes}.
     */
    static byte[] putU8(final byte[] bytes, final int offset, final int value)
    {
        bytes[offset] = (byte)value;
        return bytes;
    }

    /**
     * @param bytes  a frame.
     * @param length new length.
     * @return a copy of the first {@code length} bytes, zero-extended.
     */
    static byte[] resize(final byte[] bytes, final int length)
    {
        return Arrays.copyOf(bytes, length);
    }
}
