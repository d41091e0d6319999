package io.xts.proxy;

import io.xts.link.FrameTransport;
import io.xts.link.LinkConfig;
import io.xts.link.LinkCounters;
import io.xts.link.LinkListener;
import io.xts.link.LinkState;
import io.xts.link.XtsLink;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.lang.foreign.MemorySegment;

import static io.xts.proxy.ProxyRings.LINK_DOWN;
import static io.xts.proxy.ProxyRings.LINK_UP;
import static io.xts.proxy.ProxyRings.TO_LINK_GENERATION_OFFSET;
import static io.xts.proxy.ProxyRings.TO_LINK_HEADER;
import static io.xts.proxy.ProxyRings.TO_LINK_LENGTH_OFFSET;
import static io.xts.proxy.ProxyRings.TO_TCP_HEADER;

/**
 * The two-thread mode's link side, an Agrona {@link Agent} that owns the {@link XtsLink}. Per duty cycle it drains
 * the {@code toLink} ring into the link ({@link XtsLink#offer}, a copy into the transmit frame being filled) and drives
 * the link (receive, send, timers). As the link's listener it copies every message of the app host into the
 * {@code toTcp} ring for the {@link TcpAgent}, and the link's life (up, down) as records in the same order.
 * <p>
 * Backpressure, nothing dropped: when {@code toTcp} is full, {@link #onMessage} returns false and the link holds the
 * frame (and grants the app host less credit); when the link cannot take a message, draining stops, {@code toLink}
 * fills, the TCP agent's claims fail and it stops reading TCP. Records of an earlier link incarnation (claimed before
 * a link down) are dropped here: their sockets were aborted.
 * <p>
 * {@link #onClose()} runs after the TCP agent's: what it left in {@code toLink} (the RESETs of the stop) is sent and
 * acknowledged, as far as the goodbye timeout allows, then the link is closed (RESET SHUTDOWN).
 */
public final class LinkAgent implements Agent, LinkListener
{
    /** Records drained from toLink per duty cycle at most, so the link's own work is never starved. */
    private static final int DRAIN_LIMIT = 256;
    /** Longest link-down reason carried to the TCP agent. */
    private static final int MAX_REASON = 1024;

    private final NanoClock clock;
    private final XtsLink link;
    private final ProxyRings rings;
    private final ProxyCounters counters;
    private final ProxyEvents events;
    private final OneToOneRingBuffer toTcp;
    private final UnsafeBuffer toTcpBuffer;
    private final MemorySegment toTcpMemory;
    private final OneToOneRingBuffer toLink;
    private final MemorySegment toLinkMemory;
    private final ControlledMessageHandler onToLink = this::onToLink;
    /** The link incarnation up now (0 while down), as published. */
    private int generation;
    private int lastGeneration;
    private boolean eventsPending;
    private boolean downPending;
    private String downReason;
    private boolean upPending;
    private int upGeneration;
    private int upPeerEpoch;
    private int upVersion;
    private int upMaxMessageLength;
    private boolean closed;
    private long goodbyeTimeoutNs = ProxyAgent.GOODBYE_TIMEOUT_NS;

    /**
     * @param transport    the link's medium (owned by the caller, closed by it after this agent).
     * @param linkConfig   the link's settings.
     * @param rings        the hand-off to the {@link TcpAgent}.
     * @param counters     the proxy's counters (this agent writes {@code ring-full-to-tcp} only).
     * @param linkCounters the link's counters.
     * @param events       where events are reported.
     * @param clock        the time source.
     */
    public LinkAgent(
        final FrameTransport transport, final LinkConfig linkConfig, final ProxyRings rings,
        final ProxyCounters counters, final LinkCounters linkCounters, final ProxyEvents events, final NanoClock clock)
    {
        this.clock = clock;
        this.rings = rings;
        this.counters = counters;
        this.events = events;
        this.toTcp = rings.toTcp;
        this.toTcpBuffer = rings.toTcpBuffer;
        this.toTcpMemory = rings.toTcpMemory;
        this.toLink = rings.toLink;
        this.toLinkMemory = rings.toLinkMemory;
        link = new XtsLink(transport, linkConfig, this, linkCounters, clock.nanoTime());
    }

    /** @param timeoutNs how long {@link #onClose()} waits for the app host to acknowledge the last messages. */
    void goodbyeTimeout(final long timeoutNs)
    {
        goodbyeTimeoutNs = timeoutNs;
    }

    /** @return the link (for this agent's thread, and tests driving it). */
    public XtsLink link()
    {
        return link;
    }

    @Override
    public int doWork()
    {
        if (closed)
        {
            return 0;
        }
        int work = 0;
        if (eventsPending && flushEvents())
        {
            work++;
        }
        work += toLink.controlledRead(onToLink, DRAIN_LIMIT);
        work += link.doWork(clock.nanoTime());
        return work;
    }

    private ControlledMessageHandler.Action onToLink(
        final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int recordGeneration = buffer.getInt(index + TO_LINK_GENERATION_OFFSET);
        if (0 == generation || recordGeneration != generation)
        {
            // Claimed for the sockets of a link incarnation that has gone (and aborted them): drop.
            return ControlledMessageHandler.Action.CONTINUE;
        }
        final int bodyLength = buffer.getInt(index + TO_LINK_LENGTH_OFFSET);
        if (bodyLength > link.maxMessageLength())
        {
            events.event("internal-error message of " + bodyLength + " bytes over the link's maximum of " +
                link.maxMessageLength() + ", dropped");
            return ControlledMessageHandler.Action.CONTINUE;
        }
        return link.offer(type, buffer.getInt(index), toLinkMemory, index + TO_LINK_HEADER, bodyLength) ?
            ControlledMessageHandler.Action.CONTINUE : ControlledMessageHandler.Action.ABORT;
    }

    // ---- the link's listener: everything goes to the TCP agent through toTcp ----

    @Override
    public boolean onMessage(
        final int type, final int streamId, final MemorySegment memory, final long offset, final int length)
    {
        if (eventsPending && !flushEvents())
        {
            return false;
        }
        final int index = toTcp.tryClaim(type, TO_TCP_HEADER + length);
        if (index < 0)
        {
            ProxyCounters.increment(counters.ringFullToTcp);
            return false;
        }
        toTcpBuffer.putInt(index, streamId);
        toTcpBuffer.putInt(index + 4, 0);
        MemorySegment.copy(memory, offset, toTcpMemory, index + TO_TCP_HEADER, length);
        toTcp.commit(index);
        return true;
    }

    @Override
    public void onLinkUp(final int peerEpoch, final int version)
    {
        lastGeneration = 0 == lastGeneration + 1 ? 1 : lastGeneration + 1;
        generation = lastGeneration;
        upPending = true;
        upGeneration = generation;
        upPeerEpoch = peerEpoch;
        upVersion = version;
        upMaxMessageLength = link.maxMessageLength();
        eventsPending = true;
        rings.publishUpGeneration(generation);
        flushEvents();
    }

    @Override
    public void onLinkDown(final String reason)
    {
        generation = 0;
        rings.publishUpGeneration(0);
        // An up the TCP agent has not heard of yet is superseded: it only needs to hear that the link is down.
        upPending = false;
        downPending = true;
        downReason = reason;
        eventsPending = true;
        flushEvents();
    }

    /**
     * Put the pending link events into toTcp, the down before the up.
     *
     * @return true when none is pending any more; false when toTcp is full (messages then wait behind them).
     */
    private boolean flushEvents()
    {
        if (downPending)
        {
            final String reason = downReason.length() > MAX_REASON ? downReason.substring(0, MAX_REASON) :
                downReason;
            final int index = toTcp.tryClaim(LINK_DOWN, TO_TCP_HEADER + 4 + reason.length());
            if (index < 0)
            {
                ProxyCounters.increment(counters.ringFullToTcp);
                return false;
            }
            toTcpBuffer.putInt(index, 0);
            toTcpBuffer.putInt(index + 4, 0);
            toTcpBuffer.putStringAscii(index + TO_TCP_HEADER, reason);
            toTcp.commit(index);
            downPending = false;
            downReason = null;
        }
        if (upPending)
        {
            final int index = toTcp.tryClaim(LINK_UP, TO_TCP_HEADER + 12);
            if (index < 0)
            {
                ProxyCounters.increment(counters.ringFullToTcp);
                return false;
            }
            toTcpBuffer.putInt(index, upGeneration);
            toTcpBuffer.putInt(index + 4, 0);
            toTcpBuffer.putInt(index + TO_TCP_HEADER, upPeerEpoch);
            toTcpBuffer.putInt(index + TO_TCP_HEADER + 4, upVersion);
            toTcpBuffer.putInt(index + TO_TCP_HEADER + 8, upMaxMessageLength);
            toTcp.commit(index);
            upPending = false;
        }
        eventsPending = false;
        return true;
    }

    /**
     * The stop, after the TCP agent's: send what it left in toLink and wait for the acknowledgements (frames are only
     * safe once acked), then close the link (RESET SHUTDOWN).
     */
    @Override
    public void onClose()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final long deadline = clock.nanoTime() + goodbyeTimeoutNs;
        // Always give what is queued one chance to leave, however short the timeout.
        do
        {
            toLink.controlledRead(onToLink, DRAIN_LIMIT);
            link.doWork(clock.nanoTime());
        }
        while (clock.nanoTime() - deadline < 0 && LinkState.UP == link.state() &&
            (toLink.size() > 0 || !link.drained()));
        final boolean wasUp = LinkState.UP == link.state();
        link.close();
        generation = 0;
        rings.publishUpGeneration(0);
        if (wasUp)
        {
            events.event("link-down sockets_closed=" + rings.socketsClosedAtStop() +
                " reason=proxy stopping (RESET SHUTDOWN sent)");
        }
        events.event("stopped");
    }

    @Override
    public String roleName()
    {
        return "xts-proxy-link";
    }
}
