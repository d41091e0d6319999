package io.xts.xsk;

import io.xts.bindings.libxdp.xsk_ring_prod;
import io.xts.bindings.linux.if_xdp_h;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One of the four single-producer single-consumer rings an AF_XDP socket shares with the kernel: a producer index,
 * a consumer index, a flags word and an array of entries, all in memory the kernel mapped. libxdp's ring helpers
 * are static inline in {@code xsk.h}, so they are implemented here with the same memory ordering: the index the
 * other side writes is loaded with acquire semantics, our own index is stored with release semantics after the
 * entries it publishes, and both sides' indexes are cached so that the shared cache lines are touched once per
 * batch, not once per entry. Indexes are {@code int}s that wrap naturally, as the kernel's {@code u32}s do.
 * <p>
 * A ring belongs to exactly one thread; nothing here is safe to share.
 */
public abstract class XskRing
{
    /** Acquire/release access to a u32 index in kernel-shared memory. */
    static final VarHandle INDEX = ValueLayout.JAVA_INT.varHandle();

    final MemorySegment producer;
    final MemorySegment consumer;
    final MemorySegment flags;
    final MemorySegment entries;
    final int size;
    final int mask;

    /**
     * @param producer  the 4-byte producer index.
     * @param consumer  the 4-byte consumer index.
     * @param flags     the 4-byte flags word (need_wakeup).
     * @param entries   the entry array, {@code size * entryBytes} long.
     * @param size      number of entries, a power of two.
     */
    XskRing(
        final MemorySegment producer,
        final MemorySegment consumer,
        final MemorySegment flags,
        final MemorySegment entries,
        final int size)
    {
        if (size <= 0 || 0 != (size & (size - 1)))
        {
            throw new IllegalArgumentException("ring size must be a power of two, got " + size);
        }
        this.producer = producer;
        this.consumer = consumer;
        this.flags = flags;
        this.entries = entries;
        this.size = size;
        this.mask = size - 1;
    }

    /**
     * The shared memory of a ring libxdp set up, read from its {@code struct xsk_ring_prod/cons}
     * (both have the same layout).
     *
     * @param ringStruct the libxdp ring struct.
     * @param entryBytes bytes per entry: 8 for fill/completion, 16 for RX/TX.
     * @return the pieces, as {@code {producer, consumer, flags, entries}}, plus the size in {@link #sizeOf}.
     */
    static MemorySegment[] mapped(final MemorySegment ringStruct, final int entryBytes)
    {
        final int size = xsk_ring_prod.size(ringStruct);
        return new MemorySegment[] {
            xsk_ring_prod.producer(ringStruct).reinterpret(Integer.BYTES),
            xsk_ring_prod.consumer(ringStruct).reinterpret(Integer.BYTES),
            xsk_ring_prod.flags(ringStruct).reinterpret(Integer.BYTES),
            xsk_ring_prod.ring(ringStruct).reinterpret((long)size * entryBytes)
        };
    }

    /**
     * @param ringStruct the libxdp ring struct.
     * @return its number of entries.
     */
    static int sizeOf(final MemorySegment ringStruct)
    {
        return xsk_ring_prod.size(ringStruct);
    }

    /**
     * @return number of entries in the ring.
     */
    public final int size()
    {
        return size;
    }

    /**
     * Whether the kernel asked for a wakeup syscall on this ring ({@code XDP_RING_NEED_WAKEUP}). Read with opaque
     * semantics so a polling loop sees the kernel's change and the JIT cannot hoist the read.
     *
     * @return true when the kernel needs a kick to make progress.
     */
    public final boolean needsWakeup()
    {
        return 0 != ((int)INDEX.getOpaque(flags, 0L) & if_xdp_h.XDP_RING_NEED_WAKEUP);
    }
}
