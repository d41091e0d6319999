package io.xts.xsk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The TX ring: descriptors of frames to send ({@code struct xdp_desc}).
 */
public final class TxRing extends ProducerRing
{
    /** Bytes per entry, sizeof(struct xdp_desc). */
    public static final int ENTRY_BYTES = 16;

    /**
     * A TX ring over given memory.
     *
     * @param producer producer index word.
     * @param consumer consumer index word.
     * @param flags    flags word.
     * @param entries  entry array.
     * @param size     entries, a power of two.
     */
    public TxRing(
        final MemorySegment producer,
        final MemorySegment consumer,
        final MemorySegment flags,
        final MemorySegment entries,
        final int size)
    {
        super(producer, consumer, flags, entries, size);
    }

    static TxRing of(final MemorySegment ringStruct)
    {
        final MemorySegment[] m = mapped(ringStruct, ENTRY_BYTES);
        return new TxRing(m[0], m[1], m[2], m[3], sizeOf(ringStruct));
    }

    /**
     * Write a descriptor into a reserved slot.
     *
     * @param index   ring index (from {@link #reservedIndex()} on).
     * @param address UMEM offset of the first byte to send.
     * @param length  bytes to send.
     * @param options 0, or {@code XDP_PKT_CONTD} when more fragments of this packet follow.
     */
    public void descriptor(final int index, final long address, final int length, final int options)
    {
        final long offset = (long)(index & mask) << 4;
        entries.set(ValueLayout.JAVA_LONG, offset, address);
        entries.set(ValueLayout.JAVA_INT, offset + 8, length);
        entries.set(ValueLayout.JAVA_INT, offset + 12, options);
    }
}
