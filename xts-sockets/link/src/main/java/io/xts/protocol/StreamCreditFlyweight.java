package io.xts.protocol;

import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_INT;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_LONG;
import static io.xts.protocol.XtsFrameDescriptor.STREAM_CREDIT_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.STREAM_CREDIT_POSITION_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.STREAM_CREDIT_WINDOW_OFFSET;

/**
 * Encoder and decoder, in place, of the body of a STREAM_CREDIT message
 * ({@link XtsFrameDescriptor#TYPE_STREAM_CREDIT}): the u64 position of the stream the receiver has consumed and the
 * u32 window in bytes, so that the sender may send up to {@code position + window}. Wrap it over a body from
 * {@link MessageReader#bodyOffset()} or {@link MessageWriter#claim}; a received body must be at least
 * {@link #LENGTH} bytes ({@link #isComplete()}) before its fields are read, since the frame validator checks message
 * framing, not bodies.
 */
public final class StreamCreditFlyweight extends PayloadFlyweight<StreamCreditFlyweight>
{
    /** Bytes of a STREAM_CREDIT body. */
    public static final int LENGTH = STREAM_CREDIT_LENGTH;


    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it over a STREAM_CREDIT body before use.
     */
    public StreamCreditFlyweight()
    {
    }

    @Override
    protected StreamCreditFlyweight self()
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
     * @param position u64 consumed position.
     * @param window   u32 window in bytes.
     * @return this.
     */
    public StreamCreditFlyweight write(final long position, final long window)
    {
        return position(position).window(window);
    }

    /**
     * @return the u64 consumed position, raw bits.
     */
    public long position()
    {
        return segment.get(BIG_ENDIAN_LONG, offset + STREAM_CREDIT_POSITION_OFFSET);
    }

    /**
     * @param position u64 consumed position.
     * @return this.
     */
    public StreamCreditFlyweight position(final long position)
    {
        segment.set(BIG_ENDIAN_LONG, offset + STREAM_CREDIT_POSITION_OFFSET, position);
        return this;
    }

    /**
     * @return the u32 window in bytes, 0 to 2^32 - 1.
     */
    public long window()
    {
        return segment.get(BIG_ENDIAN_INT, offset + STREAM_CREDIT_WINDOW_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param window u32 window in bytes; the low 32 bits are written.
     * @return this.
     */
    public StreamCreditFlyweight window(final long window)
    {
        segment.set(BIG_ENDIAN_INT, offset + STREAM_CREDIT_WINDOW_OFFSET, (int)window);
        return this;
    }
}
