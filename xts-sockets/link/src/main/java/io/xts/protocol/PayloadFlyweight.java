package io.xts.protocol;

import java.lang.foreign.MemorySegment;

/**
 * What every flyweight over a frame payload or message body shares: the memory, the offset where it starts and the
 * bytes available, set by {@link #wrap}. Subclasses add the accessors of their layout; {@code T} is the subclass, so
 * {@code wrap} chains into them.
 *
 * @param <T> the concrete flyweight.
 */
public abstract class PayloadFlyweight<T extends PayloadFlyweight<T>>
{
    /** Memory holding the frame. */
    protected MemorySegment segment;
    /** Offset of the payload or body in {@link #segment}. */
    protected long offset;
    /** Bytes available from {@link #offset}. */
    protected int length;

    /**
     * Point this flyweight at a payload or body.
     *
     * @param segment memory holding the frame.
     * @param offset  offset of the payload or body in {@code segment}.
     * @param length  bytes available.
     * @return this.
     */
    public final T wrap(final MemorySegment segment, final long offset, final int length)
    {
        this.segment = segment;
        this.offset = offset;
        this.length = length;
        return self();
    }

    /**
     * @return bytes available as wrapped.
     */
    public final int length()
    {
        return length;
    }

    /**
     * @return this, typed as the subclass.
     */
    protected abstract T self();
}
