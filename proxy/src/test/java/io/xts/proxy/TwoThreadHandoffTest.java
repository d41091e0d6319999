package io.xts.proxy;

import io.xts.link.LinkConfig;
import io.xts.link.LinkCounters;
import io.xts.link.LinkState;
import io.xts.link.XtsLink;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static io.xts.protocol.SocketMessages.EACCES;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The two-thread mode's hand-off under pressure: each ring is filled on purpose (its consumer held back), which must
 * only hold the producer back (the TCP agent stops reading TCP; the link holds the app's frames), never lose or
 * reorder a byte.
 */
class TwoThreadHandoffTest
{
    /** The smallest ring: much less than one socket's window, so it fills. */
    private static final int RING = 64 * 1024;

    private static byte[] pattern(final int length, final long seed)
    {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static void awaitUnstepped(final String what, final ProxyHarness h, final BooleanSupplier condition)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out waiting for " + what + "; events " + h.events + " tcp-to-app " +
                    h.counters.get("bytes-tcp-to-app") + " data " + h.counters.get("data-msgs-tcp-to-app") +
                    " full " + h.counters.get("ring-full-to-link") + " size " + h.rings.toLink.size());
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void fullRingsHoldTheProducersBackAndLoseNothing() throws Exception
    {
        final int size = 1 << 20;
        final byte[] toPeer = pattern(size, 11);
        final byte[] toApp = pattern(size, 12);
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(ProxyHarness.Mode.TWO_THREADS, ProxyHarness.loopback(null), RING))
        {
            // Plain threads: the common pool may have a single worker on a small machine, and the peer must write
            // while it reads.
            final CompletableFuture<byte[]> peerReceived = new CompletableFuture<>();
            final Thread peerThread = Thread.ofPlatform().name("peer").start(() ->
            {
                try (Socket peer = server.accept())
                {
                    final Thread writer = Thread.ofPlatform().name("peer-writer").start(() ->
                    {
                        try
                        {
                            peer.getOutputStream().write(toApp);
                            peer.shutdownOutput();
                        }
                        catch (final IOException ex)
                        {
                            throw new RuntimeException(ex);
                        }
                    });
                    final InputStream in = peer.getInputStream();
                    final byte[] got = in.readAllBytes();
                    writer.join(10_000);
                    peerReceived.complete(got);
                }
                catch (final Exception ex)
                {
                    peerReceived.completeExceptionally(ex);
                }
            });
            h.up();
            final AppHost.Socket s = h.connected(1, new InetSocketAddress(server.getInetAddress(),
                server.getLocalPort()), 256 * 1024);
            // toLink: the link agent (this thread) stands still while the TCP agent reads the peer's bytes, up to
            // the app's credit (4 rings' worth): the ring fills and the TCP agent must stop reading.
            awaitUnstepped("toLink full", h, () -> h.counters.get("ring-full-to-link") > 0);
            // The TCP agent may still be finishing the duty cycle in which it found the ring full (its counters are
            // updated after its claims): let that cycle end, then no further read may happen in the next 100 duty
            // cycles (counted, not timed).
            final long fullAt = h.tcpCycles;
            awaitUnstepped("the TCP agent's cycle that found the ring full ended", h, () -> h.tcpCycles >= fullAt + 2);
            final long readWhileFull = h.counters.get("bytes-tcp-to-app");
            final long readAt = h.tcpCycles;
            awaitUnstepped("100 more TCP duty cycles", h, () -> h.tcpCycles >= readAt + 100);
            assertEquals(readWhileFull, h.counters.get("bytes-tcp-to-app"), "no read while the ring is full");
            // What was read from TCP and has not reached the app (the link agent delivered some while the test set
            // up the connection) is what the ring holds: it fits in the ring.
            final long inRing = readWhileFull - s.receivedBytes();
            assertTrue(inRing <= RING, "what was read and not delivered fits in the ring: " + inRing + " of " +
                readWhileFull + " read, " + s.receivedBytes() + " delivered");
            // toTcp: the TCP agent stands still while the app sends a window's worth: the ring fills, the link
            // holds the app's frames.
            h.tcpPaused = true;
            h.host.send(1, toPeer, true);
            h.await("toTcp full", () -> h.counters.get("ring-full-to-tcp") > 0);
            h.tcpPaused = false;
            h.await("all peer bytes and SHUTDOWN at the app", () -> s.peerShutdown && s.receivedBytes() == size);
            h.await("the peer read everything", peerReceived::isDone);
            assertArrayEquals(toPeer, peerReceived.get(), "app -> peer bytes");
            assertArrayEquals(toApp, s.received.toByteArray(), "peer -> app bytes");
            assertEquals(0, s.creditOverruns, "the proxy stayed within the app's credit");
            assertTrue(h.host.errors.isEmpty(), "no errors: " + h.host.errors);
            h.offer("CLOSE", () -> h.host.empty(TYPE_SOCKET_CLOSE, 1));
            h.await("socket freed", () -> 0 == h.connections());
            peerThread.join(10_000);
        }
    }

    /**
     * The link goes down while the TCP agent has not yet taken a message whose answer needs the link (a refused
     * CONNECT): the message belongs to a link incarnation that is gone and is dropped, as the link drops what it has
     * not delivered, so the LINK_DOWN and LINK_UP behind it are taken and the next app host is served.
     */
    @Test
    void messagesOfAGoneLinkDoNotBlockTheNextOne() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(ProxyHarness.Mode.TWO_THREADS, ProxyHarness.loopback(null), RING))
        {
            h.up();
            h.tcpPaused = true;
            // Outside the allow-list: the answer is an immediate CONNECT_RESULT EACCES, which needs the link.
            h.offer("CONNECT", () -> h.host.connect(1, new InetSocketAddress("192.0.2.1", 80), 65536, 0));
            h.await("CONNECT in the ring", () -> h.rings.toTcp.size() > 0);
            h.app.close();
            h.await("proxy link down", () -> LinkState.UP != h.proxyLink().state());
            // A new app host on the same wire (the old end, closed, must not be driven any more: it would swallow
            // the frames).
            final AppHost host = new AppHost();
            final CountersManager countersManager = new CountersManager(new UnsafeBuffer(
                ByteBuffer.allocateDirect(1 << 16)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 14)));
            final XtsLink app = new XtsLink(h.appTransport, LinkConfig.defaults(), host,
                new LinkCounters(countersManager, "app2"), System.nanoTime());
            host.link = app;
            try
            {
                final BooleanSupplier[] condition = new BooleanSupplier[1];
                final Runnable await = () ->
                {
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (!condition[0].getAsBoolean())
                    {
                        if (System.nanoTime() - deadline > 0)
                        {
                            fail("timed out; events " + h.events + "; errors " + host.errors);
                        }
                        h.stepProxy();
                        host.pump();
                        app.doWork(System.nanoTime());
                    }
                };
                condition[0] = () -> LinkState.UP == app.state() && LinkState.UP == h.proxyLink().state();
                await.run();
                h.tcpPaused = false;
                condition[0] = () -> host.connect(2, new InetSocketAddress(server.getInetAddress(),
                    server.getLocalPort()), 65536, 0);
                await.run();
                condition[0] = () -> host.socket(2).connectErrno >= 0;
                await.run();
                assertEquals(0, host.socket(2).connectErrno, "the new app host is served");
                assertFalse(host.sockets.containsKey(1), "nothing of the old link reached the new one");
                assertEquals(0, h.counters.get("refused-allow-list"), "the old CONNECT was dropped, not answered");
                assertTrue(h.events.stream().anyMatch(e -> e.startsWith("link-down ")), h.events.toString());
                host.socket(1);
                condition[0] = () -> host.connect(3, new InetSocketAddress("192.0.2.1", 80), 65536, 0);
                await.run();
                condition[0] = () -> host.socket(3).connectErrno >= 0;
                await.run();
                assertEquals(EACCES, host.socket(3).connectErrno, "the same refusal on the new link is answered");
            }
            finally
            {
                app.close();
            }
        }
    }
}
