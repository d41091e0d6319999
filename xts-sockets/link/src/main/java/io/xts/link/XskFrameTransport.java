package io.xts.link;

import io.xts.xsk.CompletionRing;
import io.xts.xsk.FillRing;
import io.xts.xsk.PeerFilter;
import io.xts.xsk.RxRing;
import io.xts.xsk.TxRing;
import io.xts.xsk.Umem;
import io.xts.xsk.XskSocket;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The AF_XDP {@link FrameTransport}: one {@link XskSocket} with RX and TX rings over its own {@link Umem}, zero-copy
 * from the link's point of view (a frame handle is a UMEM offset, {@link #memory()} is the UMEM, the link writes and
 * reads frames where the kernel sends from and receives into). At construction the transport takes its frames out of
 * the UMEM's allocator and splits them into a TX pool, kept on a free stack of its own, and an RX pool, all of
 * which goes on the fill ring at once, so the RX pool is the receive capacity credits are granted from. A state byte
 * per frame enforces the ownership rules of {@link FrameTransport} (a misuse is an exception, not a corrupted ring),
 * and a count per TX frame of queued transmissions lets a frame be retransmitted before the first copy completed:
 * it returns to the free stack once it is released and every transmission of it has completed. Ring work is batched:
 * {@link #transmit} only reserves a TX slot and {@link #recycle} only notes the frame; {@link #flush()} submits both,
 * kicks the kernel when it asks, and reaps completions. Nothing is allocated per frame. The transport owns the
 * socket and the UMEM (closing it closes both) but not the XDP program steering frames to the socket.
 */
public final class XskFrameTransport implements FrameTransport
{
    private static final int MAX_KICKS_PER_FLUSH = 8;
    /**
     * How long frames may stay in the TX ring, after a kick that moved none, before a flush without new frames kicks
     * again: a kernel that is busy now (EAGAIN, a full queue further down) is not helped by a system call per duty
     * cycle.
     */
    private static final long STUCK_KICK_NS = 100_000;
    private static final byte NOT_OURS = 0;
    private static final byte TX_FREE = 1;
    private static final byte TX_HELD = 2;
    private static final byte TX_RELEASED = 3;
    private static final byte RX_POSTED = 4;
    private static final byte RX_HELD = 5;

    /** Filters by source in the XDP program once the link learned its peer; null: the link alone checks. */
    private PeerFilter peerFilter;
    private final XskSocket socket;
    private final Umem umem;
    private final MemorySegment area;
    private final TxRing tx;
    private final RxRing rx;
    private final FillRing fill;
    private final CompletionRing completion;
    private final int frameShift;
    private final long frameMask;
    private final int maxFrameLength;
    private final int txFrames;
    private final int rxFrames;
    /** Per UMEM frame: who owns it now (one of the constants above). */
    private final byte[] state;
    /** Per UMEM frame: transmissions queued or submitted and not yet completed. */
    private final int[] inFlight;
    private final long[] txFree;
    private int txFreeCount;
    /** RX frames recycled by the link and not yet on the fill ring; can hold the whole RX pool. */
    private final long[] pendingFill;
    private int pendingFillCount;
    /** TX slots reserved by {@link #transmit} and not yet submitted. */
    private int pendingTx;
    /** Transmissions submitted to the TX ring and not yet completed. */
    private long submittedInFlight;
    private long framesSent;
    private long framesReceived;
    private long txRingFull;
    private long lastKickNs;
    /** Whether the last kick moved frames out of the TX ring. */
    private boolean lastKickMoved = true;
    private boolean closed;

    /**
     * A transport over every free frame of the UMEM, half for receiving (at most a fill ring's and an RX ring's
     * worth), the rest for sending, carrying frames up to the UMEM's packet room.
     *
     * @param socket a socket with RX and TX rings, bound to {@code umem} (it must be the UMEM's only socket).
     * @param umem   the socket's UMEM.
     */
    public XskFrameTransport(final XskSocket socket, final Umem umem)
    {
        this(socket, umem, defaultRxFrames(socket, umem), umem.freeFrameCount() - defaultRxFrames(socket, umem),
            umem.config().maxPacket());
    }

    /**
     * A transport over some of the UMEM's free frames.
     *
     * @param socket         a socket with RX and TX rings, bound to {@code umem} (it must be the UMEM's only socket).
     * @param umem           the socket's UMEM.
     * @param txFrames       frames for sending: how many {@link #acquire()} can hand out at once.
     * @param rxFrames       frames for receiving, at most the fill ring's and the RX ring's size (so that a sender
     *                       within the credits this grants can never overflow the RX ring).
     * @param maxFrameLength largest frame to send or receive, Ethernet header included: at most the UMEM's packet
     *                       room, and for sending at most the interface's MTU plus 14.
     * @throws IllegalArgumentException when the sizes do not fit the socket and UMEM.
     */
    public XskFrameTransport(
        final XskSocket socket, final Umem umem, final int txFrames, final int rxFrames, final int maxFrameLength)
    {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(umem, "umem");
        if (socket.umem() != umem)
        {
            throw new IllegalArgumentException("socket " + socket + " is not bound to this UMEM");
        }
        if (null == socket.rxRing() || null == socket.txRing())
        {
            throw new IllegalArgumentException("socket " + socket + " needs both an RX and a TX ring");
        }
        if (socket.config().multiBuffer())
        {
            throw new IllegalArgumentException("socket " + socket + " is multi-buffer: a frame must be one buffer");
        }
        if (txFrames <= 0 || rxFrames <= 0 || (long)txFrames + rxFrames > umem.freeFrameCount())
        {
            throw new IllegalArgumentException("need 1 or more TX and RX frames, together at most the UMEM's " +
                umem.freeFrameCount() + " free frames; got " + txFrames + " TX and " + rxFrames + " RX");
        }
        if (rxFrames > socket.fillRing().size() || rxFrames > socket.rxRing().size())
        {
            throw new IllegalArgumentException(rxFrames + " RX frames exceed the fill ring (" +
                socket.fillRing().size() + ") or the RX ring (" + socket.rxRing().size() + ")");
        }
        final int ethernetHeader = 14;
        if (maxFrameLength <= ethernetHeader || maxFrameLength > umem.config().maxPacket())
        {
            throw new IllegalArgumentException("max frame length must be " + (ethernetHeader + 1) + ".." +
                umem.config().maxPacket() + " for this UMEM, got " + maxFrameLength);
        }
        this.socket = socket;
        this.umem = umem;
        this.area = umem.area();
        this.tx = socket.txRing();
        this.rx = socket.rxRing();
        this.fill = socket.fillRing();
        this.completion = socket.completionRing();
        this.frameShift = Integer.numberOfTrailingZeros(umem.config().frameSize());
        this.frameMask = umem.config().frameSize() - 1L;
        this.maxFrameLength = maxFrameLength;
        this.txFrames = txFrames;
        this.rxFrames = rxFrames;
        this.state = new byte[umem.config().frameCount()];
        this.inFlight = new int[umem.config().frameCount()];
        this.txFree = new long[txFrames];
        this.pendingFill = new long[rxFrames];
        for (int i = 0; i < txFrames; i++)
        {
            final long frame = umem.allocateFrame();
            state[index(frame)] = TX_FREE;
            txFree[txFreeCount++] = frame;
        }
        for (int i = 0; i < rxFrames; i++)
        {
            final long frame = umem.allocateFrame();
            state[index(frame)] = RX_POSTED;
            pendingFill[pendingFillCount++] = frame;
        }
        flushFill();
    }

    private static int defaultRxFrames(final XskSocket socket, final Umem umem)
    {
        final int half = umem.freeFrameCount() / 2;
        final int fillSize = null == socket.fillRing() ? half : socket.fillRing().size();
        final int rxSize = null == socket.rxRing() ? half : socket.rxRing().size();
        return Math.min(half, Math.min(fillSize, rxSize));
    }

    @Override
    public MemorySegment memory()
    {
        return area;
    }

    @Override
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /**
     * {@inheritDoc} Here the size of the RX pool, all of which is on the fill ring or with the link.
     */
    @Override
    public int receiveCapacity()
    {
        return rxFrames;
    }

    @Override
    public long acquire()
    {
        if (0 == txFreeCount)
        {
            return -1L;
        }
        final long frame = txFree[--txFreeCount];
        state[(int)(frame >>> frameShift)] = TX_HELD;
        return frame;
    }

    /**
     * {@inheritDoc} Reserves one TX ring slot; the descriptor reaches the kernel on the next {@link #flush()}.
     */
    @Override
    public boolean transmit(final long frame, final int length)
    {
        final int index = txIndex(frame);
        if (TX_HELD != state[index])
        {
            throw misuse("transmit", frame, index);
        }
        if (length <= 0 || length > maxFrameLength)
        {
            throw new IllegalArgumentException("frame length must be 1.." + maxFrameLength + ", got " + length);
        }
        if (0 == tx.reserve(1))
        {
            txRingFull++;
            return false;
        }
        tx.descriptor(tx.reservedIndex(), frame, length, 0);
        pendingTx++;
        inFlight[index]++;
        return true;
    }

    @Override
    public void release(final long frame)
    {
        final int index = txIndex(frame);
        if (TX_HELD != state[index])
        {
            throw misuse("release", frame, index);
        }
        if (0 == inFlight[index])
        {
            freeTx(index, frame);
        }
        else
        {
            state[index] = TX_RELEASED;
        }
    }

    /**
     * {@inheritDoc} In this order: recycled frames go on the fill ring (so a credit the link grants in a frame sent
     * by this flush is backed by a posted buffer), queued TX descriptors are submitted, the kernel is kicked when the
     * TX ring asks for it and holds unsent descriptors (or when transmissions are outstanding and nothing moved),
     * completions are reaped, and the receive side is woken if the fill ring asks for it.
     */
    @Override
    public int transmitBacklog()
    {
        return (int)Math.min(Integer.MAX_VALUE, pendingTx + submittedInFlight);
    }

    @Override
    public int flush()
    {
        int work = flushFill();
        final int submitted = pendingTx;
        if (submitted > 0)
        {
            tx.submit(submitted);
            pendingTx = 0;
            submittedInFlight += submitted;
            framesSent += submitted;
            work += submitted;
        }
        boolean kicked = false;
        if (submittedInFlight > 0 && tx.needsWakeup() &&
            (submitted > 0 || tx.outstanding() > 0 && (lastKickMoved || kickAgainDue())))
        {
            // In copy mode one kick sends at most 32 frames; kick again while the ring still holds some, so a
            // duty cycle moves a whole batch instead of paying its loop overhead per 32 frames.
            // (EAGAIN from a kick means "budget used, more left", so only a kick that moved nothing stops it; then
            // the next flushes leave the busy kernel alone for a while unless they bring new frames, so that a
            // thread polling the link in a tight loop does not make a system call per loop.)
            int kicks = 0;
            int before = tx.outstanding();
            while (true)
            {
                kicked = true;
                kick();
                kicks++;
                final int after = tx.outstanding();
                lastKickMoved = after < before;
                if (0 == after || after >= before || kicks >= MAX_KICKS_PER_FLUSH)
                {
                    break;
                }
                before = after;
            }
        }
        int completed = reapCompletions();
        if (!kicked && 0 == submitted && 0 == completed && tx.outstanding() > 0 && kickAgainDue())
        {
            // Stuck for a while with frames still in the ring: an earlier kick met a busy kernel, or need_wakeup is
            // off. Kick, and take what that freed. (Frames the kernel has taken complete without a kick: in copy mode
            // when the receiving side has consumed them, which a kick would not hasten.)
            kick();
            completed = reapCompletions();
        }
        if (fill.needsWakeup())
        {
            socket.wakeupRx();
        }
        return work + completed;
    }

    /**
     * {@inheritDoc} The handle is the RX descriptor's address, which points past the UMEM frame's headroom; the
     * handler must not throw (if it does, the frames of this batch not yet handed over are put back for receiving).
     */
    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        flushFill();
        final int n = rx.peek(Math.max(0, limit));
        if (0 == n)
        {
            return 0;
        }
        final int first = rx.peekedIndex();
        int delivered = 0;
        try
        {
            while (delivered < n)
            {
                final long address = rx.address(first + delivered);
                final int length = rx.length(first + delivered);
                final int index = index(address);
                if (RX_POSTED != state[index])
                {
                    throw new IllegalStateException("the kernel returned frame " + (address & ~frameMask) +
                        " which was not on the fill ring (state " + state[index] + ")");
                }
                state[index] = RX_HELD;
                delivered++;
                framesReceived++;
                handler.onFrame(area, address, length);
            }
        }
        finally
        {
            for (int i = delivered; i < n; i++)
            {
                final long frame = rx.address(first + i) & ~frameMask;
                if (RX_POSTED == state[index(frame)])
                {
                    pendingFill[pendingFillCount++] = frame;
                }
            }
            rx.release(n);
        }
        return n;
    }

    /**
     * {@inheritDoc} The frame goes back on the fill ring on the next {@link #flush()} or {@link #receive}: grant a
     * credit for it only after that.
     */
    @Override
    public void recycle(final long frame)
    {
        final int index = index(frame);
        if (RX_HELD != state[index])
        {
            throw misuse("recycle", frame, index);
        }
        state[index] = RX_POSTED;
        pendingFill[pendingFillCount++] = frame & ~frameMask;
    }

    /**
     * Close the socket, then the UMEM, exactly once. The XDP program stays attached: its owner detaches it.
     */
    /**
     * Filter XTS frames by source in the XDP program from now on (the endpoint sets this when its program has the
     * peer maps).
     *
     * @param filter the program's peer filter for this socket's queue.
     */
    public void usePeerFilter(final PeerFilter filter)
    {
        peerFilter = Objects.requireNonNull(filter, "filter");
        filter.trustOnly(0);
    }

    @Override
    public void trustOnly(final long mac)
    {
        if (null != peerFilter)
        {
            peerFilter.trustOnly(mac);
        }
    }

    @Override
    public void trustAnyone()
    {
        if (null != peerFilter)
        {
            peerFilter.trustOnly(0);
        }
    }

    @Override
    public long foreignDrops()
    {
        return null == peerFilter ? 0 : peerFilter.foreignDrops();
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            socket.close();
        }
        finally
        {
            umem.close();
        }
    }

    /**
     * @return the socket, e.g. for its kernel statistics.
     */
    public XskSocket socket()
    {
        return socket;
    }

    /**
     * @return size of the TX pool.
     */
    public int transmitCapacity()
    {
        return txFrames;
    }

    /**
     * @return TX frames free for {@link #acquire()} now.
     */
    public int freeTransmitFrames()
    {
        return txFreeCount;
    }

    /**
     * @return transmissions queued by {@link #transmit} and not yet completed by the kernel.
     */
    public long transmissionsInFlight()
    {
        return submittedInFlight + pendingTx;
    }

    /**
     * @return frames submitted to the TX ring, retransmissions included.
     */
    public long framesSent()
    {
        return framesSent;
    }

    /**
     * @return frames handed to a {@link FrameHandler}.
     */
    public long framesReceived()
    {
        return framesReceived;
    }

    /**
     * @return times {@link #transmit} found the TX ring full and returned false.
     */
    public long txRingFull()
    {
        return txRingFull;
    }

    /**
     * @return TX kicks ({@code sendto}) made on this transport's socket (the socket counts them).
     */
    public long kicks()
    {
        return socket.txKicks();
    }

    private boolean kickAgainDue()
    {
        return System.nanoTime() - lastKickNs >= STUCK_KICK_NS;
    }

    private void kick()
    {
        lastKickNs = System.nanoTime();
        socket.kickTx();
    }

    private int flushFill()
    {
        if (0 == pendingFillCount)
        {
            return 0;
        }
        final int got = fill.reserve(pendingFillCount);
        if (got > 0)
        {
            final int first = fill.reservedIndex();
            for (int i = 0; i < got; i++)
            {
                fill.address(first + i, pendingFill[--pendingFillCount]);
            }
            fill.submit(got);
        }
        return got;
    }

    private int reapCompletions()
    {
        final int n = completion.peek(completion.size());
        if (0 == n)
        {
            return 0;
        }
        final int first = completion.peekedIndex();
        for (int i = 0; i < n; i++)
        {
            final long frame = completion.address(first + i);
            final int index = index(frame);
            if (0 == inFlight[index])
            {
                throw new IllegalStateException("the kernel completed frame " + frame + " which was not in flight");
            }
            if (0 == --inFlight[index] && TX_RELEASED == state[index])
            {
                freeTx(index, frame);
            }
        }
        completion.release(n);
        submittedInFlight -= n;
        return n;
    }

    private void freeTx(final int index, final long frame)
    {
        state[index] = TX_FREE;
        txFree[txFreeCount++] = frame;
    }

    private int index(final long address)
    {
        if (address < 0 || address >= area.byteSize())
        {
            throw new IllegalArgumentException("frame handle " + address + " is outside the UMEM (" +
                area.byteSize() + " bytes)");
        }
        return (int)(address >>> frameShift);
    }

    private int txIndex(final long frame)
    {
        final int index = index(frame);
        if (0 != (frame & frameMask))
        {
            throw new IllegalArgumentException("TX frame handle " + frame + " is not one acquire() returned");
        }
        return index;
    }

    private IllegalStateException misuse(final String operation, final long frame, final int index)
    {
        final String owner = switch (state[index])
        {
            case NOT_OURS -> "not a frame of this transport";
            case TX_FREE -> "a free TX frame";
            case TX_HELD -> "a TX frame held by the link";
            case TX_RELEASED -> "a released TX frame waiting for completions";
            case RX_POSTED -> "an RX frame owned by the kernel";
            case RX_HELD -> "a received frame held by the link";
            default -> "in state " + state[index];
        };
        return new IllegalStateException(operation + "(" + frame + "): the frame is " + owner);
    }

    @Override
    public String toString()
    {
        return "XskFrameTransport[" + socket + ", " + txFrames + " TX + " + rxFrames + " RX frames]";
    }
}
