package io.xts.proxy;

import io.xts.link.InProcessTransport;
import io.xts.link.LinkConfig;
import io.xts.link.LinkCounters;
import io.xts.link.LinkState;
import io.xts.link.XtsLink;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A proxy ({@link ProxyAgent}) and an app host ({@link AppHost} on a plain {@link XtsLink}) joined by the in-process
 * transport pair, both driven by the test's thread on the real clock (the TCP peers are real sockets), so every
 * test runs unprivileged.
 */
final class ProxyHarness implements AutoCloseable
{
    static final int FRAME = 2048;
    static final int TX_FRAMES = 512;
    static final int RX_FRAMES = 256;
    static final long WAIT_MS = 10_000;

    final InProcessTransport proxyTransport;
    final InProcessTransport appTransport;
    final ProxyCounters counters;
    final ProxyAgent agent;
    final AppHost host = new AppHost();
    final XtsLink app;
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    ProxyHarness(final ProxyConfig config)
    {
        final InProcessTransport[] pair = InProcessTransport.pair(FRAME, TX_FRAMES, RX_FRAMES, 1024);
        proxyTransport = pair[0];
        appTransport = pair[1];
        final CountersManager countersManager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)));
        counters = new ProxyCounters(countersManager, "test");
        agent = new ProxyAgent(proxyTransport, LinkConfig.defaults(), config, counters,
            new LinkCounters(countersManager, "proxy"), events::add, new SystemNanoClock());
        app = new XtsLink(appTransport, LinkConfig.defaults(), host, new LinkCounters(countersManager, "app"),
            System.nanoTime());
        host.link = app;
        // The app end cannot acknowledge while the proxy's stop runs on this same thread: do not wait for it.
        agent.goodbyeTimeout(0);
    }

    /** Test configuration: loopback of both families allowed for connect and listen. */
    static ProxyConfig loopback(final String limits)
    {
        return ProxyConfig.parse("{\"allow\": {\"connect\": [{\"cidr\": \"127.0.0.0/8\"}, {\"cidr\": \"::1/128\"}]," +
            " \"listen\": {\"addresses\": [\"127.0.0.0/8\", \"::1/128\"]}}" +
            (null == limits ? "" : ", \"limits\": " + limits) + "}");
    }

    void step()
    {
        try
        {
            agent.doWork();
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
        host.pump();
        app.doWork(System.nanoTime());
    }

    void up()
    {
        await("link up", () -> LinkState.UP == app.state() && LinkState.UP == agent.link().state());
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

    AppHost.Socket connected(final int id, final java.net.InetSocketAddress remote, final int window)
    {
        offer("CONNECT " + id, () -> host.connect(id, remote, window, 0));
        final AppHost.Socket s = host.socket(id);
        await("CONNECT_RESULT " + id, () -> s.connectErrno >= 0);
        assertEquals(0, s.connectErrno, "connect " + id + " errno");
        return s;
    }

    @Override
    public void close()
    {
        agent.onClose();
        app.close();
        proxyTransport.close();
        appTransport.close();
    }
}
