package io.xts.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_INT;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_SHORT;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.MAX_PAYLOAD_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_STREAM_ID_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_TYPE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_OFFSET;

/**
 * Packs messages into the payload of a DATA frame whose header has already been written (for example with
 * {@link XtsFrameFlyweight#writeHeader}): each message is its 8-byte header (type, body length, stream id), the
 * body, then zero padding up to the next multiple of {@link XtsFrameDescriptor#MESSAGE_ALIGNMENT} counted from the
 * start of the payload. Bodies are either copied in ({@link #append}) or written in place by the caller after
 * {@link #claim} reserved them. The payload is bounded by the frame size given to {@link #wrap} and by the u16
 * payload length; when the padding of the last message would cross that bound it is cut short, so that the
 * payload always ends on an aligned offset or exactly at the bound. {@link #commit()} writes the payload length
 * into the frame header. One instance is reused for every frame; nothing is allocated.
 */
public final class MessageWriter
{
    private MemorySegment segment;
    private long frameOffset;
    private long payloadStart;
    private long position;
    private long limit;
    private int messageCount;
    private long lastMessage = -1;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a frame before use. Reuse it for every frame.
     */
    public MessageWriter()
    {
    }

    /**
     * Start filling the payload of a frame, empty.
     *
     * @param segment        memory holding the frame.
     * @param frameOffset    offset of the frame's first byte (the Ethernet header) in {@code segment}.
     * @param maxFrameLength largest frame allowed, Ethernet header included: the transport's frame size or the
     *                       peer's {@code maxFrameSize}, whichever is smaller.
     * @return this.
     * @throws IllegalArgumentException when {@code maxFrameLength} cannot hold the headers.
     */
    public MessageWriter wrap(final MemorySegment segment, final long frameOffset, final int maxFrameLength)
    {
        if (maxFrameLength < FRAME_OVERHEAD)
        {
            throw new IllegalArgumentException("frame of " + maxFrameLength + " bytes cannot hold the headers");
        }
        this.segment = segment;
        this.frameOffset = frameOffset;
        this.payloadStart = frameOffset + PAYLOAD_OFFSET;
        this.limit = payloadStart + Math.min(maxFrameLength - FRAME_OVERHEAD, MAX_PAYLOAD_LENGTH);
        this.position = payloadStart;
        this.messageCount = 0;
        this.lastMessage = -1;
        return this;
    }

    /**
     * Append a message, copying its body.
     *
     * @param type      u16 message type.
     * @param streamId  u32 stream id, 0 for link-level messages.
     * @param src       memory holding the body.
     * @param srcOffset offset of the body in {@code src}.
     * @param length    bytes of body.
     * @return false, writing nothing, when the message does not fit.
     */
    public boolean append(
        final int type,
        final int streamId,
        final MemorySegment src,
        final long srcOffset,
        final int length)
    {
        final long bodyOffset = claim(type, streamId, length);
        if (bodyOffset < 0)
        {
            return false;
        }
        MemorySegment.copy(src, srcOffset, segment, bodyOffset, length);
        return true;
    }

    /**
     * Reserve a message: write its header and zero its padding, and return where its body goes, for the caller to
     * write the {@code length} bytes of body there (for instance with {@link StreamCreditFlyweight}).
     *
     * @param type     u16 message type.
     * @param streamId u32 stream id, 0 for link-level messages.
     * @param length   bytes of body.
     * @return offset of the body in the segment, or -1, writing nothing, when the message does not fit.
     * @throws IllegalArgumentException when {@code type} is not a u16 or {@code length} is negative.
     */
    public long claim(final int type, final int streamId, final int length)
    {
        if (0 != (type & ~0xFFFF) || length < 0)
        {
            throw new IllegalArgumentException("bad message type " + type + " or length " + length);
        }
        final long bodyOffset = position + MESSAGE_HEADER_LENGTH;
        final long end = bodyOffset + length;
        if (end > limit)
        {
            return -1;
        }
        lastMessage = position;
        segment.set(BIG_ENDIAN_SHORT, position + MESSAGE_TYPE_OFFSET, (short)type);
        segment.set(BIG_ENDIAN_SHORT, position + MESSAGE_LENGTH_OFFSET, (short)length);
        segment.set(BIG_ENDIAN_INT, position + MESSAGE_STREAM_ID_OFFSET, streamId);
        final long next = Math.min(payloadStart + XtsFrameDescriptor.align((int)(end - payloadStart)), limit);
        for (long padding = end; padding < next; padding++)
        {
            segment.set(ValueLayout.JAVA_BYTE, padding, (byte)0);
        }
        position = next;
        messageCount++;
        return bodyOffset;
    }

    /**
     * Shorten the body of the message claimed last, for a caller that claimed room for the most it could write
     * (a read from a socket) and wrote less; 0 removes the message. Padding is rewritten for the new length.
     *
     * @param newLength bytes of body actually written, at most the length claimed.
     * @throws IllegalStateException when nothing was claimed since {@link #wrap}.
     * @throws IllegalArgumentException when {@code newLength} is negative or longer than claimed.
     */
    public void trimLast(final int newLength)
    {
        if (-1 == lastMessage)
        {
            throw new IllegalStateException("no message claimed in this frame");
        }
        final int claimed = segment.get(BIG_ENDIAN_SHORT, lastMessage + MESSAGE_LENGTH_OFFSET) & 0xFFFF;
        if (newLength < 0 || newLength > claimed)
        {
            throw new IllegalArgumentException("cannot trim a " + claimed + "-byte body to " + newLength);
        }
        if (0 == newLength)
        {
            position = lastMessage;
            lastMessage = -1;
            messageCount--;
            return;
        }
        segment.set(BIG_ENDIAN_SHORT, lastMessage + MESSAGE_LENGTH_OFFSET, (short)newLength);
        final long end = lastMessage + MESSAGE_HEADER_LENGTH + newLength;
        final long next = Math.min(payloadStart + XtsFrameDescriptor.align((int)(end - payloadStart)), limit);
        for (long padding = end; padding < next; padding++)
        {
            segment.set(ValueLayout.JAVA_BYTE, padding, (byte)0);
        }
        position = next;
    }

    /**
     * @return bytes of payload written so far, padding included.
     */
    public int payloadLength()
    {
        return (int)(position - payloadStart);
    }

    /**
     * @return bytes of payload still free, message headers included: a message with a body of {@code n} bytes fits
     * when {@code MESSAGE_HEADER_LENGTH + n <= remaining()}.
     */
    public int remaining()
    {
        return (int)(limit - position);
    }

    /**
     * @return the longest body a message appended now could have, 0 when not even a header fits.
     */
    public int maxBodyLength()
    {
        return Math.max(0, remaining() - MESSAGE_HEADER_LENGTH);
    }

    /**
     * @return messages written since {@link #wrap}.
     */
    public int messageCount()
    {
        return messageCount;
    }

    /**
     * @return offset of the frame in the segment.
     */
    public long frameOffset()
    {
        return frameOffset;
    }

    /**
     * Write the payload length into the frame header. Appending more afterwards is allowed; commit again.
     *
     * @return bytes of the frame: overhead plus payload, the length to transmit.
     */
    public int commit()
    {
        final int payloadLength = payloadLength();
        segment.set(BIG_ENDIAN_SHORT, frameOffset + PAYLOAD_LENGTH_OFFSET, (short)payloadLength);
        return FRAME_OVERHEAD + payloadLength;
    }
}
