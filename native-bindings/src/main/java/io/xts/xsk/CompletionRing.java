package io.xts.xsk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The completion ring: UMEM frame addresses the kernel has finished sending and hands back for reuse.
 */
public final class CompletionRing extends ConsumerRing
{
    /** Bytes per entry. */
    public static final int ENTRY_BYTES = Long.BYTES;

    /**
     * A completion ring over given memory.
     *
     * @param producer producer index word.
     * @param consumer consumer index word.
     * @param flags    flags word.
     * @param entries  entry array.
     * @param size     entries, a power of two.
     */
    public CompletionRing(
        final MemorySegment producer,
        final MemorySegment consumer,
        final MemorySegment flags,
        final MemorySegment entries,
        final int size)
    {
        super(producer, consumer, flags, entries, size);
    }

    static CompletionRing of(final MemorySegment ringStruct)
    {
        final MemorySegment[] m = mapped(ringStruct, ENTRY_BYTES);
        return new CompletionRing(m[0], m[1], m[2], m[3], sizeOf(ringStruct));
    }

    /**
     * @param index ring index (from {@link #peekedIndex()} on).
     * @return UMEM offset of the completed frame.
     */
    public long address(final int index)
    {
        return entries.get(ValueLayout.JAVA_LONG, (long)(index & mask) << 3);
    }
}
