package io.xts.protocol;

import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_INT;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_SHORT;
import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_OFFENDING_STREAM_ID_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_OFFENDING_TYPE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_REASON_OFFSET;

/**
 * Encoder and decoder, in place, of the body of a LINK_ERROR message ({@link XtsFrameDescriptor#TYPE_LINK_ERROR}):
 * the u16 type of the message that could not be handled, the u16 reason
 * ({@link XtsFrameDescriptor#LINK_ERROR_UNKNOWN_TYPE}, {@code MALFORMED}, {@code UNKNOWN_STREAM}) and the u32
 * stream id of that message. Wrap it over a body from {@link MessageReader#bodyOffset()} or
 * {@link MessageWriter#claim}; a received body must be at least {@link #LENGTH} bytes ({@link #isComplete()})
 * before its fields are read, since the frame validator checks message framing, not bodies.
 */
public final class LinkErrorFlyweight extends PayloadFlyweight<LinkErrorFlyweight>
{
    /** Bytes of a LINK_ERROR body. */
    public static final int LENGTH = LINK_ERROR_LENGTH;


    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it over a LINK_ERROR body before use.
     */
    public LinkErrorFlyweight()
    {
    }

    @Override
    protected LinkErrorFlyweight self()
    {
        return this;
    }

    /**
     * @return whether the wrapped body holds every field.
     */
    public boolean isComplete()
    {
        return length >= LENGTH;
    }

    /**
     * Write every field.
     *
     * @param offendingType     u16 type of the offending message.
     * @param reason            u16 reason.
     * @param offendingStreamId u32 stream id of the offending message.
     * @return this.
     */
    public LinkErrorFlyweight write(final int offendingType, final int reason, final int offendingStreamId)
    {
        return offendingType(offendingType).reason(reason).offendingStreamId(offendingStreamId);
    }

    /**
     * @return the u16 type of the offending message.
     */
    public int offendingType()
    {
        return segment.get(BIG_ENDIAN_SHORT, offset + LINK_ERROR_OFFENDING_TYPE_OFFSET) & 0xFFFF;
    }

    /**
     * @param offendingType u16 type of the offending message.
     * @return this.
     */
    public LinkErrorFlyweight offendingType(final int offendingType)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + LINK_ERROR_OFFENDING_TYPE_OFFSET, (short)offendingType);
        return this;
    }

    /**
     * @return the u16 reason.
     */
    public int reason()
    {
        return segment.get(BIG_ENDIAN_SHORT, offset + LINK_ERROR_REASON_OFFSET) & 0xFFFF;
    }

    /**
     * @param reason u16 reason.
     * @return this.
     */
    public LinkErrorFlyweight reason(final int reason)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + LINK_ERROR_REASON_OFFSET, (short)reason);
        return this;
    }

    /**
     * @return the u32 stream id of the offending message, raw bits.
     */
    public int offendingStreamId()
    {
        return segment.get(BIG_ENDIAN_INT, offset + LINK_ERROR_OFFENDING_STREAM_ID_OFFSET);
    }

    /**
     * @param offendingStreamId u32 stream id of the offending message.
     * @return this.
     */
    public LinkErrorFlyweight offendingStreamId(final int offendingStreamId)
    {
        segment.set(BIG_ENDIAN_INT, offset + LINK_ERROR_OFFENDING_STREAM_ID_OFFSET, offendingStreamId);
        return this;
    }
}
