package io.xts.nvme.host;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One preallocated command slot of a {@link TcpQueue}, indexed by the low bits of its CID: what the command moves
 * (buffer or scatter list, direction, length), how far its data got each way, and who is told when it completes. The
 * {@link #state} publishes the fields the submitter wrote to the receive loop and the ULP listener
 * ({@link OffloadReceiver}), and decides who completes it, exactly once.
 */
final class Command
{
    /** Not in use: on the queue's free stack. */
    static final int FREE = 0;
    /** Submitted and not completed. */
    static final int ACTIVE = 1;
    /** Being completed (whoever moved it here completes it). */
    static final int COMPLETING = 2;
    /** A completed scatter read whose list the application holds: the slot is free once it releases the list. */
    static final int HELD = 3;
    /** Active, and the ULP listener is placing bytes into its buffer or list right now: completing it waits until
     * the piece is in ({@link #pin()}), so no byte is written into a buffer already handed back to the application. */
    static final int PLACING = 4;

    final AtomicInteger state = new AtomicInteger(FREE);
    final int slot;
    int generation;
    int cid;
    MemorySegment buffer;
    long bufferOffset;
    long length;
    boolean toController;
    boolean inCapsule;
    long c2hReceived;
    long h2cSent;
    boolean digestError;
    CompletionHandler handler;
    Object attachment;
    /** Read with the data left where it arrives ({@link #scatter}), completed through {@link #scatterHandler}. */
    boolean scatterRead;
    /** This slot's scatter list, made on its first scatter read and reused. */
    ScatterList scatter;
    ScatterReadHandler scatterHandler;
    /** The queue's scatter window holds this read's length (it was sent, or is about to be). */
    boolean admitted;
    /** What the capsule of a read carries, for one whose sending waits for the scatter window. */
    long nsid;
    long slba;
    int nlb;
    /** A view of {@link #buffer} for reads straight from the socket, made once per buffer (it is reused). */
    ByteBuffer view;
    MemorySegment viewOf;
    /** A buffer read over kernel TCP whose large C2HData payloads are read straight into {@link #view}. */
    boolean direct;

    /**
     * @param slot the slot's index, the CID's low 12 bits.
     */
    Command(final int slot)
    {
        this.slot = slot;
    }

    /**
     * @param cid a CID.
     * @return whether this slot is in use by the command with that CID.
     */
    boolean isActive(final int cid)
    {
        final int s = state.get();
        return (ACTIVE == s || PLACING == s) && this.cid == cid;
    }

    /**
     * Pin the command for one piece placed by the ULP listener: while pinned nobody completes it, so its buffer (or
     * list) stays the queue's until {@link #unpin()}.
     *
     * @param cid the CID the piece names.
     * @return false when the slot does not hold that CID's active command (nothing pinned).
     */
    boolean pin(final int cid)
    {
        if (!state.compareAndSet(ACTIVE, PLACING))
        {
            return false;
        }
        if (this.cid != cid)
        {
            state.set(ACTIVE);
            return false;
        }
        return true;
    }

    /** The piece is in: the command may complete again. */
    void unpin()
    {
        state.set(ACTIVE);
    }

    /**
     * Move an active command to COMPLETING, waiting out a piece being placed (a copy of at most one frame).
     *
     * @return true when this caller moved it and so completes it; false when it was not active.
     */
    boolean startCompleting()
    {
        while (true)
        {
            final int s = state.get();
            if (PLACING == s)
            {
                Thread.onSpinWait();
            }
            else if (ACTIVE != s)
            {
                return false;
            }
            else if (state.compareAndSet(ACTIVE, COMPLETING))
            {
                return true;
            }
        }
    }
}
