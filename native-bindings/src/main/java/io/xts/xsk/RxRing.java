package io.xts.xsk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The RX ring: descriptors of received frames ({@code struct xdp_desc}: u64 address, u32 length, u32 options).
 */
public final class RxRing extends ConsumerRing
{
    /** Bytes per entry, sizeof(struct xdp_desc). */
    public static final int ENTRY_BYTES = 16;

    /**
     * An RX ring over given memory.
     *
     * @param producer producer index word.
     * @param consumer consumer index word.
     * @param flags    flags word.
     * @param entries  entry array.
     * @param size     entries, a power of two.
     */
    public RxRing(
        final MemorySegment producer,
        final MemorySegment consumer,
        final MemorySegment flags,
        final MemorySegment entries,
        final int size)
    {
        super(producer, consumer, flags, entries, size);
    }

    static RxRing of(final MemorySegment ringStruct)
    {
        final MemorySegment[] m = mapped(ringStruct, ENTRY_BYTES);
        return new RxRing(m[0], m[1], m[2], m[3], sizeOf(ringStruct));
    }

    /**
     * @param index ring index (from {@link #peekedIndex()} on).
     * @return UMEM offset of the frame's first byte of packet data.
     */
    public long address(final int index)
    {
        return entries.get(ValueLayout.JAVA_LONG, (long)(index & mask) << 4);
    }

    /**
     * @param index ring index.
     * @return packet bytes in this descriptor.
     */
    public int length(final int index)
    {
        return entries.get(ValueLayout.JAVA_INT, ((long)(index & mask) << 4) + 8);
    }

    /**
     * @param index ring index.
     * @return descriptor options ({@code XDP_PKT_CONTD} when more fragments follow).
     */
    public int options(final int index)
    {
        return entries.get(ValueLayout.JAVA_INT, ((long)(index & mask) << 4) + 12);
    }
}
