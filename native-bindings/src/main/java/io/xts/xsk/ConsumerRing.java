package io.xts.xsk;

import java.lang.foreign.MemorySegment;

/**
 * A ring the kernel produces into and this process consumes: the RX ring (received frames) and the completion
 * ring (sent frames handed back). Batched as in libxdp: {@link #peek(int)} what is there, read the entries from
 * {@link #peekedIndex()} onwards, then {@link #release(int)} them with one release store, after the reads.
 */
public abstract class ConsumerRing extends XskRing
{
    /** Our published consumer index; only this thread writes it. */
    private int consumerIndex;
    /** Kernel's producer index as last loaded. */
    private int cachedProd;
    /** Next index to peek; runs ahead of {@link #consumerIndex} by what is peeked but not released. */
    private int cachedCons;
    private int peekedIndex;

    ConsumerRing(
        final MemorySegment producer,
        final MemorySegment consumer,
        final MemorySegment flags,
        final MemorySegment entries,
        final int size)
    {
        super(producer, consumer, flags, entries, size);
        consumerIndex = (int)INDEX.getAcquire(consumer, 0L);
        cachedCons = consumerIndex;
        cachedProd = (int)INDEX.getAcquire(producer, 0L);
    }

    /**
     * Entries available, loading the kernel's producer index only when the cached view is empty.
     *
     * @return entries ready to peek.
     */
    public final int available()
    {
        int entries = cachedProd - cachedCons;
        if (0 == entries)
        {
            cachedProd = (int)INDEX.getAcquire(producer, 0L);
            entries = cachedProd - cachedCons;
        }
        return entries;
    }

    /**
     * Take up to {@code n} entries for reading.
     *
     * @param n entries wanted.
     * @return entries taken, 0 to n; the first is at {@link #peekedIndex()}.
     */
    public final int peek(final int n)
    {
        final int taken = Math.min(n, available());
        peekedIndex = cachedCons;
        cachedCons += taken;
        return taken;
    }

    /**
     * @return ring index of the first entry of the last {@link #peek(int)}.
     */
    public final int peekedIndex()
    {
        return peekedIndex;
    }

    /**
     * Give {@code n} read entries back to the kernel: one release store, after every read of them.
     *
     * @param n entries to give back.
     */
    public final void release(final int n)
    {
        consumerIndex += n;
        INDEX.setRelease(consumer, 0L, consumerIndex);
    }
}
