package io.xts.tools.traffic;

import io.xts.xsk.FillRing;
import io.xts.xsk.RxRing;
import io.xts.xsk.Umem;
import io.xts.xsk.XskSocket;
import io.xts.xsk.XskStatistics;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The driver's reference receive loop: keeps the fill ring stocked, takes a batch of RX descriptors, checks
 * sequence numbers (and optionally every payload byte), releases them and puts the frames back on the fill ring.
 * It publishes how many frames it has consumed, which a sender in the same process can use as a credit window.
 * The loop allocates nothing.
 */
public final class FrameSink
{
    private final XskSocket socket;
    private final Umem umem;
    private final MemorySegment area;
    private final RxRing rx;
    private final FillRing fill;
    private final int batch;
    private final boolean checkPayload;
    private final AtomicLong consumed = new AtomicLong();
    private long expectedSeq;
    private long totalConsumed;
    private int lastLength;

    /**
     * @param socket       a socket with an RX ring; this sink owns the free frames of its UMEM.
     * @param batch        descriptors per peek.
     * @param checkPayload check every payload byte against the pattern.
     */
    public FrameSink(final XskSocket socket, final int batch, final boolean checkPayload)
    {
        if (null == socket.rxRing())
        {
            throw new IllegalArgumentException("socket " + socket + " has no RX ring");
        }
        this.socket = socket;
        this.umem = socket.umem();
        this.area = umem.area();
        this.rx = socket.rxRing();
        this.fill = socket.fillRing();
        this.batch = batch;
        this.checkPayload = checkPayload;
        refill(fill.size());
    }

    /**
     * Put up to {@code wanted} free frames on the fill ring. The kernel's consumer index is loaded only when the
     * cached view shows fewer free slots than wanted: asking for every free frame each time would load it every
     * batch and pull that cache line away from the sending CPU that keeps writing it.
     */
    private void refill(final int wanted)
    {
        final int want = Math.min(wanted, umem.freeFrameCount());
        if (want <= 0)
        {
            return;
        }
        final int got = fill.reserve(want);
        final int idx = fill.reservedIndex();
        for (int i = 0; i < got; i++)
        {
            fill.address(idx + i, umem.allocateFrame());
        }
        fill.submit(got);
    }

    /**
     * @return frames consumed so far; safe to read from another thread.
     */
    public AtomicLong consumed()
    {
        return consumed;
    }

    /**
     * Receive until {@code frames} have arrived, or nothing arrived for {@code idleTimeoutNs} after the first frame,
     * or {@code maxWaitNs} passed, or {@code running} turns false.
     *
     * @param frames        frames to wait for, or Long.MAX_VALUE.
     * @param idleTimeoutNs quiet time that ends the run once frames have flowed.
     * @param maxWaitNs     overall bound.
     * @param running       checked every empty loop.
     * @return what arrived.
     */
    public TrafficResult run(
        final long frames, final long idleTimeoutNs, final long maxWaitNs, final BooleanSupplier running)
    {
        long alloc = AllocationCounter.currentThread();
        boolean warmingUp = true;
        final long wakeupsBefore = socket.rxWakeups();
        final long start = System.nanoTime();
        long first = 0;
        long last = 0;
        long received = 0;
        long seqErrors = 0;
        long payloadErrors = 0;
        int idleLoops = 0;
        while (received < frames)
        {
            final int n = rx.peek(batch);
            if (0 == n)
            {
                // A PAUSE between empty polls: hammering the producer index's cache line would slow the kernel
                // that is writing it on the sending CPU.
                Thread.onSpinWait();
                if (fill.needsWakeup())
                {
                    socket.wakeupRx();
                }
                if (++idleLoops >= 64)
                {
                    idleLoops = 0;
                    final long now = System.nanoTime();
                    if ((received > 0 && now - last > idleTimeoutNs) || now - start > maxWaitNs ||
                        !running.getAsBoolean())
                    {
                        break;
                    }
                }
                continue;
            }
            idleLoops = 0;
            if (0 == received)
            {
                first = System.nanoTime();
            }
            final int idx = rx.peekedIndex();
            for (int i = 0; i < n; i++)
            {
                final long addr = rx.address(idx + i);
                final int len = rx.length(idx + i);
                final long seq = TestFrame.readSeq(area, addr);
                if (seq != expectedSeq)
                {
                    seqErrors++;
                }
                expectedSeq = seq + 1;
                if (checkPayload && (TestFrame.ETHERTYPE != TestFrame.etherType(area, addr) ||
                    !TestFrame.checkPattern(area, addr, len, seq)))
                {
                    payloadErrors++;
                }
                lastLength = len;
                umem.freeFrame(addr);
            }
            rx.release(n);
            refill(n);
            received += n;
            totalConsumed += n;
            consumed.lazySet(totalConsumed);
            if (warmingUp && received >= AllocationCounter.WARMUP_FRAMES)
            {
                warmingUp = false;
                alloc = AllocationCounter.currentThread();
            }
            last = System.nanoTime();
        }
        final long allocated = warmingUp ? -1L : AllocationCounter.since(alloc);
        return new TrafficResult("rx", lastLength, received, last - first, seqErrors, payloadErrors,
            socket.rxWakeups() - wakeupsBefore, allocated, socket.statistics(new XskStatistics()));
    }

    /**
     * @return the sequence number the next frame should carry.
     */
    public long expectedSeq()
    {
        return expectedSeq;
    }
}
