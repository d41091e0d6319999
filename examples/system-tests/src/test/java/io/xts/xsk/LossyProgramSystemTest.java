package io.xts.xsk;

import io.xts.test.Privileged;
import io.xts.test.TestNetwork;
import io.xts.tools.traffic.FrameGenerator;
import io.xts.tools.traffic.FrameSink;
import io.xts.tools.traffic.TestFrame;
import io.xts.tools.traffic.TrafficResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * System test of the loss-injecting XDP program ({@link LossyProgram}) on a veth pair between two namespaces: the
 * reference {@link FrameGenerator} sends to a {@link FrameSink} whose socket is steered by the lossy program. With a
 * drop probability configured, about that fraction of the frames must be missing and the program's counters must
 * account for every frame (dropped + received = sent); with none, every frame must arrive. The sender's window
 * counts dropped frames as consumed, so the receiver's rings never overflow and the program is the only source of
 * loss. Needs root; see {@link Privileged}.
 */
@Tag("privileged")
@Tag("long")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LossyProgramSystemTest
{
    private static final long FRAMES = 100_000;
    private static final int SIZE = 256;

    private static TestNetwork net;

    @BeforeAll
    static void createNetwork()
    {
        Privileged.require("the lossy XDP program system test");
        net = TestNetwork.create();
    }

    @AfterAll
    static void removeNetwork()
    {
        if (null != net)
        {
            net.close();
        }
    }

    @Test
    void shouldDropTheConfiguredFractionAndCountEveryFrame() throws Exception
    {
        final Outcome o = run(100_000, AttachMode.NATIVE);
        System.out.println("10% loss: sent " + o.tx.frames() + ", received " + o.rx.frames() + ", dropped " +
            o.dropped + ", passed " + o.passed + "; " + o.rx.stats());
        assertEquals(FRAMES, o.tx.frames(), "frames sent");
        assertEquals(FRAMES, o.dropped + o.rx.frames(), "dropped + received must be every frame sent");
        assertEquals(o.rx.frames(), o.passed, "frames passed by the program are the frames received");
        final double ratio = (double)o.rx.frames() / FRAMES;
        assertTrue(ratio > 0.88 && ratio < 0.92, "received fraction " + ratio + " should be 0.90 +- 0.02");
        assertEquals(0, o.rx.stats().rxLost(), "the socket itself lost frames: " + o.rx.stats());
        assertEquals(0, o.rx.payloadErrors(), "corrupted frames");
    }

    @Test
    void shouldDeliverEveryFrameWithNoLossConfigured() throws Exception
    {
        final Outcome o = run(0, AttachMode.SKB);
        System.out.println("no loss: sent " + o.tx.frames() + ", received " + o.rx.frames() + ", dropped " +
            o.dropped + ", passed " + o.passed);
        assertEquals(FRAMES, o.tx.frames(), "frames sent");
        assertEquals(FRAMES, o.rx.frames(), "frames received");
        assertEquals(0, o.rx.seqErrors(), "frames missing or out of order");
        assertEquals(0, o.dropped, "frames dropped");
        assertEquals(FRAMES, o.passed, "frames passed");
    }

    @Test
    void shouldRejectAnOutOfRangeProbability() throws Exception
    {
        NetworkNamespace.run(net.get("NS_PRX"), "lossy-range", () ->
        {
            try (LossyProgram lossy = LossyProgram.attach(net.get("IF_PRX"), AttachMode.SKB))
            {
                assertEquals(0, lossy.dropPartsPerMillion(), "drops nothing until configured");
                lossy.setDropPartsPerMillion(LossyProgram.ALWAYS);
                assertEquals(LossyProgram.ALWAYS, lossy.dropPartsPerMillion());
                assertThrows(IllegalArgumentException.class, () -> lossy.setDropPartsPerMillion(-1));
                assertThrows(IllegalArgumentException.class, () -> lossy.setDropPartsPerMillion(1_000_001));
                assertTrue(lossy.xskMapFd() > 0);
            }
            return null;
        }).get(60, TimeUnit.SECONDS);
    }

    private record Outcome(TrafficResult tx, TrafficResult rx, long dropped, long passed)
    {
    }

    private static Outcome run(final int ppm, final AttachMode mode) throws Exception
    {
        final CountDownLatch ready = new CountDownLatch(1);
        final AtomicReference<FrameSink> sinkRef = new AtomicReference<>();
        final AtomicReference<LossyProgram> lossyRef = new AtomicReference<>();
        final long[] counters = new long[2];
        final AtomicBoolean running = new AtomicBoolean(true);
        final CompletableFuture<TrafficResult> rx = NetworkNamespace.run(net.get("NS_PRX"), "lossy-rx", () ->
        {
            try (LossyProgram lossy = LossyProgram.attach(net.get("IF_PRX"), mode);
                Umem umem = new Umem(new Umem.Config(16384, 4096, 0, 8192, 8192));
                XskSocket socket = XskSocket.open(
                    XskSocket.Config.of(net.get("IF_PRX"), 0).rings(8192, 0), umem, lossy.program()))
            {
                lossy.setDropPartsPerMillion(ppm);
                final FrameSink sink = new FrameSink(socket, 64, true);
                sinkRef.set(sink);
                lossyRef.set(lossy);
                ready.countDown();
                // The number that will arrive is unknown: stop after a second without frames.
                final TrafficResult result = sink.run(Long.MAX_VALUE, 1_000_000_000L, 120_000_000_000L, running::get);
                counters[0] = lossy.dropped();
                counters[1] = lossy.passed();
                return result;
            }
            finally
            {
                ready.countDown();
            }
        });
        try
        {
            assertTrue(ready.await(60, TimeUnit.SECONDS), "receiver ready");
            if (rx.isDone())
            {
                rx.get();
            }
            final FrameSink sink = sinkRef.get();
            final LossyProgram lossy = lossyRef.get();
            final CompletableFuture<TrafficResult> tx = NetworkNamespace.run(net.get("NS_APP"), "lossy-tx", () ->
            {
                try (Umem umem = new Umem(new Umem.Config(8192, 4096, 0, 4096, 4096));
                    XskSocket socket = XskSocket.open(
                        XskSocket.Config.of(net.get("IF_APP"), 0).rings(0, 4096), umem, null))
                {
                    final FrameGenerator generator = new FrameGenerator(socket, SIZE, 64,
                        TestFrame.parseMac("ff:ff:ff:ff:ff:ff"), TestFrame.parseMac("02:00:00:00:00:01"), true);
                    // A dropped frame never takes a fill-ring slot: count it as consumed, so the window (the
                    // receiver's 8192 fill entries) keeps the socket free of ring overflows.
                    return generator.run(FRAMES, 120_000_000_000L, 8192,
                        () -> sink.consumed().get() + lossy.dropped(), running::get);
                }
            });
            final TrafficResult sent = tx.get(150, TimeUnit.SECONDS);
            final TrafficResult received = rx.get(150, TimeUnit.SECONDS);
            return new Outcome(sent, received, counters[0], counters[1]);
        }
        finally
        {
            running.set(false);
        }
    }
}
