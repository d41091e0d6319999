package io.xts.nvme.host;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduHeader;
import io.xts.nvme.R2TPdu;
import io.xts.nvme.TermReqPdu;
import io.xts.protocol.UlpMessages;
import io.xts.sockets.UlpListener;
import io.xts.sockets.XtsSocket;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ControlledMessageHandler.Action;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

/**
 * The NVMe/TCP offload receive path of a {@link TcpQueue} that goes through the XTS proxy: the socket's
 * {@link UlpListener} and the ring that carries what it hears to the queue's receive loop.
 * <p>
 * The listener runs on whichever thread drives the XTS stack, with the stack's lock held, so it does only what must
 * happen in arrival order and cannot deadlock with submitters: it copies DDP_PLACE bytes straight from the received
 * frame into the command's buffer (the one copy on the app host; a piece outside the buffer is refused, never
 * written), or, for a scatter read, keeps the frame and adds the piece to the read's {@link ScatterList} (no copy;
 * the bytes are credited when the list is released), and turns everything else into a small record on a one-to-one
 * ring. The receive loop takes the records in
 * order ({@link #drain}), each stamped with the DATA bytes that had arrived before it, so DATA parsed in software and
 * ULP messages interleave exactly as in the stream. Credit is returned as records are consumed, so the ring is bounded
 * by the receive window (sized to hold a window of the smallest PDUs).
 */
final class OffloadReceiver implements UlpListener
{
    private static final System.Logger LOG = System.getLogger(OffloadReceiver.class.getName());
    private static final int EV_RESULT = 1;
    private static final int EV_HEADER = 2;
    private static final int EV_C2H_END = 3;
    private static final int EV_RESYNC = 4;
    private static final int EV_TEARDOWN = 5;
    private static final int EV_ERROR = 6;

    private final TcpQueue queue;
    private final XtsSocket xts;
    private final Command[] commands;
    final int pushAfter;
    volatile boolean active;
    volatile boolean resultSeen;
    boolean pushed;
    boolean switched;
    long pendingResync = -1;
    long resyncAnswers;
    long refusedRegistrations;
    volatile long placedBytes;
    volatile long unregisteredBytes;
    private long creditOwed;
    /** Receive loop, after the switch: stream offset past the last offloaded PDU, and of the one in hand. */
    private long ulpPosition;
    private long ulpPduStart;
    /** Bytes of that PDU's header in {@link #headerSegment} (0 for a C2HData, whose header is not kept). */
    private int ulpHeaderLength;
    private volatile Thread parked;
    private volatile String error;

    private final OneToOneRingBuffer ring;
    private final ByteBuffer scratchBytes = ByteBuffer.allocateDirect(512).order(ByteOrder.nativeOrder());
    private final UnsafeBuffer scratch = new UnsafeBuffer(scratchBytes);
    private final MemorySegment scratchSegment = MemorySegment.ofBuffer(scratchBytes);
    private final ByteBuffer headerBytes = ByteBuffer.allocateDirect(512);
    private final MemorySegment headerSegment = MemorySegment.ofBuffer(headerBytes);
    private final CapsuleRespPdu respView = new CapsuleRespPdu();
    private final R2TPdu r2tView = new R2TPdu();
    private final TermReqPdu termView = new TermReqPdu();
    /** Listener thread only (each thread has its own flyweights). */
    private final PduHeader arrivingHeader = new PduHeader();
    /** Receive loop only. */
    private final PduHeader headerView = new PduHeader();
    private final C2HDataPdu c2hView = new C2HDataPdu();
    private final ControlledMessageHandler handler = this::onEvent;

    // The C2HData whose pieces are arriving (listener thread only).
    private int curCid = -1;
    private long curDatao;
    private long curDatal;
    private long curPlen;
    private int curPduFlags;
    private long curPlaced;
    private int events;
    /** One frame handle, for giving back a reference the listener took and could not use. */
    private final long[] oneFrame = new long[1];

    /**
     * @param queue     the queue whose commands the data belongs to.
     * @param xts       the queue's socket.
     * @param commands  the queue's command slots.
     * @param window    the socket's receive window, which bounds what is in the ring.
     * @param pushAfter see {@link QueueConfig#ulpPushAfter()}.
     */
    OffloadReceiver(final TcpQueue queue, final XtsSocket xts, final Command[] commands, final int window,
        final int pushAfter)
    {
        this.queue = queue;
        this.xts = xts;
        this.commands = commands;
        this.pushAfter = pushAfter;
        final int capacity = BitUtil.findNextPositivePowerOfTwo(2 * window + 64 * 1024);
        ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    // ---- listener: stack thread, stack lock held ----

    private long stamp()
    {
        return xts.dataReceived();
    }

    private void publish(final int type, final int length)
    {
        scratch.putLong(0, stamp());
        if (!ring.write(type, scratch, 0, length))
        {
            // Cannot happen while the proxy respects our credit (the ring holds a window of the smallest PDUs).
            error = "the ULP event ring overflowed (the proxy sent past the credit?)";
        }
        wake();
    }

    private void wake()
    {
        final Thread t = parked;
        if (null != t)
        {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void onUlpResult(final int errno, final int state, final long streamOffset)
    {
        scratch.putInt(8, errno);
        scratch.putInt(12, state);
        scratch.putLong(16, streamOffset);
        publish(EV_RESULT, 24);
    }

    @Override
    public void onPduHeader(final int status, final MemorySegment memory, final long offset, final int length)
    {
        if (length < 8 || length > 256)
        {
            listenerError("PDU_HEADER of " + length + " bytes");
            return;
        }
        arrivingHeader.wrap(memory, offset);
        if (NvmeTcp.TYPE_C2H_DATA == arrivingHeader.type() && length >= 24)
        {
            if (-1 != curCid)
            {
                listenerError("C2HData header before the previous C2HData's last piece");
                return;
            }
            c2hView.wrap(memory, offset);
            curCid = c2hView.cccid();
            curDatao = c2hView.datao();
            curDatal = c2hView.datal();
            curPlen = c2hView.plen();
            curPduFlags = c2hView.flags();
            curPlaced = 0;
            return;
        }
        scratch.putInt(8, length);
        MemorySegment.copy(memory, offset, scratchSegment, 12, length);
        publish(EV_HEADER, 12 + length);
    }

    @Override
    public void onPlace(final int cid, final int flags, final long dataOffset, final MemorySegment memory,
        final long offset, final int length)
    {
        if (cid != curCid)
        {
            listenerError(String.format("DDP_PLACE for CID %04Xh outside its C2HData (current %04Xh)", cid,
                curCid));
            return;
        }
        final int slot = cid & 0xFFF;
        final Command c = slot < commands.length ? commands[slot] : null;
        // Pinned, the command cannot be completed (by close() or fail() on another thread) while its piece goes in:
        // its buffer is read once and is still the queue's, never the application's again, when the bytes land.
        if (null == c || !c.pin(cid))
        {
            listenerError(String.format("DDP_PLACE for CID %04Xh, which is not an outstanding read", cid));
            return;
        }
        final boolean placed;
        try
        {
            placed = placePinned(c, cid, dataOffset, memory, offset, length);
        }
        finally
        {
            c.unpin();
        }
        if (!placed)
        {
            return;
        }
        curPlaced += length;
        if (0 != (flags & UlpMessages.PLACE_UNREGISTERED))
        {
            unregisteredBytes += length;
        }
        else
        {
            placedBytes += length;
        }
        if (0 != (flags & UlpMessages.PLACE_LAST))
        {
            scratch.putInt(8, cid);
            scratch.putInt(12, flags | curPduFlags << 16);
            scratch.putLong(16, curDatao);
            scratch.putLong(24, curDatal);
            scratch.putLong(32, curPlen);
            scratch.putLong(40, curPlaced);
            curCid = -1;
            publish(EV_C2H_END, 48);
        }
    }

    /**
     * Check a piece against its pinned command and put it in place: copied into the buffer, or kept for the scatter
     * list.
     *
     * @return false after reporting an error.
     */
    private boolean placePinned(final Command c, final int cid, final long dataOffset, final MemorySegment memory,
        final long offset, final int length)
    {
        final MemorySegment buffer = c.buffer;
        if (c.toController || (null == buffer && !c.scatterRead))
        {
            listenerError(String.format("DDP_PLACE for CID %04Xh, which is not an outstanding read", cid));
            return false;
        }
        if (dataOffset < curDatao || dataOffset + length > curDatao + curDatal || dataOffset + length > c.length)
        {
            listenerError(String.format("DDP_PLACE of %d bytes at %d for CID %04Xh outside its PDU (DATAO %d " +
                "DATAL %d) or its %d-byte buffer", length, dataOffset, cid, curDatao, curDatal, c.length));
            return false;
        }
        if (c.scatterRead)
        {
            return placeScatter(c, memory, offset, length, dataOffset);
        }
        // The one copy of a buffer read: from the frame into the command's buffer.
        MemorySegment.copy(memory, offset, buffer, c.bufferOffset + dataOffset, length);
        queue.countCopied(length);
        // In their final place: credit them now, with this duty cycle's frames (no hop to the receive loop).
        xts.ulpConsumedInCycle(length);
        return true;
    }

    /**
     * A piece of a scatter read: its frame is kept and the piece stays in it (credited when the list is released);
     * when the link keeps as many frames as it allows, the piece is copied into the queue's bounce memory instead and
     * credited now.
     *
     * @return false after reporting an error (the piece is not the next of the read, or the list is closed).
     */
    private boolean placeScatter(final Command c, final MemorySegment memory, final long offset, final int length,
        final long dataOffset)
    {
        final ScatterList list = c.scatter;
        final long frame = xts.ulpRetainFrame();
        if (frame >= 0)
        {
            if (list.addFrame(memory, frame, offset, length, dataOffset))
            {
                queue.countInPlace(length);
                return true;
            }
            oneFrame[0] = frame;
            xts.ulpRelease(oneFrame, 1, 0);
        }
        else if (list.addCopy(queue.bounce(), memory, offset, length, dataOffset))
        {
            queue.countCopied(length);
            xts.ulpConsumedInCycle(length);
            return true;
        }
        listenerError(String.format("DDP_PLACE of %d bytes at %d for CID %04Xh: not the next piece of its scatter " +
            "read (pieces must come in data order), or no bounce memory left", length, dataOffset, c.cid));
        return false;
    }

    @Override
    public void onDdpTeardown(final int cid, final int reason)
    {
        scratch.putInt(8, cid);
        scratch.putInt(12, reason);
        publish(EV_TEARDOWN, 16);
    }

    @Override
    public void onResyncRequest(final long streamOffset)
    {
        scratch.putLong(8, streamOffset);
        publish(EV_RESYNC, 16);
    }

    @Override
    public void onDataArrived()
    {
        wake();
    }

    @Override
    public void onSocketFailed()
    {
        wake();
    }

    private void listenerError(final String text)
    {
        final byte[] b = text.getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(b.length, 400);
        scratch.putBytes(8, b, 0, n);
        publish(EV_ERROR, 8 + n);
    }

    // ---- receive loop ----

    /**
     * Park the reader until the listener sees something for it. {@link #parked} is published before the checks, so a
     * wake-up between the checks and the park is not lost (it makes the park return at once); the timeout only bounds
     * how late a close is noticed.
     */
    void parkReader()
    {
        parked = Thread.currentThread();
        if (0 == ring.size() && xts.dataReceived() == queue.dataConsumed() && null == queue.failure() &&
            xts.isConnected())
        {
            LockSupport.parkNanos(100_000_000L);
        }
        parked = null;
    }

    /**
     * Take the events whose DATA before them has been parsed, in order.
     *
     * @return events taken.
     */
    int drain()
    {
        events = 0;
        ring.controlledRead(handler, 256);
        final String e = error;
        if (null != e && null == queue.failure())
        {
            queue.fail(queue + ": " + e, null);
        }
        return events;
    }

    /** Return the credit of the stream bytes the events taken stood for. */
    void returnCredit()
    {
        if (creditOwed > 0 && null == queue.failure())
        {
            final long n = creditOwed;
            creditOwed = 0;
            xts.ulpConsumed(n);
        }
    }

    /**
     * A protocol error in an offloaded PDU, once the proxy has the framing: the queue's parser stopped at the switch,
     * so the PDU's offset and header are ours to report.
     *
     * @param what the error.
     * @return false when the framing is still the queue's parser's (nothing done).
     */
    boolean protocolError(final String what)
    {
        if (!switched)
        {
            return false;
        }
        final String text = String.format("%s: protocol error at stream offset %d: %s", queue, ulpPduStart, what);
        queue.sendTermReq(NvmeTcp.FES_SEQUENCE_ERROR, 0, headerSegment, ulpHeaderLength);
        queue.fail(text, null);
        return true;
    }

    private Action onEvent(final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (null != queue.failure())
        {
            return Action.BREAK;
        }
        if (buffer.getLong(index) > queue.dataConsumed())
        {
            // DATA that arrived before this event is not parsed yet: read it first.
            return Action.ABORT;
        }
        events++;
        switch (type)
        {
            case EV_RESULT -> onResult(buffer.getInt(index + 8), buffer.getInt(index + 12),
                buffer.getLong(index + 16));
            case EV_HEADER ->
            {
                if (enterUlp())
                {
                    final int n = buffer.getInt(index + 8);
                    buffer.getBytes(index + 12, headerBytes, 0, n);
                    onUlpHeader();
                }
            }
            case EV_C2H_END ->
            {
                if (enterUlp())
                {
                    onC2HEnd(buffer.getInt(index + 8), buffer.getInt(index + 12), buffer.getLong(index + 16),
                        buffer.getLong(index + 24), buffer.getLong(index + 32), buffer.getLong(index + 40));
                }
            }
            case EV_RESYNC -> pendingResync = buffer.getLong(index + 8);
            case EV_TEARDOWN -> refusedRegistrations++;
            case EV_ERROR ->
            {
                final byte[] b = new byte[length - 8];
                buffer.getBytes(index + 8, b);
                queue.fail(queue + ": offload protocol error: " + new String(b, StandardCharsets.UTF_8), null);
            }
            default -> queue.fail(queue + ": unknown offload event " + type, null);
        }
        return null == queue.failure() ? Action.CONTINUE : Action.BREAK;
    }

    private void onResult(final int errno, final int state, final long offset)
    {
        if (0 == errno)
        {
            active = true;
            LOG.log(System.Logger.Level.DEBUG, "{0}: ULP offloaded, {1} at stream offset {2}", queue,
                UlpMessages.RESULT_IN_SYNC == state ? "in sync" : "searching", offset);
        }
        else
        {
            LOG.log(System.Logger.Level.INFO, "{0}: the XTS proxy refused the NVMe/TCP offload (errno {1}); " +
                "this queue stays in software", queue, errno);
        }
        resultSeen = true;
    }

    /** The first ULP PDU: our parser must stand at a PDU boundary with every DATA byte before it parsed. */
    private boolean enterUlp()
    {
        if (!switched)
        {
            final long position = queue.parserPosition();
            final long boundary = queue.lastBoundary();
            if (position != boundary)
            {
                queue.fail(String.format("%s: the proxy switched to ULP messages at stream offset %d, which is not " +
                    "a PDU boundary (last boundary %d)", queue, position, boundary), null);
                return false;
            }
            switched = true;
            ulpPosition = boundary;
            pendingResync = -1;
        }
        return true;
    }

    private void onUlpHeader()
    {
        headerView.wrap(headerSegment, 0);
        creditOwed += headerView.plen();
        ulpPduStart = ulpPosition;
        ulpPosition += headerView.plen();
        ulpHeaderLength = headerView.hlen();
        switch (headerView.type())
        {
            case NvmeTcp.TYPE_CAPSULE_RESP -> queue.onCapsuleResp(respView.wrap(headerSegment, 0).cqe());
            case NvmeTcp.TYPE_R2T -> queue.answerR2T(r2tView.wrap(headerSegment, 0));
            case NvmeTcp.TYPE_C2H_TERM_REQ ->
            {
                termView.wrap(headerSegment, 0);
                queue.onTermReq(termView.fes(), termView.fei());
            }
            default -> queue.fail(queue + ": unexpected PDU type " + headerView.type() + " in a PDU_HEADER", null);
        }
    }

    private void onC2HEnd(final int cid, final int flags, final long datao, final long datal, final long plen,
        final long placed)
    {
        // The data bytes were credited as they were placed; the header, padding and digests now.
        creditOwed += plen - placed;
        ulpPduStart = ulpPosition;
        ulpPosition += plen;
        ulpHeaderLength = 0;
        final Command cmd = queue.lookup(cid, "C2HData");
        if (null == cmd)
        {
            return;
        }
        if (datao != cmd.c2hReceived)
        {
            queue.protocolError(String.format("C2HData DATAO %d for CID %04Xh, expected %d (data must be " +
                "contiguous)", datao, cid, cmd.c2hReceived));
            return;
        }
        if (placed != datal)
        {
            queue.protocolError(String.format("C2HData for CID %04Xh: %d bytes placed, DATAL %d", cid, placed,
                datal));
            return;
        }
        final int pduFlags = flags >>> 16;
        queue.c2hDataEnd(cmd, datal, 0 == (flags & UlpMessages.PLACE_DIGEST_ERROR),
            0 != (pduFlags & NvmeTcp.FLAG_LAST_PDU), 0 != (pduFlags & NvmeTcp.FLAG_SUCCESS));
    }
}
