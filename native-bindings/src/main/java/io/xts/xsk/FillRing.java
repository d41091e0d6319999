package io.xts.xsk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The fill ring: UMEM frame addresses this process hands to the kernel to receive into. Entries are u64 frame
 * addresses (offsets into the UMEM).
 */
public final class FillRing extends ProducerRing
{
    /** Bytes per entry. */
    public static final int ENTRY_BYTES = Long.BYTES;

    /**
     * A fill ring over given memory (the kernel's, or any memory in tests).
     *
     * @param producer producer index word.
     * @param consumer consumer index word.
     * @param flags    flags word.
     * @param entries  entry array.
     * @param size     entries, a power of two.
     */
    public FillRing(
        final MemorySegment producer,
        final MemorySegment consumer,
        final MemorySegment flags,
        final MemorySegment entries,
        final int size)
    {
        super(producer, consumer, flags, entries, size);
    }

    static FillRing of(final MemorySegment ringStruct)
    {
        final MemorySegment[] m = mapped(ringStruct, ENTRY_BYTES);
        return new FillRing(m[0], m[1], m[2], m[3], sizeOf(ringStruct));
    }

    /**
     * Write a frame address into a reserved slot.
     *
     * @param index   ring index (from {@link #reservedIndex()} on).
     * @param address UMEM offset of the frame.
     */
    public void address(final int index, final long address)
    {
        entries.set(ValueLayout.JAVA_LONG, (long)(index & mask) << 3, address);
    }
}
