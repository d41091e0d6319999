package io.xts.proxy;

import io.xts.link.FrameTransport;
import io.xts.link.LinkConfig;
import io.xts.link.LinkCounters;
import io.xts.link.LinkState;
import io.xts.link.XtsLink;
import io.xts.proxy.config.ProxyConfig;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Selector;

import static io.xts.protocol.SocketMessages.ECONNABORTED;

/**
 * The one-thread mode's duty cycle as an Agrona {@link Agent}: drive the XTS link (receive the app's messages and act
 * on them, send what is queued), poll every kernel socket once with {@code selectNow} (connects completing, bytes to
 * read into DATA messages, room to write pending bytes, connections to accept), then send what sockets owe the app. One
 * thread does all of it, so the link, the socket table and the sockets need no locks and the hot paths no hand-off
 * (the session's {@link AppPort} is the link itself, {@link LinkPort}); run it with an
 * {@link org.agrona.concurrent.AgentRunner} and the idle strategy of the command line. The two-thread mode splits the
 * same work between a {@link LinkAgent} and a {@link TcpAgent}.
 * <p>
 * {@link #onClose()} is the orderly stop (SIGTERM): every TCP connection closed with FIN, every app socket told with
 * RESET ECONNABORTED, the link closed (RESET SHUTDOWN) so the app host sees the proxy go, and every kernel socket
 * really closed before it returns.
 */
public final class ProxyAgent implements Agent
{
    /** How long the stop waits for the app host to acknowledge the RESETs before closing the link. */
    static final long GOODBYE_TIMEOUT_NS = 1_000_000_000L;

    private final NanoClock clock;
    private final Selector selector;
    private final LinkSession session;
    private final XtsLink link;
    private final ProxyEvents events;
    private boolean closed;
    private long goodbyeTimeoutNs = GOODBYE_TIMEOUT_NS;

    /**
     * @param transport    the link's medium (owned by the caller, closed by it after this agent).
     * @param linkConfig   the link's settings.
     * @param config       allow-lists and limits.
     * @param counters     the proxy's counters.
     * @param linkCounters the link's counters.
     * @param events       where link events are reported.
     * @param clock        the time source.
     */
    public ProxyAgent(
        final FrameTransport transport, final LinkConfig linkConfig, final ProxyConfig config,
        final ProxyCounters counters, final LinkCounters linkCounters, final ProxyEvents events, final NanoClock clock)
    {
        this.clock = clock;
        this.events = events;
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open a selector", ex);
        }
        session = new LinkSession(config, counters, selector, events);
        link = new XtsLink(transport, linkConfig, session, linkCounters, clock.nanoTime());
        session.attach(new LinkPort(link));
    }

    /**
     * @param timeoutNs how long {@link #onClose()} waits for the app host to acknowledge the RESETs (tests whose app
     *                  end is driven by the same thread cannot acknowledge meanwhile).
     */
    void goodbyeTimeout(final long timeoutNs)
    {
        goodbyeTimeoutNs = timeoutNs;
    }

    /** @return the session of the link. */
    public LinkSession session()
    {
        return session;
    }

    /** @return the link. */
    public XtsLink link()
    {
        return link;
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
        int work = link.doWork(now);
        work += session.poll();
        work += session.doSocketWork(now);
        return work;
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
        final long deadline = clock.nanoTime() + goodbyeTimeoutNs;
        // Keep the link going until every RESET left and was acknowledged (frames are only safe once acked), but
        // always give each RESET one chance to leave, however short the timeout.
        int remaining;
        do
        {
            remaining = session.flushGoodbyes();
            link.doWork(clock.nanoTime());
        }
        while (clock.nanoTime() - deadline < 0 && LinkState.UP == link.state() && (remaining > 0 || !link.drained()));
        final boolean wasUp = LinkState.UP == link.state();
        link.close();
        if (wasUp)
        {
            events.event("link-down sockets_closed=" + closedSockets + " reason=proxy stopping (RESET SHUTDOWN sent)");
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
        events.event("stopped");
    }

    @Override
    public String roleName()
    {
        return "xts-proxy";
    }
}
