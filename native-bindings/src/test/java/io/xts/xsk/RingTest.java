package io.xts.xsk;

import io.xts.bindings.linux.if_xdp_h;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unit tests of the Java AF_XDP rings over plain memory, no socket and no privileges: the test plays the kernel by
 * reading and writing the producer and consumer index words and the entries directly, the way the kernel does
 * through its mapping. Covers reservation against free space, publication on submit and release, when the cached
 * indexes are refreshed, u32 wrap-around for all four ring types, mask indexing, the need_wakeup flag, and a
 * two-thread producer/consumer run that moves millions of descriptors through a small ring.
 */
class RingTest
{
    /** Acquire/release access to the shared u32 words, as the kernel's smp_load_acquire/smp_store_release. */
    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle();

    /** Close to the u32 limit, so that a few batches wrap the indexes through zero. */
    private static final int NEAR_WRAP = 0xFFFFFFF0;

    /** The four ring types. */
    enum Kind
    {
        FILL(FillRing.ENTRY_BYTES, true),
        TX(TxRing.ENTRY_BYTES, true),
        COMPLETION(CompletionRing.ENTRY_BYTES, false),
        RX(RxRing.ENTRY_BYTES, false);

        final int entryBytes;
        final boolean applicationProduces;

        Kind(final int entryBytes, final boolean applicationProduces)
        {
            this.entryBytes = entryBytes;
            this.applicationProduces = applicationProduces;
        }

        XskRing create(final Shared s, final int size)
        {
            return switch (this)
            {
                case FILL -> new FillRing(s.producer, s.consumer, s.flags, s.entries, size);
                case TX -> new TxRing(s.producer, s.consumer, s.flags, s.entries, size);
                case COMPLETION -> new CompletionRing(s.producer, s.consumer, s.flags, s.entries, size);
                case RX -> new RxRing(s.producer, s.consumer, s.flags, s.entries, size);
            };
        }
    }

    /**
     * The memory a ring shares with the kernel: each index word on its own cache line, as in the kernel's mapping.
     *
     * @param producer producer index word.
     * @param consumer consumer index word.
     * @param flags    flags word.
     * @param entries  entry array.
     * @param size     entries.
     * @param entryBytes bytes per entry.
     */
    record Shared(
        MemorySegment producer, MemorySegment consumer, MemorySegment flags, MemorySegment entries, int size,
        int entryBytes)
    {
        static Shared allocate(
            final Arena arena, final int size, final int entryBytes, final int producerIndex, final int consumerIndex)
        {
            final Shared s = new Shared(
                arena.allocate(Integer.BYTES, 64), arena.allocate(Integer.BYTES, 64), arena.allocate(Integer.BYTES, 64),
                arena.allocate((long)size * entryBytes, 64), size, entryBytes);
            s.producerIndex(producerIndex);
            s.consumerIndex(consumerIndex);
            return s;
        }

        static Shared allocate(final Arena arena, final int size, final Kind kind, final int startIndex)
        {
            return allocate(arena, size, kind.entryBytes, startIndex, startIndex);
        }

        int producerIndex()
        {
            return (int)WORD.getAcquire(producer, 0L);
        }

        int consumerIndex()
        {
            return (int)WORD.getAcquire(consumer, 0L);
        }

        void producerIndex(final int value)
        {
            WORD.setRelease(producer, 0L, value);
        }

        void consumerIndex(final int value)
        {
            WORD.setRelease(consumer, 0L, value);
        }

        void flags(final int value)
        {
            WORD.setRelease(flags, 0L, value);
        }

        /** Byte offset of the slot of a ring index, computed independently of the ring code. */
        long slot(final int index)
        {
            return (long)(index & (size - 1)) * entryBytes;
        }

        long address(final int index)
        {
            return entries.get(ValueLayout.JAVA_LONG, slot(index));
        }

        int length(final int index)
        {
            return entries.get(ValueLayout.JAVA_INT, slot(index) + 8);
        }

        int options(final int index)
        {
            return entries.get(ValueLayout.JAVA_INT, slot(index) + 12);
        }

        void address(final int index, final long value)
        {
            entries.set(ValueLayout.JAVA_LONG, slot(index), value);
        }

        void descriptor(final int index, final long address, final int length, final int options)
        {
            entries.set(ValueLayout.JAVA_LONG, slot(index), address);
            entries.set(ValueLayout.JAVA_INT, slot(index) + 8, length);
            entries.set(ValueLayout.JAVA_INT, slot(index) + 12, options);
        }
    }

    @Test
    void shouldReserveUpToTheFreeSpaceAndNoMore()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared s = Shared.allocate(arena, 8, Kind.TX, 0);
            final TxRing tx = new TxRing(s.producer, s.consumer, s.flags, s.entries, 8);

            assertEquals(5, tx.reserve(5), "first reservation");
            assertEquals(0, tx.reservedIndex());
            assertEquals(3, tx.reserve(5), "only three slots are left");
            assertEquals(5, tx.reservedIndex());
            assertEquals(0, tx.reserve(1), "ring full");
            tx.submit(8);

            s.consumerIndex(2);
            assertEquals(2, tx.reserve(4), "the kernel consumed two");
            assertEquals(8, tx.reservedIndex());
            assertEquals(0, tx.reserve(4), "full again");
            tx.submit(2);
            assertEquals(10, s.producerIndex());
        }
    }

    @Test
    void shouldPublishTheProducerIndexOnlyOnSubmit()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared s = Shared.allocate(arena, 16, Kind.TX, 0);
            final TxRing tx = new TxRing(s.producer, s.consumer, s.flags, s.entries, 16);

            assertEquals(3, tx.reserve(3));
            for (int i = 0; i < 3; i++)
            {
                tx.descriptor(tx.reservedIndex() + i, 4096L * i, 60 + i, 0);
            }
            assertEquals(0, s.producerIndex(), "reserved and written but not submitted: invisible to the kernel");
            assertEquals(0, tx.outstanding());

            tx.submit(3);
            assertEquals(3, s.producerIndex());
            assertEquals(3, tx.outstanding());
            for (int i = 0; i < 3; i++)
            {
                assertEquals(4096L * i, s.address(i));
                assertEquals(60 + i, s.length(i));
                assertEquals(0, s.options(i));
            }
            s.consumerIndex(2);
            assertEquals(1, tx.outstanding(), "outstanding follows the kernel's consumer index");
        }
    }

    @Test
    void shouldRefreshFreeSpaceFromTheConsumerIndexOnlyWhenTheCacheIsShort()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared s = Shared.allocate(arena, 8, Kind.FILL, 0);
            final FillRing fill = new FillRing(s.producer, s.consumer, s.flags, s.entries, 8);
            assertEquals(8, fill.reserve(8));
            fill.submit(8);

            s.consumerIndex(4);
            assertEquals(0, fill.free(0), "asking for nothing is satisfied by the cache and does not reload");
            assertEquals(4, fill.free(1), "cache short: reload the consumer index");

            s.consumerIndex(8);
            assertEquals(4, fill.free(2), "cache holds enough: the kernel's newer index is not read");
            assertEquals(4, fill.free(4), "cache holds exactly enough: still no reload");
            assertEquals(8, fill.free(5), "cache short again: reload");
        }
    }

    @Test
    void shouldLoadTheProducerIndexOnlyWhenNoCachedEntryIsLeft()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared s = Shared.allocate(arena, 8, Kind.COMPLETION, 0);
            final CompletionRing comp = new CompletionRing(s.producer, s.consumer, s.flags, s.entries, 8);
            assertEquals(0, comp.available());

            s.producerIndex(2);
            assertEquals(2, comp.available());
            s.producerIndex(5);
            assertEquals(2, comp.available(), "cached entries left: the kernel's newer index is not read");
            assertEquals(2, comp.peek(8));
            assertEquals(3, comp.available(), "cache empty: reload");
        }
    }

    @Test
    void shouldPeekAndReleaseWhatTheKernelProduced()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared s = Shared.allocate(arena, 8, Kind.RX, 0);
            final RxRing rx = new RxRing(s.producer, s.consumer, s.flags, s.entries, 8);
            assertEquals(0, rx.peek(4), "nothing produced yet");

            for (int i = 0; i < 3; i++)
            {
                s.descriptor(i, 256 + 4096L * i, 100 + i, i);
            }
            s.producerIndex(3);

            assertEquals(2, rx.peek(2));
            assertEquals(0, rx.peekedIndex());
            for (int i = 0; i < 2; i++)
            {
                assertEquals(256 + 4096L * i, rx.address(rx.peekedIndex() + i));
                assertEquals(100 + i, rx.length(rx.peekedIndex() + i));
                assertEquals(i, rx.options(rx.peekedIndex() + i));
            }
            assertEquals(0, s.consumerIndex(), "peeked but not released: the kernel may not reuse the slots yet");
            rx.release(2);
            assertEquals(2, s.consumerIndex());

            assertEquals(1, rx.peek(5), "only one left");
            assertEquals(2, rx.peekedIndex());
            assertEquals(256 + 4096L * 2, rx.address(2));
            rx.release(1);
            assertEquals(3, s.consumerIndex());
            assertEquals(0, rx.peek(1));
        }
    }

    @Test
    void shouldStartFromTheIndexesFoundInSharedMemory()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared txMemory = Shared.allocate(arena, 8, TxRing.ENTRY_BYTES, -2, -6);
            final TxRing tx = new TxRing(txMemory.producer, txMemory.consumer, txMemory.flags, txMemory.entries, 8);
            assertEquals(4, tx.outstanding());
            assertEquals(4, tx.reserve(8), "four of eight slots are still the kernel's");
            assertEquals(-2, tx.reservedIndex());

            final Shared rxMemory = Shared.allocate(arena, 8, RxRing.ENTRY_BYTES, 3, -2);
            final RxRing rx = new RxRing(rxMemory.producer, rxMemory.consumer, rxMemory.flags, rxMemory.entries, 8);
            assertEquals(5, rx.peek(8), "five entries across the wrap are waiting");
            assertEquals(-2, rx.peekedIndex());
        }
    }

    @ParameterizedTest(name = "{0} ring")
    @EnumSource(Kind.class)
    void shouldWrapTheU32IndexesThroughZeroAndKeepEveryEntry(final Kind kind)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int size = 8;
            final Shared s = Shared.allocate(arena, size, kind, NEAR_WRAP);
            final XskRing ring = kind.create(s, size);
            final int[] batches = {3, 5, 8, 1, 7, 6, 8, 2, 4, 8};
            int seq = 0;
            for (final int batch : batches)
            {
                seq = kind.applicationProduces ?
                    produceBatch(kind, (ProducerRing)ring, s, batch, seq) :
                    consumeBatch(kind, (ConsumerRing)ring, s, batch, seq);
            }
            final int total = seq;
            assertTrue(Integer.compareUnsigned(NEAR_WRAP, NEAR_WRAP + total) > 0, "the indexes went through zero");
            assertEquals(NEAR_WRAP + total, s.producerIndex(), "producer index after the wrap");
            assertEquals(NEAR_WRAP + total, s.consumerIndex(), "consumer index after the wrap");
        }
    }

    /** The application produces a batch, the test as kernel checks it in shared memory and consumes it. */
    private static int produceBatch(
        final Kind kind, final ProducerRing ring, final Shared s, final int batch, final int seq)
    {
        assertEquals(batch, ring.reserve(batch), "reserve " + batch + " in an empty ring");
        final int first = ring.reservedIndex();
        assertEquals(s.producerIndex(), first, "reservation starts at the published producer index");
        for (int i = 0; i < batch; i++)
        {
            final int n = seq + i;
            if (Kind.FILL == kind)
            {
                ((FillRing)ring).address(first + i, frameAddress(n));
            }
            else
            {
                ((TxRing)ring).descriptor(first + i, frameAddress(n), lengthOf(n), n);
            }
        }
        ring.submit(batch);
        final int producer = s.producerIndex();
        assertEquals(first + batch, producer);
        for (int idx = s.consumerIndex(), n = seq; idx != producer; idx++, n++)
        {
            assertEquals(frameAddress(n), s.address(idx),
                kind + " entry " + n + " at index " + Integer.toUnsignedString(idx));
            if (Kind.TX == kind)
            {
                assertEquals(lengthOf(n), s.length(idx), "TX length of entry " + n);
                assertEquals(n, s.options(idx), "TX options of entry " + n);
            }
        }
        s.consumerIndex(producer);
        return seq + batch;
    }

    /** The test as kernel produces a batch, the application peeks, checks and releases it. */
    private static int consumeBatch(
        final Kind kind, final ConsumerRing ring, final Shared s, final int batch, final int seq)
    {
        final int start = s.producerIndex();
        for (int i = 0; i < batch; i++)
        {
            final int n = seq + i;
            if (Kind.COMPLETION == kind)
            {
                s.address(start + i, frameAddress(n));
            }
            else
            {
                s.descriptor(start + i, frameAddress(n), lengthOf(n), n);
            }
        }
        s.producerIndex(start + batch);
        assertEquals(batch, ring.peek(batch + 3), "peek what the kernel produced and no more");
        final int first = ring.peekedIndex();
        assertEquals(start, first);
        for (int i = 0; i < batch; i++)
        {
            final int n = seq + i;
            if (Kind.COMPLETION == kind)
            {
                assertEquals(frameAddress(n), ((CompletionRing)ring).address(first + i), "completion entry " + n);
            }
            else
            {
                final RxRing rx = (RxRing)ring;
                assertEquals(frameAddress(n), rx.address(first + i), "RX address of entry " + n);
                assertEquals(lengthOf(n), rx.length(first + i), "RX length of entry " + n);
                assertEquals(n, rx.options(first + i), "RX options of entry " + n);
            }
        }
        ring.release(batch);
        assertEquals(start + batch, s.consumerIndex());
        return seq + batch;
    }

    @Test
    void shouldIndexSlotsByMaskingTheRingIndex()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared txMemory = Shared.allocate(arena, 4, Kind.TX, 0);
            final TxRing tx = new TxRing(txMemory.producer, txMemory.consumer, txMemory.flags, txMemory.entries, 4);
            tx.descriptor(5, 0x5000L, 55, 5);
            tx.descriptor(-1, 0xF000L, 99, 9);
            tx.descriptor(Integer.MIN_VALUE, 0x1000L, 11, 1);
            assertEquals(0x5000L, txMemory.entries.get(ValueLayout.JAVA_LONG, 16), "index 5 is slot 1");
            assertEquals(55, txMemory.entries.get(ValueLayout.JAVA_INT, 24));
            assertEquals(5, txMemory.entries.get(ValueLayout.JAVA_INT, 28));
            assertEquals(0xF000L, txMemory.entries.get(ValueLayout.JAVA_LONG, 48), "index -1 (0xFFFFFFFF) is slot 3");
            assertEquals(0x1000L, txMemory.entries.get(ValueLayout.JAVA_LONG, 0), "index 0x80000000 is slot 0");

            final Shared fillMemory = Shared.allocate(arena, 4, Kind.FILL, 0);
            final FillRing fill = new FillRing(
                fillMemory.producer, fillMemory.consumer, fillMemory.flags, fillMemory.entries, 4);
            fill.address(7, 0x7000L);
            assertEquals(0x7000L, fillMemory.entries.get(ValueLayout.JAVA_LONG, 24), "index 7 is slot 3");

            final Shared rxMemory = Shared.allocate(arena, 4, Kind.RX, 0);
            final RxRing rx = new RxRing(rxMemory.producer, rxMemory.consumer, rxMemory.flags, rxMemory.entries, 4);
            rxMemory.entries.set(ValueLayout.JAVA_LONG, 32, 0x2100L);
            rxMemory.entries.set(ValueLayout.JAVA_INT, 40, 1500);
            rxMemory.entries.set(ValueLayout.JAVA_INT, 44, if_xdp_h.XDP_PKT_CONTD);
            for (final int index : new int[] {2, 6, -2, 0x7FFFFFFE})
            {
                assertEquals(0x2100L, rx.address(index), "RX index " + index + " is slot 2");
                assertEquals(1500, rx.length(index));
                assertEquals(if_xdp_h.XDP_PKT_CONTD, rx.options(index));
            }

            final Shared compMemory = Shared.allocate(arena, 4, Kind.COMPLETION, 0);
            final CompletionRing comp = new CompletionRing(
                compMemory.producer, compMemory.consumer, compMemory.flags, compMemory.entries, 4);
            compMemory.entries.set(ValueLayout.JAVA_LONG, 8, 0x3000L);
            assertEquals(0x3000L, comp.address(1));
            assertEquals(0x3000L, comp.address(-3), "index -3 is slot 1");
        }
    }

    @ParameterizedTest(name = "{0} ring")
    @EnumSource(Kind.class)
    void shouldReadNeedsWakeupFromTheFlagsWord(final Kind kind)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared s = Shared.allocate(arena, 4, kind, 0);
            final XskRing ring = kind.create(s, 4);
            assertFalse(ring.needsWakeup());
            s.flags(if_xdp_h.XDP_RING_NEED_WAKEUP);
            assertTrue(ring.needsWakeup(), "the kernel set XDP_RING_NEED_WAKEUP");
            s.flags(0x2);
            assertFalse(ring.needsWakeup(), "another bit is not need_wakeup");
            s.flags(0x3);
            assertTrue(ring.needsWakeup());
            s.flags(0);
            assertFalse(ring.needsWakeup(), "the kernel cleared it");
        }
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(ints = {0, 3, 6, 1000, -8})
    void shouldRejectASizeThatIsNotAPowerOfTwo(final int size)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared s = Shared.allocate(arena, 16, Kind.TX, 0);
            final IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> new TxRing(s.producer, s.consumer, s.flags, s.entries, size));
            assertTrue(ex.getMessage().contains("power of two"), ex.getMessage());
            assertTrue(ex.getMessage().contains(Integer.toString(size)), ex.getMessage());
        }
    }

    @Test
    void shouldReportTheRingSize()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Shared s = Shared.allocate(arena, 64, Kind.RX, 0);
            assertEquals(64, new RxRing(s.producer, s.consumer, s.flags, s.entries, 64).size());
        }
    }

    /** Entries moved by each two-thread run. */
    private static final long TRANSFER_ENTRIES = 5_000_000L;
    /** Small ring, so that both sides wait for each other often. */
    private static final int TRANSFER_RING = 256;
    /** Start a little before the u32 wrap so the run crosses it early. */
    private static final int TRANSFER_START = 0xFFFFF000;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldMoveMillionsOfTxDescriptorsInOrderToAKernelThreadWithoutLossOrDuplication() throws Exception
    {
        try (Arena arena = Arena.ofShared())
        {
            final Shared s = Shared.allocate(arena, TRANSFER_RING, Kind.TX, TRANSFER_START);
            final TxRing tx = new TxRing(s.producer, s.consumer, s.flags, s.entries, TRANSFER_RING);
            final AtomicReference<Throwable> failure = new AtomicReference<>();

            final Thread producer = Thread.ofPlatform().name("tx-producer").start(() -> guarded(failure, () ->
            {
                long seq = 0;
                while (seq < TRANSFER_ENTRIES && null == failure.get())
                {
                    final int want = (int)Math.min(1 + seq % 61, TRANSFER_ENTRIES - seq);
                    final int got = tx.reserve(want);
                    if (0 == got)
                    {
                        Thread.onSpinWait();
                        continue;
                    }
                    final int first = tx.reservedIndex();
                    for (int i = 0; i < got; i++)
                    {
                        final long n = seq + i;
                        tx.descriptor(first + i, frameAddress(n), lengthOf(n), (int)n);
                    }
                    tx.submit(got);
                    seq += got;
                }
            }));

            final long[] received = new long[1];
            final Thread kernel = Thread.ofPlatform().name("kernel-consumer").start(() -> guarded(failure, () ->
            {
                int consumerIndex = TRANSFER_START;
                long expected = 0;
                while (expected < TRANSFER_ENTRIES && null == failure.get())
                {
                    final int available = s.producerIndex() - consumerIndex;
                    if (Integer.compareUnsigned(available, TRANSFER_RING) > 0)
                    {
                        throw new AssertionError("producer ran " + Integer.toUnsignedString(available) +
                            " entries ahead of the consumer in a ring of " + TRANSFER_RING);
                    }
                    if (0 == available)
                    {
                        Thread.onSpinWait();
                        continue;
                    }
                    final int take = Math.min(available, 1 + (int)(expected % 37));
                    for (int i = 0; i < take; i++)
                    {
                        checkDescriptor(expected, s.address(consumerIndex), s.length(consumerIndex),
                            s.options(consumerIndex));
                        consumerIndex++;
                        expected++;
                    }
                    s.consumerIndex(consumerIndex);
                }
                received[0] = expected;
            }));

            awaitBoth(producer, kernel, failure);
            assertNull(failure.get(), () -> "transfer failed: " + failure.get());
            assertEquals(TRANSFER_ENTRIES, received[0], "descriptors received");
            assertEquals(TRANSFER_START + (int)TRANSFER_ENTRIES, s.producerIndex(), "final producer index");
            assertEquals(TRANSFER_START + (int)TRANSFER_ENTRIES, s.consumerIndex(), "final consumer index");
            assertEquals(0, tx.outstanding());
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldReceiveMillionsOfRxDescriptorsInOrderFromAKernelThreadWithoutLossOrDuplication() throws Exception
    {
        try (Arena arena = Arena.ofShared())
        {
            final Shared s = Shared.allocate(arena, TRANSFER_RING, Kind.RX, TRANSFER_START);
            final RxRing rx = new RxRing(s.producer, s.consumer, s.flags, s.entries, TRANSFER_RING);
            final AtomicReference<Throwable> failure = new AtomicReference<>();

            final Thread kernel = Thread.ofPlatform().name("kernel-producer").start(() -> guarded(failure, () ->
            {
                int producerIndex = TRANSFER_START;
                long seq = 0;
                while (seq < TRANSFER_ENTRIES && null == failure.get())
                {
                    final int free = TRANSFER_RING - (producerIndex - s.consumerIndex());
                    if (free < 0 || free > TRANSFER_RING)
                    {
                        throw new AssertionError("consumer index ran past the producer: free " + free);
                    }
                    if (0 == free)
                    {
                        Thread.onSpinWait();
                        continue;
                    }
                    final int put = (int)Math.min(Math.min(free, 1 + seq % 53), TRANSFER_ENTRIES - seq);
                    for (int i = 0; i < put; i++)
                    {
                        final long n = seq + i;
                        s.descriptor(producerIndex + i, frameAddress(n), lengthOf(n), (int)n);
                    }
                    producerIndex += put;
                    s.producerIndex(producerIndex);
                    seq += put;
                }
            }));

            final long[] received = new long[1];
            final Thread consumer = Thread.ofPlatform().name("rx-consumer").start(() -> guarded(failure, () ->
            {
                long expected = 0;
                while (expected < TRANSFER_ENTRIES && null == failure.get())
                {
                    final int got = rx.peek(1 + (int)(expected % 41));
                    if (0 == got)
                    {
                        Thread.onSpinWait();
                        continue;
                    }
                    final int first = rx.peekedIndex();
                    for (int i = 0; i < got; i++)
                    {
                        checkDescriptor(expected, rx.address(first + i), rx.length(first + i), rx.options(first + i));
                        expected++;
                    }
                    rx.release(got);
                }
                received[0] = expected;
            }));

            awaitBoth(kernel, consumer, failure);
            assertNull(failure.get(), () -> "transfer failed: " + failure.get());
            assertEquals(TRANSFER_ENTRIES, received[0], "descriptors received");
            assertEquals(TRANSFER_START + (int)TRANSFER_ENTRIES, s.producerIndex(), "final producer index");
            assertEquals(TRANSFER_START + (int)TRANSFER_ENTRIES, s.consumerIndex(), "final consumer index");
            assertEquals(0, rx.available());
        }
    }

    /** Join both threads; if they do not finish in time, record that, which also makes both loops stop. */
    private static void awaitBoth(final Thread a, final Thread b, final AtomicReference<Throwable> failure)
        throws InterruptedException
    {
        a.join(TimeUnit.SECONDS.toMillis(100));
        b.join(TimeUnit.SECONDS.toMillis(10));
        if (a.isAlive() || b.isAlive())
        {
            failure.compareAndSet(null, new AssertionError("transfer did not finish within 110 s"));
            a.join();
            b.join();
        }
    }

    /** Check one descriptor of a transfer; the options word carries the sequence number. */
    private static void checkDescriptor(final long expected, final long address, final int length, final int options)
    {
        final long seq = Integer.toUnsignedLong(options);
        if (seq != expected)
        {
            throw new AssertionError("descriptor " + seq + " arrived where " + expected + " was due: " +
                (seq < expected ? "duplicated or stale" : "descriptors " + expected + ".." + (seq - 1) + " lost"));
        }
        if (address != frameAddress(seq) || length != lengthOf(seq))
        {
            throw new AssertionError("descriptor " + seq + " is torn: address " + address + " length " + length);
        }
    }

    private static long frameAddress(final long n)
    {
        return n * 4096L + 256;
    }

    private static int lengthOf(final long n)
    {
        return 60 + (int)(n % 1455);
    }

    private static void guarded(final AtomicReference<Throwable> failure, final Runnable body)
    {
        try
        {
            body.run();
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }
}
