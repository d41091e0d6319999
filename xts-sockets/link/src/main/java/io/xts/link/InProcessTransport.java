package io.xts.link;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One end of an in-process pair of {@link FrameTransport}s for unprivileged tests: frames are copied from one end's
 * memory into a free receive buffer of the other when {@link #flush()} runs, as a NIC queue would, and dropped when
 * the other end has no free buffer (counted, like the kernel's {@code rx_ring_full}). A {@link Tap} sees every frame
 * on its way and may drop, duplicate or corrupt it, which is how tests inject loss and damage. Both ends are driven by
 * the same thread; nothing here is thread-safe.
 */
public final class InProcessTransport implements FrameTransport
{
    /**
     * Decides the fate of each frame crossing the pair.
     */
    @FunctionalInterface
    public interface Tap
    {
        /** Deliver the frame as it is. */
        int PASS = 0;
        /** Lose the frame. */
        int DROP = 1;
        /** Deliver the frame twice. */
        int DUPLICATE = 2;

        /**
         * @param memory the sender's memory, which the tap may modify to corrupt the frame.
         * @param frame  the frame's offset.
         * @param length its length.
         * @return {@link #PASS}, {@link #DROP} or {@link #DUPLICATE}.
         */
        int onFrame(MemorySegment memory, long frame, int length);
    }

    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final int frameLength;
    private final int txFrames;
    private final int rxFrames;
    private final long[] freeTx;
    private int freeTxCount;
    private final int[] inFlight;
    private final boolean[] released;
    private final long[] txQueue;
    private final int[] txQueueLength;
    private int txQueueCount;
    private final long[] freeRx;
    private int freeRxCount;
    private final long[] rxQueue;
    private final int[] rxQueueLength;
    private int rxHead;
    private int rxCount;
    private InProcessTransport peer;
    private Tap tap = (m, f, l) -> Tap.PASS;
    private long framesSent;
    private long framesDropped;
    private long framesReceived;
    private boolean closed;

    private InProcessTransport(final int frameLength, final int txFrames, final int rxFrames, final int txQueueSize)
    {
        this.frameLength = frameLength;
        this.txFrames = txFrames;
        this.rxFrames = rxFrames;
        memory = arena.allocate((long)frameLength * (txFrames + rxFrames), 64);
        freeTx = new long[txFrames];
        for (int i = txFrames - 1; i >= 0; i--)
        {
            freeTx[freeTxCount++] = (long)i * frameLength;
        }
        inFlight = new int[txFrames];
        released = new boolean[txFrames];
        txQueue = new long[txQueueSize];
        txQueueLength = new int[txQueueSize];
        freeRx = new long[rxFrames];
        for (int i = rxFrames - 1; i >= 0; i--)
        {
            freeRx[freeRxCount++] = (long)(txFrames + i) * frameLength;
        }
        rxQueue = new long[rxFrames];
        rxQueueLength = new int[rxFrames];
    }

    /**
     * Make a connected pair.
     *
     * @param frameLength largest frame.
     * @param txFrames    TX frames per end.
     * @param rxFrames    receive buffers per end.
     * @param txQueueSize frames that can wait for {@link #flush()}.
     * @return the two ends.
     */
    public static InProcessTransport[] pair(
        final int frameLength, final int txFrames, final int rxFrames, final int txQueueSize)
    {
        final InProcessTransport a = new InProcessTransport(frameLength, txFrames, rxFrames, txQueueSize);
        final InProcessTransport b = new InProcessTransport(frameLength, txFrames, rxFrames, txQueueSize);
        a.peer = b;
        b.peer = a;
        return new InProcessTransport[] {a, b};
    }

    /**
     * @param tap what happens to frames this end sends.
     */
    public void tap(final Tap tap)
    {
        this.tap = tap;
    }

    /**
     * @return frames this end pushed to its peer.
     */
    public long framesSent()
    {
        return framesSent;
    }

    /**
     * @return frames this end could not deliver because the peer had no free buffer.
     */
    public long framesDropped()
    {
        return framesDropped;
    }

    /**
     * @return frames this end received.
     */
    public long framesReceived()
    {
        return framesReceived;
    }

    /**
     * @return TX frames free now (for tests of frame accounting).
     */
    public int freeTxFrames()
    {
        return freeTxCount;
    }

    @Override
    public MemorySegment memory()
    {
        return memory;
    }

    @Override
    public int maxFrameLength()
    {
        return frameLength;
    }

    @Override
    public int receiveCapacity()
    {
        return rxFrames;
    }

    @Override
    public long acquire()
    {
        if (0 == freeTxCount)
        {
            return -1;
        }
        final long frame = freeTx[--freeTxCount];
        released[(int)(frame / frameLength)] = false;
        return frame;
    }

    @Override
    public boolean transmit(final long frame, final int length)
    {
        if (length <= 0 || length > frameLength)
        {
            throw new IllegalArgumentException("frame length must be 1.." + frameLength + ", got " + length);
        }
        if (txQueueCount == txQueue.length)
        {
            return false;
        }
        txQueue[txQueueCount] = frame;
        txQueueLength[txQueueCount] = length;
        txQueueCount++;
        inFlight[txIndex(frame)]++;
        return true;
    }

    @Override
    public void release(final long frame)
    {
        final int i = txIndex(frame);
        if (released[i])
        {
            throw new IllegalStateException("frame " + frame + " released twice");
        }
        released[i] = true;
        if (0 == inFlight[i])
        {
            freeTx[freeTxCount++] = frame;
        }
    }

    private int txIndex(final long frame)
    {
        final long i = frame / frameLength;
        if (frame < 0 || i >= txFrames || 0 != frame % frameLength)
        {
            throw new IllegalArgumentException("not a TX frame handle: " + frame);
        }
        return (int)i;
    }

    @Override
    public int transmitBacklog()
    {
        return txQueueCount;
    }

    @Override
    public int flush()
    {
        final int n = txQueueCount;
        for (int q = 0; q < n; q++)
        {
            final long frame = txQueue[q];
            final int length = txQueueLength[q];
            final int fate = tap.onFrame(memory, frame, length);
            if (Tap.DROP != fate)
            {
                deliver(frame, length);
                if (Tap.DUPLICATE == fate)
                {
                    deliver(frame, length);
                }
            }
            final int i = txIndex(frame);
            if (0 == --inFlight[i] && released[i])
            {
                freeTx[freeTxCount++] = frame;
            }
        }
        txQueueCount = 0;
        return n;
    }

    private void deliver(final long frame, final int length)
    {
        framesSent++;
        final InProcessTransport to = peer;
        if (0 == to.freeRxCount)
        {
            framesDropped++;
            return;
        }
        final long buffer = to.freeRx[--to.freeRxCount];
        MemorySegment.copy(memory, frame, to.memory, buffer, length);
        final int slot = (to.rxHead + to.rxCount) % to.rxQueue.length;
        to.rxQueue[slot] = buffer;
        to.rxQueueLength[slot] = length;
        to.rxCount++;
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        int n = 0;
        while (n < limit && rxCount > 0)
        {
            final long buffer = rxQueue[rxHead];
            final int length = rxQueueLength[rxHead];
            rxHead = (rxHead + 1) % rxQueue.length;
            rxCount--;
            framesReceived++;
            n++;
            handler.onFrame(memory, buffer, length);
        }
        return n;
    }

    @Override
    public void recycle(final long frame)
    {
        if (frame < (long)txFrames * frameLength || freeRxCount == freeRx.length)
        {
            throw new IllegalArgumentException("not a held receive buffer: " + frame);
        }
        freeRx[freeRxCount++] = frame;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            arena.close();
        }
    }
}
