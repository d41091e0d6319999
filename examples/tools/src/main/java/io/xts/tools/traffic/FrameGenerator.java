package io.xts.tools.traffic;

import io.xts.xsk.CompletionRing;
import io.xts.xsk.TxRing;
import io.xts.xsk.Umem;
import io.xts.xsk.XskSocket;
import io.xts.xsk.XskStatistics;

import java.lang.foreign.MemorySegment;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The driver's reference transmit loop: reclaims completed frames, reserves a batch of TX slots, writes the
 * sequence numbers, submits, and kicks the kernel when need_wakeup asks (or when it is stuck). It is what the
 * benchmark compares against the C program using libxdp's own inline helpers, so both run the same loop.
 * <p>
 * Every UMEM frame is written once up front; per frame only the sequence number is written (or the whole pattern
 * when payload checking is on). The loop allocates nothing.
 */
public final class FrameGenerator
{
    private final XskSocket socket;
    private final Umem umem;
    private final MemorySegment area;
    private final TxRing tx;
    private final CompletionRing completion;
    private final int size;
    private final int batch;
    private final boolean writePattern;
    private long seq;
    private long inFlight;

    /**
     * @param socket       a socket with a TX ring, on a UMEM whose free frames this generator owns.
     * @param size         frame length in bytes (header included), at most one UMEM frame's packet room.
     * @param batch        descriptors per reserve/submit.
     * @param dstMac       destination MAC.
     * @param srcMac       source MAC.
     * @param writePattern write the full payload pattern per frame (for receivers that check it).
     */
    public FrameGenerator(
        final XskSocket socket, final int size, final int batch, final byte[] dstMac, final byte[] srcMac,
        final boolean writePattern)
    {
        if (null == socket.txRing())
        {
            throw new IllegalArgumentException("socket " + socket + " has no TX ring");
        }
        final int max = socket.umem().config().maxPacket();
        if (size < TestFrame.MIN_SIZE || size > max)
        {
            throw new IllegalArgumentException("frame size must be " + TestFrame.MIN_SIZE + ".." + max +
                " bytes for this UMEM, got " + size);
        }
        if (batch <= 0 || batch > socket.txRing().size())
        {
            throw new IllegalArgumentException("batch must be 1.." + socket.txRing().size() + ", got " + batch);
        }
        this.socket = socket;
        this.umem = socket.umem();
        this.area = umem.area();
        this.tx = socket.txRing();
        this.completion = socket.completionRing();
        this.size = size;
        this.batch = batch;
        this.writePattern = writePattern;
        final int frames = umem.freeFrameCount();
        final long[] all = new long[frames];
        for (int i = 0; i < frames; i++)
        {
            all[i] = umem.allocateFrame();
            TestFrame.writeHeader(area, all[i], dstMac, srcMac);
            TestFrame.writePattern(area, all[i], size, 0);
        }
        for (int i = frames - 1; i >= 0; i--)
        {
            umem.freeFrame(all[i]);
        }
    }

    /**
     * Send until {@code frames} are sent or {@code durationNs} has passed, never letting more than {@code window}
     * frames be unconsumed by the receiver (as {@code consumed} reports), a stand-in for the link's credits.
     *
     * @param frames     frames to send, or Long.MAX_VALUE.
     * @param durationNs time limit.
     * @param window     frames the receiver can have outstanding, or Long.MAX_VALUE for no limit.
     * @param consumed   frames the receiver has consumed so far, or null with no window.
     * @param running    checked every loop; false stops early.
     * @return what was done.
     */
    public TrafficResult run(
        final long frames, final long durationNs, final long window, final LongSupplier consumed,
        final BooleanSupplier running)
    {
        long alloc = AllocationCounter.currentThread();
        boolean warmingUp = true;
        final long kicksBefore = socket.txKicks();
        final long firstSeq = seq;
        final long start = System.nanoTime();
        final long deadline = start + durationNs;
        long now = start;
        while (seq - firstSeq < frames && now - deadline < 0 && running.getAsBoolean())
        {
            reclaim();
            long want = Math.min(batch, Math.min(umem.freeFrameCount(), frames - (seq - firstSeq)));
            if (null != consumed)
            {
                want = Math.min(want, window - ((seq - firstSeq) - consumed.getAsLong()));
            }
            if (want > 0)
            {
                final int got = tx.reserve((int)want);
                if (got > 0)
                {
                    final int idx = tx.reservedIndex();
                    for (int i = 0; i < got; i++)
                    {
                        final long addr = umem.allocateFrame();
                        TestFrame.writeSeq(area, addr, seq);
                        if (writePattern)
                        {
                            TestFrame.writePattern(area, addr, size, seq);
                        }
                        seq++;
                        tx.descriptor(idx + i, addr, size, 0);
                    }
                    tx.submit(got);
                    inFlight += got;
                    if (warmingUp && seq - firstSeq >= AllocationCounter.WARMUP_FRAMES)
                    {
                        // Steady state from here: one-time class loading and call-site linkage are behind us.
                        warmingUp = false;
                        alloc = AllocationCounter.currentThread();
                    }
                    if (tx.needsWakeup())
                    {
                        socket.kickTx();
                    }
                }
                else
                {
                    socket.kickTx();
                }
            }
            else if (inFlight > 0 && tx.needsWakeup())
            {
                socket.kickTx();
            }
            now = System.nanoTime();
        }
        final long end = now;
        drain(2_000_000_000L);
        final long allocated = warmingUp ? -1L : AllocationCounter.since(alloc);
        return new TrafficResult("tx", size, seq - firstSeq, end - start, 0, 0, socket.txKicks() - kicksBefore,
            allocated, socket.statistics(new XskStatistics()));
    }

    private void reclaim()
    {
        final int n = completion.peek(batch * 2);
        if (n > 0)
        {
            final int idx = completion.peekedIndex();
            for (int i = 0; i < n; i++)
            {
                umem.freeFrame(completion.address(idx + i));
            }
            completion.release(n);
            inFlight -= n;
        }
    }

    /**
     * Kick until every sent frame has completed, at most {@code timeoutNs}.
     *
     * @param timeoutNs bound on the wait.
     */
    public void drain(final long timeoutNs)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (inFlight > 0 && System.nanoTime() - deadline < 0)
        {
            if (tx.needsWakeup() || 0 == completion.available())
            {
                socket.kickTx();
            }
            reclaim();
        }
    }

    /**
     * @return next sequence number.
     */
    public long nextSeq()
    {
        return seq;
    }
}
