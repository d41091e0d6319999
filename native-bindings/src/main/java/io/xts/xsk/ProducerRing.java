package io.xts.xsk;

import java.lang.foreign.MemorySegment;

/**
 * A ring this process produces into and the kernel consumes: the fill ring (frames the kernel may receive into)
 * and the TX ring (frames to send). Use is batched as in libxdp: {@link #reserve(int)} a run of slots, write the
 * entries at {@link #reservedIndex()} onwards, then {@link #submit(int)} them with one release store.
 */
public abstract class ProducerRing extends XskRing
{
    /** Our published producer index; only this thread writes it, so it needs no load. */
    private int producerIndex;
    /** Next index to hand out; runs ahead of {@link #producerIndex} by what is reserved but not submitted. */
    private int cachedProd;
    /** Kernel's consumer index plus size, so that free slots are {@code cachedCons - cachedProd}. */
    private int cachedCons;
    private int reservedIndex;

    ProducerRing(
        final MemorySegment producer,
        final MemorySegment consumer,
        final MemorySegment flags,
        final MemorySegment entries,
        final int size)
    {
        super(producer, consumer, flags, entries, size);
        producerIndex = (int)INDEX.getAcquire(producer, 0L);
        cachedProd = producerIndex;
        cachedCons = (int)INDEX.getAcquire(consumer, 0L) + size;
    }

    /**
     * Free slots, refreshing the cached consumer index from shared memory only when the cache shows fewer than
     * {@code wanted}.
     *
     * @param wanted slots the caller would like.
     * @return slots free now (may exceed {@code wanted}).
     */
    public final int free(final int wanted)
    {
        final int free = cachedCons - cachedProd;
        if (Integer.compareUnsigned(free, wanted) >= 0)
        {
            return free;
        }
        cachedCons = (int)INDEX.getAcquire(consumer, 0L) + size;
        return cachedCons - cachedProd;
    }

    /**
     * Reserve up to {@code n} consecutive slots.
     *
     * @param n slots wanted.
     * @return slots reserved, 0 to n; the first is at {@link #reservedIndex()}.
     */
    public final int reserve(final int n)
    {
        final int granted = Math.min(n, free(n));
        reservedIndex = cachedProd;
        cachedProd += granted;
        return granted;
    }

    /**
     * @return ring index of the first slot of the last {@link #reserve(int)}.
     */
    public final int reservedIndex()
    {
        return reservedIndex;
    }

    /**
     * Publish {@code n} reserved entries to the kernel: one release store after all the entry writes.
     * Submit exactly what was reserved; there is no cancel.
     *
     * @param n entries to publish.
     */
    public final void submit(final int n)
    {
        producerIndex += n;
        INDEX.setRelease(producer, 0L, producerIndex);
    }

    /**
     * @return entries submitted and not yet consumed by the kernel, as last seen (refreshes the cache).
     */
    public final int outstanding()
    {
        return producerIndex - (int)INDEX.getAcquire(consumer, 0L);
    }
}
