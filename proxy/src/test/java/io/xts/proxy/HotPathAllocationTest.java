package io.xts.proxy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DATA paths allocate nothing: with bytes streaming both ways through an established connection, the proxy's
 * duty cycles (link, selector, sockets) allocate no heap memory per message, measured by the JVM's per-thread
 * allocation counter around the agent's calls only (the app-host double on the same thread allocates freely). In the
 * two-thread mode, the link agent's calls on the test's thread plus everything the TCP agent's thread allocates
 * meanwhile.
 */
class HotPathAllocationTest
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void steadyStateDataBothWaysAllocatesNothing(final ProxyHarness.Mode mode) throws Exception
    {
        final int chunk = 64 * 1024;
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            final CompletableFuture<Long> peer = CompletableFuture.supplyAsync(() ->
            {
                try (Socket s = server.accept())
                {
                    // Echo: whatever the app sends comes back, so both directions are busy.
                    final InputStream in = s.getInputStream();
                    final OutputStream out = s.getOutputStream();
                    final byte[] buffer = new byte[chunk];
                    long echoed = 0;
                    int n;
                    while ((n = in.read(buffer)) > 0)
                    {
                        out.write(buffer, 0, n);
                        echoed += n;
                    }
                    return echoed;
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            h.up();
            final AppHost.Socket s = h.connected(1, new InetSocketAddress(server.getInetAddress(),
                server.getLocalPort()), 256 * 1024);
            final long total = 64L << 20;
            final byte[] data = new byte[(int)total];
            h.host.send(1, data, true);
            // Warm up: let every path run (and the JIT settle) before measuring.
            h.await("warm-up", () -> s.receivedBytes() > total / 4);
            final long threadId = Thread.currentThread().threadId();
            final long calibrate = THREADS.getThreadAllocatedBytes(threadId);
            final long overhead = THREADS.getThreadAllocatedBytes(threadId) - calibrate;
            long allocated = 0;
            long cycles = 0;
            final long appToTcpBefore = h.counters.get("bytes-app-to-tcp");
            final long tcpToAppBefore = h.counters.get("bytes-tcp-to-app");
            final long dataInBefore = h.counters.get("data-msgs-app-to-tcp");
            final long dataOutBefore = h.counters.get("data-msgs-tcp-to-app");
            final long tcpThreadId = null == h.tcpThread ? -1 : h.tcpThread.threadId();
            final long tcpBefore = -1 == tcpThreadId ? 0 : THREADS.getThreadAllocatedBytes(tcpThreadId);
            while (s.receivedBytes() < total * 3 / 4)
            {
                final long before = THREADS.getThreadAllocatedBytes(threadId);
                h.stepProxy();
                allocated += THREADS.getThreadAllocatedBytes(threadId) - before - overhead;
                cycles++;
                h.host.pump();
                h.app.doWork(System.nanoTime());
            }
            if (-1 != tcpThreadId)
            {
                allocated += THREADS.getThreadAllocatedBytes(tcpThreadId) - tcpBefore;
            }
            final long movedIn = h.counters.get("bytes-app-to-tcp") - appToTcpBefore;
            final long movedOut = h.counters.get("bytes-tcp-to-app") - tcpToAppBefore;
            final long messages = h.counters.get("data-msgs-app-to-tcp") - dataInBefore +
                h.counters.get("data-msgs-tcp-to-app") - dataOutBefore;
            assertTrue(movedIn > 0 && movedOut > 0, "both directions moved while measuring");
            // Zero in a JVM of its own; after other tests a one-off (a JDK queue growing once, a recompiled method
            // briefly interpreted) may show a few hundred bytes. Any allocation per DATA message, the smallest being
            // 16 bytes, would be at least 16 bytes per message: the bound is one byte per message.
            assertTrue(allocated < messages, "bytes allocated by the proxy in " + cycles + " duty cycles moving " +
                messages + " DATA messages (" + movedIn + " B in, " + movedOut + " B out): " + allocated);
            h.await("echo complete", () -> s.peerShutdown);
            assertEquals(total, peer.get());
        }
    }
}
