package io.xts.proxy;

import io.xts.proxy.config.ProxyConfig;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Selector;

import static io.xts.protocol.SocketMessages.ECONNABORTED;
import static io.xts.proxy.ProxyRings.LINK_DOWN;
import static io.xts.proxy.ProxyRings.LINK_UP;
import static io.xts.proxy.ProxyRings.TO_TCP_HEADER;

/**
 * The two-thread mode's TCP side, an Agrona {@link Agent} that owns the {@link LinkSession}, the selector and every
 * kernel socket. Per duty cycle it takes the app host's messages from the {@code toTcp} ring (each handled where it
 * lies: a DATA is written to TCP straight from the ring record; a message the session cannot take now stays in the
 * ring and is offered again next cycle, as the link itself would), polls the sockets ({@code selectNow}: reads go
 * straight into {@code toLink} records through {@link RingPort}), sends what sockets owe the app, and publishes the
 * last claim to the {@link LinkAgent}. The link's life arrives in the same ring, in order with the messages.
 * <p>
 * {@link #onClose()} is the TCP half of the stop (SIGTERM), run before the link agent's: every TCP connection closed
 * with FIN, every app socket told with RESET ECONNABORTED through {@code toLink}, every kernel socket really closed.
 */
public final class TcpAgent implements Agent
{
    /** Records taken from toTcp per duty cycle at most, so the sockets are polled often. */
    private static final int DRAIN_LIMIT = 256;

    private final NanoClock clock;
    private final Selector selector;
    private final LinkSession session;
    private final RingPort port;
    private final ProxyRings rings;
    private final ProxyEvents events;
    private final OneToOneRingBuffer toTcp;
    private final MemorySegment toTcpMemory;
    private final ControlledMessageHandler onToTcp = this::onToTcp;
    private boolean closed;
    private long goodbyeTimeoutNs = ProxyAgent.GOODBYE_TIMEOUT_NS;

    /**
     * @param rings    the hand-off with the {@link LinkAgent}.
     * @param config   allow-lists and limits.
     * @param counters the proxy's counters (this agent writes all but {@code ring-full-to-tcp}).
     * @param events   where events are reported.
     * @param clock    the time source.
     */
    public TcpAgent(
        final ProxyRings rings, final ProxyConfig config, final ProxyCounters counters, final ProxyEvents events,
        final NanoClock clock)
    {
        this.clock = clock;
        this.rings = rings;
        this.events = events;
        this.toTcp = rings.toTcp;
        this.toTcpMemory = rings.toTcpMemory;
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open a selector", ex);
        }
        session = new LinkSession(config, counters, selector, events);
        port = new RingPort(rings, counters);
        session.attach(port);
    }

    /** @param timeoutNs how long {@link #onClose()} retries RESETs the ring has no room for. */
    void goodbyeTimeout(final long timeoutNs)
    {
        goodbyeTimeoutNs = timeoutNs;
    }

    /** @return the session (for this agent's thread only). */
    public LinkSession session()
    {
        return session;
    }

    @Override
    public int doWork() throws IOException
    {
        if (closed)
        {
            return 0;
        }
        final long now = clock.nanoTime();
        session.beginCycle(now);
        int work = toTcp.controlledRead(onToTcp, DRAIN_LIMIT);
        work += session.poll();
        work += session.doSocketWork(now);
        port.publish();
        return work;
    }

    private ControlledMessageHandler.Action onToTcp(
        final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        switch (type)
        {
            case LINK_UP ->
            {
                port.linkUp(buffer.getInt(index), buffer.getInt(index + TO_TCP_HEADER + 8));
                session.onLinkUp(buffer.getInt(index + TO_TCP_HEADER), buffer.getInt(index + TO_TCP_HEADER + 4));
                return ControlledMessageHandler.Action.CONTINUE;
            }
            case LINK_DOWN ->
            {
                port.linkDown();
                session.onLinkDown(buffer.getStringAscii(index + TO_TCP_HEADER));
                return ControlledMessageHandler.Action.CONTINUE;
            }
            default ->
            {
                if (session.onMessage(type, buffer.getInt(index), toTcpMemory, index + TO_TCP_HEADER,
                    length - TO_TCP_HEADER))
                {
                    return ControlledMessageHandler.Action.CONTINUE;
                }
                // Refused (no room for the reply): offered again next cycle, unless the link incarnation it came on
                // is gone (the port is down before its LINK_DOWN is taken), as the link itself drops what it has not
                // delivered at a link down; the LINK_DOWN behind it aborts its sockets. Retrying it would block the
                // ring for ever.
                return port.isUp() ? ControlledMessageHandler.Action.ABORT : ControlledMessageHandler.Action.CONTINUE;
            }
        }
    }

    @Override
    public void onClose()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final int closedSockets = session.closeAll(ECONNABORTED);
        rings.socketsClosedAtStop(closedSockets);
        final long deadline = clock.nanoTime() + goodbyeTimeoutNs;
        // The link agent is still running: each RESET in toLink is on its way. Retry only while the ring is full,
        // and always give each RESET one chance, however short the timeout.
        while (true)
        {
            final int remaining = session.flushGoodbyes();
            port.publish();
            if (0 == remaining || clock.nanoTime() - deadline >= 0)
            {
                break;
            }
            Thread.onSpinWait();
        }
        try
        {
            // A closed channel's descriptor is released at the selector's next select: do it now, so every FIN
            // (and RST) is on the wire before the process goes.
            selector.selectNow();
            selector.close();
        }
        catch (final IOException ex)
        {
            events.event("selector-close-failed error=" + ex.getMessage());
        }
    }

    @Override
    public String roleName()
    {
        return "xts-proxy-tcp";
    }
}
