package io.xts.protocol;

import java.lang.foreign.MemorySegment;

import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_INT;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_SHORT;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_STREAM_ID_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_TYPE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_OFFSET;

/**
 * Iterates the messages of a DATA payload in order, in place: {@link #wrap} it over a validated DATA frame (or
 * {@link #wrapPayload} over a payload), then while {@link #next()} returns true read {@link #type()},
 * {@link #length()}, {@link #streamId()} and the body at {@link #bodyOffset()}. It never reads outside the frame
 * (or the payload) it was given and never throws: a message header or body that would run past the payload ends
 * the iteration with {@link #malformed()} set to {@link MalformedReason#TRUNCATED_MESSAGE}; the messages before it
 * were well formed. Padding after a body is skipped unread, and may be cut short by the end of the payload. One
 * instance is reused for every frame; nothing is allocated.
 */
public final class MessageReader
{
    private MemorySegment segment;
    private long payloadStart;
    private long position;
    private long end;
    private int type;
    private int length;
    private int streamId;
    private long bodyOffset;
    private MalformedReason malformed = MalformedReason.NONE;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a DATA frame before use. Reuse it for every frame.
     */
    public MessageReader()
    {
    }

    /**
     * Start reading the messages of a DATA frame, from its first message. The payload length is read from the
     * frame header; a frame too short for its headers ends the iteration at once with
     * {@link MalformedReason#TRUNCATED}, a payload length past the frame with
     * {@link MalformedReason#LENGTH_PAST_FRAME} (a validated frame has neither).
     *
     * @param segment     memory holding the frame.
     * @param frameOffset offset of the frame's first byte (the Ethernet header) in {@code segment}.
     * @param frameLength bytes of the frame, Ethernet header included.
     * @return this.
     */
    public MessageReader wrap(final MemorySegment segment, final long frameOffset, final int frameLength)
    {
        if (frameLength < FRAME_OVERHEAD)
        {
            wrapPayload(segment, frameOffset, 0);
            malformed = MalformedReason.TRUNCATED;
            return this;
        }
        final int payloadLength = segment.get(BIG_ENDIAN_SHORT, frameOffset + PAYLOAD_LENGTH_OFFSET) & 0xFFFF;
        if (payloadLength > frameLength - FRAME_OVERHEAD)
        {
            wrapPayload(segment, frameOffset + PAYLOAD_OFFSET, 0);
            malformed = MalformedReason.LENGTH_PAST_FRAME;
            return this;
        }
        return wrapPayload(segment, frameOffset + PAYLOAD_OFFSET, payloadLength);
    }

    /**
     * Start reading a payload from its first message.
     *
     * @param segment       memory holding the frame.
     * @param payloadOffset offset of the payload in {@code segment} ({@link XtsFrameFlyweight#payloadOffset()}).
     * @param payloadLength bytes of payload ({@link XtsFrameFlyweight#payloadLength()} of a validated frame).
     * @return this.
     */
    public MessageReader wrapPayload(final MemorySegment segment, final long payloadOffset, final int payloadLength)
    {
        this.segment = segment;
        this.payloadStart = payloadOffset;
        this.position = payloadOffset;
        this.end = payloadOffset + Math.max(0, payloadLength);
        this.type = 0;
        this.length = 0;
        this.streamId = 0;
        this.bodyOffset = -1;
        this.malformed = MalformedReason.NONE;
        return this;
    }

    /**
     * Move to the next message.
     *
     * @return true when there is one; false at the end of the payload or when the next message is truncated
     * (see {@link #malformed()}).
     */
    public boolean next()
    {
        if (position >= end || MalformedReason.NONE != malformed)
        {
            return false;
        }
        if (end - position < MESSAGE_HEADER_LENGTH)
        {
            malformed = MalformedReason.TRUNCATED_MESSAGE;
            return false;
        }
        final int messageLength = segment.get(BIG_ENDIAN_SHORT, position + MESSAGE_LENGTH_OFFSET) & 0xFFFF;
        final long body = position + MESSAGE_HEADER_LENGTH;
        if (messageLength > end - body)
        {
            malformed = MalformedReason.TRUNCATED_MESSAGE;
            return false;
        }
        type = segment.get(BIG_ENDIAN_SHORT, position + MESSAGE_TYPE_OFFSET) & 0xFFFF;
        streamId = segment.get(BIG_ENDIAN_INT, position + MESSAGE_STREAM_ID_OFFSET);
        length = messageLength;
        bodyOffset = body;
        position = nextMessage(payloadStart, body + messageLength, end);
        return true;
    }

    /**
     * @return the u16 type of the current message.
     */
    public int type()
    {
        return type;
    }

    /**
     * @return bytes of body of the current message.
     */
    public int length()
    {
        return length;
    }

    /**
     * @return the u32 stream id of the current message, raw bits.
     */
    public int streamId()
    {
        return streamId;
    }

    /**
     * @return offset in the segment of the current message's body; -1 before the first {@link #next()}.
     */
    public long bodyOffset()
    {
        return bodyOffset;
    }

    /**
     * @return {@link MalformedReason#TRUNCATED_MESSAGE} when the iteration stopped at a truncated message,
     * {@link MalformedReason#TRUNCATED} or {@link MalformedReason#LENGTH_PAST_FRAME} when {@link #wrap} found the
     * frame itself broken, else {@link MalformedReason#NONE}.
     */
    public MalformedReason malformed()
    {
        return malformed;
    }

    /**
     * Walk every message of a payload without keeping any state, for {@link FrameValidator}.
     *
     * @param segment       memory holding the frame.
     * @param payloadOffset offset of the payload in {@code segment}.
     * @param payloadLength bytes of payload, within the segment.
     * @return how many whole messages the payload holds, or -1 when a header or body runs past its end.
     */
    static int countMessages(final MemorySegment segment, final long payloadOffset, final int payloadLength)
    {
        final long end = payloadOffset + payloadLength;
        long position = payloadOffset;
        int count = 0;
        while (position < end)
        {
            if (end - position < MESSAGE_HEADER_LENGTH)
            {
                return -1;
            }
            final int messageLength = segment.get(BIG_ENDIAN_SHORT, position + MESSAGE_LENGTH_OFFSET) & 0xFFFF;
            final long bodyEnd = position + MESSAGE_HEADER_LENGTH + messageLength;
            if (bodyEnd > end)
            {
                return -1;
            }
            position = nextMessage(payloadOffset, bodyEnd, end);
            count++;
        }
        return count;
    }

    private static long nextMessage(final long payloadStart, final long bodyEnd, final long end)
    {
        return Math.min(payloadStart + XtsFrameDescriptor.align((int)(bodyEnd - payloadStart)), end);
    }
}
