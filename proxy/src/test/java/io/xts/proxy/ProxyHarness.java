package io.xts.proxy;

import io.xts.link.InProcessTransport;
import io.xts.link.LinkConfig;
import io.xts.link.LinkCounters;
import io.xts.link.LinkState;
import io.xts.link.XtsLink;
import io.xts.proxy.config.ProxyConfig;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A proxy and an app host ({@link AppHost} on a plain {@link XtsLink}) joined by the in-process transport pair, on
 * the real clock (the TCP peers are real sockets), so every test runs unprivileged. Two modes:
 * <ul>
 * <li>{@link Mode#ONE_THREAD}: the {@link ProxyAgent}, driven by the test's thread with the app end.</li>
 * <li>{@link Mode#TWO_THREADS}: the {@link LinkAgent} driven by the test's thread with the app end (the in-process
 * transport pair is single-threaded), the {@link TcpAgent} on its own {@link AgentRunner} thread, so every message
 * really crosses threads through the rings.</li>
 * </ul>
 * What the proxy's session knows is read through its counters (gauges of sockets, listeners, links up), which are
 * safe to read from any thread.
 */
final class ProxyHarness implements AutoCloseable
{
    enum Mode
    {
        ONE_THREAD,
        TWO_THREADS
    }

    static final int FRAME = 2048;
    static final int TX_FRAMES = 512;
    static final int RX_FRAMES = 256;
    static final long WAIT_MS = 10_000;
    /** Small rings, so that tests also see them fill and wrap. */
    static final int RING_CAPACITY = 256 * 1024;

    final Mode mode;
    final ProxyConfig config;
    final InProcessTransport proxyTransport;
    final InProcessTransport appTransport;
    final ProxyCounters counters;
    /** One-thread mode's agent, else null. */
    final ProxyAgent agent;
    /** Two-thread mode's agents and rings, else null. */
    final LinkAgent linkAgent;
    final TcpAgent tcpAgent;
    final ProxyRings rings;
    final AgentRunner tcpRunner;
    final Thread tcpThread;
    final AppHost host = new AppHost();
    final XtsLink app;
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    /** Two-thread mode: while set, the TCP agent's thread does no work (to fill the toTcp ring on purpose). */
    volatile boolean tcpPaused;
    /** Two-thread mode: duty cycles the TCP agent's thread has finished (one writer), for tests that wait on them. */
    volatile long tcpCycles;
    private boolean stopped;

    ProxyHarness(final ProxyConfig config)
    {
        this(Mode.ONE_THREAD, config);
    }

    ProxyHarness(final Mode mode, final ProxyConfig config)
    {
        this(mode, config, RING_CAPACITY);
    }

    ProxyHarness(final Mode mode, final ProxyConfig config, final int ringCapacity)
    {
        this.mode = mode;
        this.config = config;
        final InProcessTransport[] pair = InProcessTransport.pair(FRAME, TX_FRAMES, RX_FRAMES, 1024);
        proxyTransport = pair[0];
        appTransport = pair[1];
        final CountersManager countersManager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)));
        counters = new ProxyCounters(countersManager, "test");
        final LinkCounters linkCounters = new LinkCounters(countersManager, "proxy");
        if (Mode.ONE_THREAD == mode)
        {
            agent = new ProxyAgent(proxyTransport, LinkConfig.defaults(), config, counters, linkCounters, events::add,
                new SystemNanoClock());
            // The app end cannot acknowledge while the proxy's stop runs on this same thread: do not wait for it.
            agent.goodbyeTimeout(0);
            linkAgent = null;
            tcpAgent = null;
            rings = null;
            tcpRunner = null;
            tcpThread = null;
        }
        else
        {
            agent = null;
            rings = new ProxyRings(ringCapacity);
            tcpAgent = new TcpAgent(rings, config, counters, events::add, new SystemNanoClock());
            linkAgent = new LinkAgent(proxyTransport, LinkConfig.defaults(), rings, counters, linkCounters,
                events::add, new SystemNanoClock());
            tcpAgent.goodbyeTimeout(0);
            linkAgent.goodbyeTimeout(0);
            final Agent pausable = new Agent()
            {
                @Override
                public int doWork() throws Exception
                {
                    try
                    {
                        return tcpPaused ? 0 : tcpAgent.doWork();
                    }
                    finally
                    {
                        tcpCycles = tcpCycles + 1;
                    }
                }

                @Override
                public void onClose()
                {
                    tcpAgent.onClose();
                }

                @Override
                public String roleName()
                {
                    return tcpAgent.roleName();
                }
            };
            tcpRunner = new AgentRunner(new BackoffIdleStrategy(), ex -> events.add("error " + ex), null, pausable);
            tcpThread = AgentRunner.startOnThread(tcpRunner);
        }
        app = new XtsLink(appTransport, LinkConfig.defaults(), host, new LinkCounters(countersManager, "app"),
            System.nanoTime());
        host.link = app;
    }

    /** Test configuration: loopback of both families allowed for connect and listen. */
    static ProxyConfig loopback(final String limits)
    {
        return ProxyConfig.parse("{\"allow\": {\"connect\": [{\"cidr\": \"127.0.0.0/8\"}, {\"cidr\": \"::1/128\"}]," +
            " \"listen\": {\"addresses\": [\"127.0.0.0/8\", \"::1/128\"]}}" +
            (null == limits ? "" : ", \"limits\": " + limits) + "}");
    }

    /** The proxy's link (driven by this thread in both modes). */
    XtsLink proxyLink()
    {
        return Mode.ONE_THREAD == mode ? agent.link() : linkAgent.link();
    }

    /** One duty cycle of what this thread drives on the proxy: everything, or the link agent. */
    void stepProxy()
    {
        try
        {
            if (Mode.ONE_THREAD == mode)
            {
                agent.doWork();
            }
            else
            {
                linkAgent.doWork();
            }
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    void step()
    {
        stepProxy();
        host.pump();
        app.doWork(System.nanoTime());
    }

    void up()
    {
        await("link up", () -> LinkState.UP == app.state() && LinkState.UP == proxyLink().state() &&
            1 == counters.get("links-up"));
    }

    void await(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + WAIT_MS * 1_000_000L;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out waiting for " + what + "; events " + events + "; errors " + host.errors);
            }
            step();
        }
    }

    /** Keep both ends running for a while (for "nothing more happens" checks). */
    void run(final long millis)
    {
        final long until = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() - until < 0)
        {
            step();
        }
    }

    /** Offer a message until the link takes it. */
    void offer(final String what, final BooleanSupplier offer)
    {
        await(what, offer);
    }

    AppHost.Socket connected(final int id, final InetSocketAddress remote, final int window)
    {
        offer("CONNECT " + id, () -> host.connect(id, remote, window, 0));
        final AppHost.Socket s = host.socket(id);
        await("CONNECT_RESULT " + id, () -> s.connectErrno >= 0);
        assertEquals(0, s.connectErrno, "connect " + id + " errno");
        return s;
    }

    /** @return the proxy's session of the link (the one agent's, or the TCP agent's). */
    LinkSession session()
    {
        return Mode.ONE_THREAD == mode ? agent.session() : tcpAgent.session();
    }

    /** @return the proxy's connections on the link (its gauge). */
    long connections()
    {
        return counters.get("sockets-open");
    }

    /** @return the proxy's listeners on the link (its gauge). */
    long listeners()
    {
        return counters.get("listeners-open");
    }

    /** @return the send windows granted in total (its gauge). */
    long bytesInFlight()
    {
        return counters.get("bytes-in-flight-granted");
    }

    /** @return whether the proxy's session has the link up (its gauge). */
    boolean sessionUp()
    {
        return 1 == counters.get("links-up");
    }

    /** The orderly stop (SIGTERM), in the order the command runs it. */
    void stopProxy()
    {
        if (stopped)
        {
            return;
        }
        stopped = true;
        if (Mode.ONE_THREAD == mode)
        {
            agent.onClose();
        }
        else
        {
            tcpRunner.close();
            linkAgent.onClose();
        }
    }

    @Override
    public void close()
    {
        stopProxy();
        app.close();
        proxyTransport.close();
        appTransport.close();
        if (null != rings)
        {
            rings.close();
        }
    }
}
