package io.xts.proxy;

import com.sun.management.ThreadMXBean;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import io.xts.nvme.PduHandler;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.protocol.UlpMessages;
import io.xts.protocol.XtsFrameDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DATA paths allocate nothing: with bytes streaming both ways through an established connection, the proxy's
 * duty cycles (link, selector, sockets) allocate no heap memory per message, measured by the JVM's per-thread
 * allocation counter around the agent's calls only (the app-host double on the same thread allocates freely). In the
 * two-thread mode, the link agent's calls on the test's thread plus everything the TCP agent's thread allocates
 * meanwhile. The NVMe/TCP offload's paths likewise: PDUs parsed from staging into PDU_HEADER and DDP_PLACE messages,
 * digests checked on the way in and written on the way out.
 */
class HotPathAllocationTest
{
    /** Peer threads of their own (the common pool may have a single thread on a small machine). */
    private static final Executor DAEMONS = r -> Thread.ofPlatform().daemon().start(r);
    private static final ThreadMXBean THREADS = (ThreadMXBean)ManagementFactory.getThreadMXBean();

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

    @Test
    void offloadedReceiveAndTransmitAllocateNothing() throws Exception
    {
        final int dataLength = 128 * 1024;
        // What the controller sends, over and over: a read's data for a registered command, a completion and an R2T
        // of commands without registrations. Digests on both.
        final Pdus.Stream block = new Pdus.Stream()
            .add(Pdus.c2hData(true, true, 0, 1, 0, Pdus.random(dataLength, 1), true, false))
            .add(Pdus.capsuleResp(true, 77))
            .add(Pdus.r2t(true, 78, 1, 0, 4096));
        final byte[] c2h = block.toArray();
        // What the app sends: write data in H2CData PDUs with zero placeholders where the digests go.
        final ByteArrayOutputStream h2cStream = new ByteArrayOutputStream();
        final byte[] h2cPdu = Pdus.h2cData(true, true, 0, 2, 1, 0, Pdus.random(8192, 2), true, true);
        while (h2cStream.size() < (48 << 20))
        {
            h2cStream.writeBytes(h2cPdu);
        }
        final byte[] h2c = h2cStream.toByteArray();
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch pushed = new CountDownLatch(1);
        final AtomicLong peerPdus = new AtomicLong();
        final AtomicLong peerDigestErrors = new AtomicLong();
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(ProxyHarness.Mode.ONE_THREAD, ProxyHarness.loopback(null)))
        {
            final CompletableFuture<String> peer = CompletableFuture.supplyAsync(() ->
            {
                try (Socket s = server.accept())
                {
                    final CompletableFuture<Void> writer = CompletableFuture.runAsync(() ->
                    {
                        try
                        {
                            final OutputStream out = s.getOutputStream();
                            // The controller speaks once the queue is offloaded (after ICResp, in real life).
                            pushed.await();
                            while (!stop.get())
                            {
                                out.write(c2h);
                            }
                        }
                        catch (final IOException | InterruptedException ex)
                        {
                            // the proxy closed the connection at the end
                        }
                    }, DAEMONS);
                    // Check what arrives as a controller would: every digest the proxy wrote must be right.
                    final PduParser parser = new PduParser(PduParser.Side.CONTROLLER, 1 << 20, new PduHandler()
                    {
                        @Override
                        public void onHeader(final PduHeader header)
                        {
                        }

                        @Override
                        public void onData(final PduHeader header, final long dataOffset, final MemorySegment memory,
                            final long offset, final int length)
                        {
                        }

                        @Override
                        public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
                        {
                            peerPdus.incrementAndGet();
                            if (!dataDigestOk)
                            {
                                peerDigestErrors.incrementAndGet();
                            }
                        }

                        @Override
                        public void onMalformed(final PduError error, final String reason)
                        {
                        }
                    }).expectInitialization(false).digests(true, true);
                    final byte[] buffer = new byte[65536];
                    final MemorySegment segment = MemorySegment.ofArray(buffer);
                    final InputStream in = s.getInputStream();
                    int n;
                    while ((n = in.read(buffer)) > 0)
                    {
                        parser.feed(segment, 0, n);
                    }
                    stop.set(true);
                    writer.get();
                    return parser.isFailed() ? parser.errorText() : null;
                }
                catch (final Exception ex)
                {
                    throw new RuntimeException(ex);
                }
            }, DAEMONS);
            h.up();
            final AppHost.Socket s = h.connected(1, new InetSocketAddress(server.getInetAddress(),
                server.getLocalPort()), 1 << 20);
            s.recordUlp = false;
            h.offer("ULP_PUSH", () -> h.host.ulpPush(1, true, true, 0, 0, 65536, 0, 0, 128));
            h.await("ULP_RESULT", () -> s.ulpErrno >= 0);
            assertEquals(0, s.ulpErrno);
            assertEquals(UlpMessages.RESULT_IN_SYNC, s.ulpState);
            h.offer("DDP_SETUP", () -> h.host.ddpSetup(1, 1, dataLength));
            h.await("DDP_SETUP handled", () -> 1 == h.counters.get("nvme-ddp-setup"));
            pushed.countDown();
            h.host.send(1, h2c, true);
            h.await("warm-up", () -> s.sent > h2c.length / 4 && s.lastPieces > 200);
            final long threadId = Thread.currentThread().threadId();
            final long calibrate = THREADS.getThreadAllocatedBytes(threadId);
            final long overhead = THREADS.getThreadAllocatedBytes(threadId) - calibrate;
            long allocated = 0;
            long cycles = 0;
            final long placesBefore = s.places;
            final long headersBefore = s.pduHeaders;
            final long dataInBefore = h.counters.get("data-msgs-app-to-tcp");
            final long digestsBefore = h.counters.get("nvme-tx-digests");
            final long placedBefore = h.counters.get("nvme-offload-bytes");
            while (s.sent < h2c.length * 3L / 4)
            {
                final long before = THREADS.getThreadAllocatedBytes(threadId);
                h.stepProxy();
                allocated += THREADS.getThreadAllocatedBytes(threadId) - before - overhead;
                cycles++;
                h.host.pump();
                h.app.doWork(System.nanoTime());
            }
            final long messages = s.places - placesBefore + s.pduHeaders - headersBefore +
                h.counters.get("data-msgs-app-to-tcp") - dataInBefore;
            final long placed = h.counters.get("nvme-offload-bytes") - placedBefore;
            final long digests = h.counters.get("nvme-tx-digests") - digestsBefore;
            assertTrue(placed > 0 && digests > 0, "both directions moved while measuring: " + placed +
                " B placed, " + digests + " digests written");
            assertTrue(allocated < messages, "bytes allocated by the proxy in " + cycles + " duty cycles moving " +
                messages + " offload messages (" + placed + " B placed, " + digests + " digests written): " +
                allocated);
            assertEquals(0, s.digestErrors);
            assertEquals(0, h.counters.get("nvme-drop"));
            h.await("all sent", () -> s.sent == h2c.length);
            h.await("the peer read it all", () -> peerPdus.get() == h2c.length / h2cPdu.length);
            h.offer("RESET", () -> h.host.raw(XtsFrameDescriptor.TYPE_SOCKET_RESET, 1, new byte[4]));
            h.await("freed", () -> 0 == h.connections());
            assertEquals(null, peer.get(), "the controller's parser");
            assertEquals(0, peerDigestErrors.get());
            assertTrue(NvmeTcp.TYPE_H2C_DATA == h2cPdu[0]);
        }
    }
}
