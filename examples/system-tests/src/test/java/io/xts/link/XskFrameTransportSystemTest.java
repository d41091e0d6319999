package io.xts.link;

import io.xts.test.Privileged;
import io.xts.test.TestNetwork;
import io.xts.xsk.AttachMode;
import io.xts.xsk.NetworkNamespace;
import io.xts.xsk.Umem;
import io.xts.xsk.XdpProgram;
import io.xts.xsk.XskSocket;
import io.xts.xsk.XskStatistics;
import io.xts.tools.traffic.TestFrame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * System test of {@link XskFrameTransport} on a real veth pair between two network namespaces, one transport on each
 * side with the steering program attached on both (both receive). Side A acquires frames, writes an Ethernet header,
 * a sequence number and a pattern into them in place, transmits and releases them at once; side B receives, checks
 * and recycles them. A keeps at most B's receive capacity unconsumed (B publishes its count only after the recycled
 * buffers are back on the fill ring), the stand-in for the link's credits, so nothing may be lost. Two more tests pin
 * the TX ownership rules: a frame sent twice arrives twice and is free only after its release and both completions,
 * and a frame released before its transmission completed is not handed out again early. Needs root; see
 * {@link Privileged}.
 */
@Tag("privileged")
@Tag("long")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class XskFrameTransportSystemTest
{
    /** veth MTU: the largest at which native XDP (single buffer) attaches to a veth with 4 KiB pages. */
    private static final int MTU = 3506;
    private static final int MAX_FRAME = MTU + TestFrame.ETH_HEADER;
    private static final int SMALLEST = 60;
    private static final int FRAMES = 200_000;
    private static final int BATCH = 32;
    private static final int POOL = 4096;
    private static final long DEADLINE_NS = 60_000_000_000L;
    private static final byte[] BROADCAST = TestFrame.parseMac("ff:ff:ff:ff:ff:ff");
    private static final byte[] SOURCE = TestFrame.parseMac("02:00:00:00:00:0a");

    private static TestNetwork net;

    @BeforeAll
    static void createNetwork()
    {
        Privileged.require("the XskFrameTransport system test");
        net = TestNetwork.create("--mtu", Integer.toString(MTU));
    }

    @AfterAll
    static void removeNetwork()
    {
        if (null != net)
        {
            net.close();
        }
    }

    @ParameterizedTest(name = "{0} attach")
    @ValueSource(strings = {"native", "skb"})
    void shouldDeliverEveryFrameInOrderWithinTheReceiveCapacity(final String mode) throws Exception
    {
        final AttachMode attach = AttachMode.parse(mode);
        final long vethDropsBefore = vethDrops();
        try (Side a = new Side("NS_APP", "IF_APP", attach); Side b = new Side("NS_PRX", "IF_PRX", attach))
        {
            final int window = b.call(() -> b.transport.receiveCapacity());
            assertEquals(POOL, window, "receive capacity is the RX pool");
            final AtomicLong consumed = new AtomicLong();
            final Future<Checker> received = b.submit(() -> receiveAll(b.transport, FRAMES, consumed));
            final long start = System.nanoTime();
            // In flight: no more than the 256-entry queue of a native-XDP veth (or the 1000-entry backlog of generic
            // XDP) can hold if its softirq runs late under load; the RX pool alone would allow more.
            final Future<Long> sent = a.submit(() -> sendAll(a.transport, FRAMES, Math.min(window, 256), consumed));
            assertEquals(FRAMES, sent.get(120, TimeUnit.SECONDS), "frames sent");
            final Checker checker = received.get(120, TimeUnit.SECONDS);
            final long nanos = System.nanoTime() - start;

            final XskStatistics rxStats = b.call(() -> b.transport.socket().statistics(new XskStatistics()));
            final XskStatistics txStats = a.call(() -> a.transport.socket().statistics(new XskStatistics()));
            final long[] txCounters = a.call(() -> new long[] {a.transport.framesSent(), a.transport.kicks(),
                a.transport.txRingFull(), a.transport.freeTransmitFrames(), a.transport.transmissionsInFlight()});
            final long rxFrames = b.call(() -> b.transport.framesReceived());
            System.out.printf(Locale.ROOT, "%s: %d frames of %d-%d B in %.3f s (%.3f Mpps, %.2f Gbit/s); " +
                "A sent %d, kicks %d, TX ring full %d; B received %d; B %s%n", mode, FRAMES, SMALLEST, MAX_FRAME,
                nanos / 1e9, FRAMES * 1e3 / nanos, checker.bytes * 8.0 / nanos, txCounters[0], txCounters[1],
                txCounters[2], rxFrames, rxStats);

            assertEquals(FRAMES, checker.received, "frames received");
            assertEquals(0, checker.seqErrors, "frames missing or out of order");
            assertEquals(0, checker.payloadErrors, "frames with a wrong header, length or payload");
            assertEquals(FRAMES, txCounters[0], "A's framesSent");
            assertEquals(FRAMES, rxFrames, "B's framesReceived");
            assertTrue(txCounters[1] > 0, "A kicked the kernel");
            assertEquals(POOL, txCounters[3], "every TX frame free again after release and completion");
            assertEquals(0, txCounters[4], "no transmission in flight");
            assertEquals(0, rxStats.rxDropped, "rx_dropped");
            assertEquals(0, rxStats.rxRingFull, "rx_ring_full");
            assertEquals(0, rxStats.rxInvalidDescs, "rx_invalid_descs");
            assertEquals(0, txStats.txInvalidDescs, "tx_invalid_descs");
        }
        assertEquals(vethDropsBefore, vethDrops(), "drops in the veth pair's own counters");
    }

    @Test
    void shouldDeliverARetransmissionAndFreeTheFrameOnlyAfterReleaseAndBothCompletions() throws Exception
    {
        try (Side a = new Side("NS_APP", "IF_APP", AttachMode.NATIVE);
            Side b = new Side("NS_PRX", "IF_PRX", AttachMode.NATIVE))
        {
            final long seq = 77;
            final int length = 1000;
            a.call(() ->
            {
                final XskFrameTransport t = a.transport;
                final long frame = t.acquire();
                write(t.memory(), frame, seq, length);
                assertTrue(t.transmit(frame, length), "first transmission queued");
                assertTrue(t.transmit(frame, length), "retransmission queued before the first completed");
                assertEquals(2, t.transmissionsInFlight());
                flushUntilCompleted(t);
                assertEquals(2, t.framesSent());
                assertEquals(POOL - 1, t.freeTransmitFrames(), "both completed, but not released: still held");
                assertThrows(IllegalStateException.class, () -> t.recycle(frame), "a TX frame cannot be recycled");
                t.release(frame);
                assertEquals(POOL, t.freeTransmitFrames(), "released with nothing in flight: free");
                assertThrows(IllegalStateException.class, () -> t.release(frame), "a double release is caught");
                return null;
            });
            final Checker checker = b.call(() -> receiveCopies(b.transport, 2, seq, length));
            assertEquals(2, checker.received, "both transmissions arrived");
            assertEquals(0, checker.payloadErrors, "both intact");
            assertDropFree(a, b);
        }
    }

    @Test
    void shouldNotFreeAFrameReleasedBeforeItsTransmissionCompleted() throws Exception
    {
        try (Side a = new Side("NS_APP", "IF_APP", AttachMode.NATIVE);
            Side b = new Side("NS_PRX", "IF_PRX", AttachMode.NATIVE))
        {
            final long seq = 5;
            final int length = 300;
            a.call(() ->
            {
                final XskFrameTransport t = a.transport;
                final long frame = t.acquire();
                write(t.memory(), frame, seq, length);
                // Queued but not flushed: the kernel has not even seen it, so it cannot have completed.
                assertTrue(t.transmit(frame, length));
                t.release(frame);
                assertEquals(POOL - 1, t.freeTransmitFrames(), "released while in flight: not free yet");
                assertThrows(IllegalStateException.class, () -> t.transmit(frame, length),
                    "a released frame cannot be sent again");
                final long other = t.acquire();
                assertNotEquals(frame, other, "the in-flight frame must not be handed out again");
                t.release(other);
                assertEquals(POOL - 1, t.freeTransmitFrames(), "a frame never sent is free on release");
                flushUntilCompleted(t);
                assertEquals(POOL, t.freeTransmitFrames(), "free once its transmission completed");
                assertEquals(frame, t.acquire(), "the completed frame is the most recently freed");
                return null;
            });
            final Checker checker = b.call(() -> receiveCopies(b.transport, 1, seq, length));
            assertEquals(1, checker.received);
            assertEquals(0, checker.payloadErrors);
            assertDropFree(a, b);
        }
    }

    private static void assertDropFree(final Side a, final Side b) throws Exception
    {
        final XskStatistics rx = b.call(() -> b.transport.socket().statistics(new XskStatistics()));
        final XskStatistics tx = a.call(() -> a.transport.socket().statistics(new XskStatistics()));
        assertEquals(0, rx.rxLost(), "receiver lost frames: " + rx);
        assertEquals(0, tx.txInvalidDescs, "tx_invalid_descs");
    }

    /** Frame length by sequence number: every length from the smallest to the largest comes up. */
    private static int lengthOf(final long seq)
    {
        return SMALLEST + (int)((seq * 37) % (MAX_FRAME - SMALLEST + 1));
    }

    private static void write(final MemorySegment memory, final long frame, final long seq, final int length)
    {
        TestFrame.writeHeader(memory, frame, BROADCAST, SOURCE);
        TestFrame.writeSeq(memory, frame, seq);
        TestFrame.writePattern(memory, frame, length, seq);
    }

    private static long sendAll(
        final XskFrameTransport t, final long frames, final long window, final AtomicLong consumed)
    {
        final MemorySegment memory = t.memory();
        final long deadline = System.nanoTime() + DEADLINE_NS;
        long seq = 0;
        while (seq < frames)
        {
            int queued = 0;
            while (queued < BATCH && seq < frames && seq - consumed.get() < window)
            {
                final long frame = t.acquire();
                if (frame < 0)
                {
                    break;
                }
                final int length = lengthOf(seq);
                write(memory, frame, seq, length);
                final boolean accepted = t.transmit(frame, length);
                // Released at once, before completion: the transport frees it when the kernel is done with it.
                t.release(frame);
                if (!accepted)
                {
                    break;
                }
                seq++;
                queued++;
            }
            t.flush();
            if (System.nanoTime() - deadline > 0)
            {
                fail("sender stuck at " + seq + " of " + frames + ", receiver consumed " + consumed.get());
            }
        }
        flushUntilCompleted(t);
        return seq;
    }

    private static void flushUntilCompleted(final XskFrameTransport t)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (t.transmissionsInFlight() > 0)
        {
            t.flush();
            if (System.nanoTime() - deadline > 0)
            {
                fail(t.transmissionsInFlight() + " transmissions never completed");
            }
        }
    }

    private static Checker receiveAll(final XskFrameTransport t, final long frames, final AtomicLong consumed)
    {
        final Checker checker = new Checker(t, -1, 0);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (checker.received < frames)
        {
            final int n = t.receive(checker, 64);
            // Recycled buffers go back on the fill ring here; only then may the sender count them as free.
            t.flush();
            if (n > 0)
            {
                consumed.set(checker.received);
            }
            else
            {
                Thread.onSpinWait();
                if (System.nanoTime() - deadline > 0)
                {
                    fail("receiver got " + checker.received + " of " + frames + " frames");
                }
            }
        }
        return checker;
    }

    private static Checker receiveCopies(final XskFrameTransport t, final int copies, final long seq, final int length)
    {
        final Checker checker = new Checker(t, seq, length);
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (checker.received < copies && System.nanoTime() - deadline < 0)
        {
            t.receive(checker, 64);
            t.flush();
        }
        final long quiet = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() - quiet < 0)
        {
            t.receive(checker, 64);
        }
        t.flush();
        return checker;
    }

    /** Checks each received frame and recycles it. */
    private static final class Checker implements FrameTransport.FrameHandler
    {
        private final XskFrameTransport transport;
        /** Sequence number every frame must carry, or -1 for consecutive numbers from 0. */
        private final long fixedSeq;
        private final int fixedLength;
        private long expectedSeq;
        private long received;
        private long bytes;
        private long seqErrors;
        private long payloadErrors;

        Checker(final XskFrameTransport transport, final long fixedSeq, final int fixedLength)
        {
            this.transport = transport;
            this.fixedSeq = fixedSeq;
            this.fixedLength = fixedLength;
        }

        @Override
        public void onFrame(final MemorySegment memory, final long frame, final int length)
        {
            final long seq = TestFrame.readSeq(memory, frame);
            final long wantedSeq = fixedSeq >= 0 ? fixedSeq : expectedSeq;
            final int wantedLength = fixedSeq >= 0 ? fixedLength : lengthOf(seq);
            if (seq != wantedSeq)
            {
                seqErrors++;
            }
            expectedSeq = seq + 1;
            if (length != wantedLength || TestFrame.ETHERTYPE != TestFrame.etherType(memory, frame) ||
                !isBroadcast(memory, frame) || !TestFrame.checkPattern(memory, frame, length, seq))
            {
                payloadErrors++;
            }
            received++;
            bytes += length;
            transport.recycle(frame);
        }

        private static boolean isBroadcast(final MemorySegment memory, final long frame)
        {
            for (int i = 0; i < 6; i++)
            {
                if (-1 != memory.get(ValueLayout.JAVA_BYTE, frame + i))
                {
                    return false;
                }
            }
            return true;
        }
    }

    /** Drops the veths count themselves (invisible to XDP_STATISTICS). */
    private static long vethDrops()
    {
        long drops = 0;
        for (final String[] nsIf : new String[][] {{"NS_APP", "IF_APP"}, {"NS_PRX", "IF_PRX"}})
        {
            for (final String counter : new String[] {"rx_dropped", "tx_dropped"})
            {
                drops += Long.parseLong(net.exec(net.get(nsIf[0]), "cat",
                    "/sys/class/net/" + net.get(nsIf[1]) + "/statistics/" + counter).trim());
            }
        }
        return drops;
    }

    /**
     * One end: a platform thread inside a namespace that owns the steering program, the UMEM, the socket and the
     * transport over them, and runs every task on them (a transport is driven by one thread).
     */
    private static final class Side implements AutoCloseable
    {
        private final ExecutorService thread;
        private final String namespace;
        private boolean entered;
        private XdpProgram program;
        private XskFrameTransport transport;

        Side(final String namespaceVar, final String ifnameVar, final AttachMode mode) throws Exception
        {
            namespace = net.get(namespaceVar);
            thread = Executors.newSingleThreadExecutor(
                task -> Thread.ofPlatform().name("xsk-" + namespace).daemon(true).unstarted(task));
            try
            {
                call(() ->
                {
                    open(net.get(ifnameVar), mode);
                    return null;
                });
            }
            catch (final Exception ex)
            {
                thread.shutdownNow();
                throw ex;
            }
        }

        private void open(final String ifname, final AttachMode mode)
        {
            program = XdpProgram.steering(ifname, mode, false);
            Umem umem = null;
            XskSocket socket = null;
            try
            {
                umem = new Umem(new Umem.Config(2 * POOL, 4096, 0, POOL, POOL));
                socket = XskSocket.open(XskSocket.Config.of(ifname, 0).rings(POOL, POOL), umem, program);
                transport = new XskFrameTransport(socket, umem, POOL, POOL, MAX_FRAME);
            }
            catch (final RuntimeException ex)
            {
                if (null != socket)
                {
                    socket.close();
                }
                if (null != umem)
                {
                    umem.close();
                }
                program.close();
                program = null;
                throw ex;
            }
        }

        <T> Future<T> submit(final Callable<T> task)
        {
            return thread.submit(() ->
            {
                if (!entered)
                {
                    NetworkNamespace.enter(namespace);
                    entered = true;
                }
                return task.call();
            });
        }

        <T> T call(final Callable<T> task) throws Exception
        {
            return submit(task).get(60, TimeUnit.SECONDS);
        }

        /** Close the transport and detach the program on the side's thread (detaching needs its namespace). */
        @Override
        public void close()
        {
            try
            {
                call(() ->
                {
                    try
                    {
                        if (null != transport)
                        {
                            transport.close();
                        }
                    }
                    finally
                    {
                        if (null != program)
                        {
                            program.close();
                        }
                    }
                    return null;
                });
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted closing " + namespace, ex);
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException("closing " + namespace + " failed", ex);
            }
            finally
            {
                thread.shutdown();
            }
        }
    }
}
