package io.xts.link;

import io.xts.protocol.HelloFlyweight;
import io.xts.protocol.MalformedReason;
import io.xts.protocol.XtsFrameDescriptor;
import io.xts.protocol.XtsFrameFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongConsumer;

import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unit tests of {@link XtsLink} on the in-process transport, with an injected clock: handshake, credits, loss and
 * retransmission, duplicates, version refusal, epoch change, dead peer, malformed frames, unknown messages,
 * backpressure, and received frames kept by the listener past their delivery.
 */
class XtsLinkTest
{
    static final int FRAME = 2048;
    static final int TX_FRAMES = 512;
    static final int RX_FRAMES = 256;
    static final long MS = 1_000_000L;
    /** b's MAC: frames injected as b's carry it, or the link drops them as foreign once it has learned b. */
    static final long B_MAC = 0x02_00_00_00_00_02L;

    private final Arena arena = Arena.ofConfined();
    private InProcessTransport ta;
    private InProcessTransport tb;
    private CountersManager countersManager;
    private Recorder ra;
    private Recorder rb;
    private XtsLink a;
    private XtsLink b;
    private long now = 1_000_000_000L;
    private final MemorySegment body = Arena.ofAuto().allocate(4096);

    /** Records what a link delivered and what happened to it. */
    static final class Recorder implements LinkListener
    {
        final List<Long> values = new ArrayList<>();
        final List<String> downs = new ArrayList<>();
        final List<Integer> types = new ArrayList<>();
        int ups;
        boolean refuse;
        /** Bodies of this duty cycle's STREAM_DATA messages, read again at the batch end. */
        final List<Long> pendingOffsets = new ArrayList<>();
        MemorySegment pendingMemory;
        final List<Long> readAtBatchEnd = new ArrayList<>();
        int batchEnds;
        final List<byte[]> socketData = new ArrayList<>();
        /** With {@link #retain}: keep the frame of every STREAM_DATA message; handles, bodies and values kept. */
        XtsLink link;
        boolean retain;
        final List<Long> keptFrames = new ArrayList<>();
        final List<Long> keptOffsets = new ArrayList<>();
        final List<Long> keptValues = new ArrayList<>();
        int retainRefused;
        /** A STREAM_DATA message with this value makes the listener throw, every time it is delivered (a bug). */
        long throwOn = -1;

        @Override
        public boolean onMessage(
            final int type, final int streamId, final MemorySegment memory, final long offset, final int length)
        {
            if (refuse)
            {
                return false;
            }
            types.add(type);
            if (XtsFrameDescriptor.TYPE_STREAM_DATA == type)
            {
                if (throwOn == memory.get(ValueLayout.JAVA_LONG_UNALIGNED, offset))
                {
                    throw new IllegalStateException("listener bug on message " + throwOn);
                }
                values.add(memory.get(ValueLayout.JAVA_LONG_UNALIGNED, offset));
                pendingOffsets.add(offset);
                pendingMemory = memory;
                if (retain)
                {
                    final long frame = link.retainDelivering();
                    if (frame < 0)
                    {
                        retainRefused++;
                    }
                    else
                    {
                        keptFrames.add(frame);
                        keptOffsets.add(offset);
                        keptValues.add(values.getLast());
                    }
                }
            }
            else if (XtsFrameDescriptor.TYPE_SOCKET_DATA == type)
            {
                socketData.add(memory.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
            }
            return true;
        }

        @Override
        public void onDeliveryBatchEnd()
        {
            batchEnds++;
            for (final long offset : pendingOffsets)
            {
                readAtBatchEnd.add(pendingMemory.get(ValueLayout.JAVA_LONG_UNALIGNED, offset));
            }
            pendingOffsets.clear();
        }

        @Override
        public void onLinkUp(final int peerEpoch, final int version)
        {
            ups++;
        }

        @Override
        public void onLinkDown(final String reason)
        {
            downs.add(reason);
        }
    }

    /** b's end: its own MAC, as two hosts on a segment have. */
    private static LinkConfig bConfig()
    {
        return LinkConfig.defaults().macs(B_MAC, 0xFF_FF_FF_FF_FF_FFL);
    }

    @BeforeEach
    void setUp()
    {
        final InProcessTransport[] pair = InProcessTransport.pair(FRAME, TX_FRAMES, RX_FRAMES, 1024);
        ta = pair[0];
        tb = pair[1];
        countersManager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)));
        ra = new Recorder();
        rb = new Recorder();
        a = new XtsLink(ta, LinkConfig.defaults(), ra, new LinkCounters(countersManager, "a"), now, 0x0A);
        b = new XtsLink(tb, bConfig(), rb, new LinkCounters(countersManager, "b"), now, 0x0B);
        ra.link = a;
        rb.link = b;
    }

    @AfterEach
    void tearDown()
    {
        ta.close();
        tb.close();
        arena.close();
    }

    private void run(final int cycles, final long stepNs)
    {
        for (int i = 0; i < cycles; i++)
        {
            now += stepNs;
            a.doWork(now);
            b.doWork(now);
        }
    }

    private void up()
    {
        run(10, 1000);
        assertEquals(LinkState.UP, a.state(), "a up");
        assertEquals(LinkState.UP, b.state(), "b up");
    }

    /** Send {@code count} sequence-numbered messages from a to b, driving both ends; returns when all arrived. */
    private void stream(final long count, final long maxCycles)
    {
        long next = rb.values.size();
        final long target = next + count;
        long cycles = 0;
        while (rb.values.size() < target && cycles++ < maxCycles)
        {
            int burst = 0;
            while (next < target && burst++ < 64)
            {
                body.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, next);
                if (!a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, body, 0, 200))
                {
                    break;
                }
                next++;
            }
            now += 10_000;
            a.doWork(now);
            b.doWork(now);
        }
    }

    private void assertInOrder(final long count)
    {
        assertEquals(count, rb.values.size(), "messages delivered");
        for (int i = 0; i < count; i++)
        {
            if (i != rb.values.get(i))
            {
                throw new AssertionError("message " + i + " delivered as " + rb.values.get(i));
            }
        }
    }

    @Test
    void shouldSendClaimedMessagesWrittenInPlace()
    {
        up();
        for (long i = 0; i < 10_000; i++)
        {
            long at;
            while ((at = a.claim(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, 64)) < 0)
            {
                run(1, 10_000);
            }
            a.memory().set(ValueLayout.JAVA_LONG_UNALIGNED, at, i);
        }
        run(100, 10_000);
        assertInOrder(10_000);
        assertEquals(-1, new XtsLink(ta, LinkConfig.defaults(), ra, new LinkCounters(countersManager, "c"), now, 9)
            .claim(XtsFrameDescriptor.TYPE_STREAM_DATA, 1, 8), "no claim before the link is up");
    }

    @Test
    void retainedFramesStayOutOfThePoolAndTheCreditUntilReleased()
    {
        up();
        rb.retain = true;
        stream(100, 10_000);
        rb.retain = false;
        assertEquals(0, rb.retainRefused, "a few frames, well under the limit");
        final long frames = rb.keptFrames.stream().distinct().count();
        assertTrue(frames > 1 && frames < 100, "several messages per frame, in " + frames + " frames");
        assertEquals(frames, b.retainedFrames());
        // Many more messages through the rest of the pool: the retained frames are never reused meanwhile.
        stream(20_000, 1_000_000);
        for (int i = 0; i < rb.keptFrames.size(); i++)
        {
            assertEquals(rb.keptValues.get(i), tb.memory().get(ValueLayout.JAVA_LONG_UNALIGNED, rb.keptOffsets.get(i)),
                "retained body overwritten");
        }
        run(10, 100_000);
        final int reserve = LinkConfig.defaults().creditReserve();
        assertEquals(RX_FRAMES - reserve - frames, a.peerLimit() - a.nextSeq(),
            "each retained frame taken off the credit granted, once");
        for (final long frame : rb.keptFrames)
        {
            b.releaseRetained(frame);
        }
        rb.keptFrames.clear();
        rb.keptOffsets.clear();
        rb.keptValues.clear();
        assertEquals(0, b.retainedFrames());
        stream(20_000, 1_000_000);
        assertInOrder(40_100);
        run(10, 100_000);
        assertEquals(RX_FRAMES - reserve, a.peerLimit() - a.nextSeq(), "the whole pool granted again");
        assertEquals(0, ta.framesDropped());
    }

    @Test
    void aListenerThatThrowsLosesOnlyThatMessageAndItsFrameComesBack()
    {
        up();
        rb.throwOn = 5;
        final List<String> thrown = new ArrayList<>();
        long next = 0;
        for (int cycle = 0; cycle < 10_000 && rb.values.size() < 99; cycle++)
        {
            while (next < 100)
            {
                body.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, next);
                if (!a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, body, 0, 200))
                {
                    break;
                }
                next++;
            }
            now += 10_000;
            a.doWork(now);
            try
            {
                b.doWork(now);
            }
            catch (final IllegalStateException ex)
            {
                thrown.add(ex.getMessage());
            }
        }
        // Before the fix the message was delivered again every cycle, throwing each time, and nothing behind it
        // ever arrived.
        assertEquals(1, thrown.size(), "the error reaches the caller once, not at every cycle");
        assertEquals("listener bug on message 5", thrown.get(0));
        assertEquals(1, b.counters().listenerErrors());
        assertEquals(99, rb.values.size(), "every other message delivered");
        for (int i = 0; i < 99; i++)
        {
            assertEquals(i < 5 ? i : i + 1, rb.values.get(i), "message order");
        }
        run(10, 100_000);
        assertEquals(RX_FRAMES - LinkConfig.defaults().creditReserve(), a.peerLimit() - a.nextSeq(),
            "every receive frame, the one of the failed message too, is back and granted again");
    }

    @Test
    void detachedClaimsGoOutInCommitOrderAfterEarlierMessages()
    {
        up();
        final int freeBefore = ta.freeTxFrames();
        offerValue(0);
        final long frame = a.claimFrame();
        assertTrue(frame >= 0);
        offerValue(1);
        run(3, 1_000);
        a.memory().set(ValueLayout.JAVA_LONG_UNALIGNED, XtsLink.frameBody(frame), 2L);
        assertTrue(a.commitFrame(frame, XtsFrameDescriptor.TYPE_STREAM_DATA, 7, 8));
        offerValue(3);
        run(10, 1_000);
        assertInOrder(4);
        run(10, 100_000);
        assertEquals(freeBefore, ta.freeTxFrames(), "every frame back once acknowledged");
        final long stale = a.claimFrame();
        a.abortFrame(stale);
        assertEquals(freeBefore, ta.freeTxFrames(), "an aborted claim gives its frame back");
        final long late = a.claimFrame();
        a.close();
        assertEquals(-1, a.claimFrame(), "no claim on a closed link");
        assertTrue(a.commitFrame(late, XtsFrameDescriptor.TYPE_STREAM_DATA, 7, 8), "dropped, not retried");
    }

    private void offerValue(final long value)
    {
        body.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
        assertTrue(a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, body, 0, 8));
    }

    @Test
    void shouldHandshakeAndAgreeOnEpochs()
    {
        up();
        assertEquals(0x0B, a.peerEpoch());
        assertEquals(0x0A, b.peerEpoch());
        assertEquals(1, ra.ups);
        assertEquals(1, rb.ups);
    }

    @Test
    void shouldCompleteTheHandshakeWhenTheHelloThatBringsThePeerUpIsLost()
    {
        final XtsFrameFlyweight f = new XtsFrameFlyweight();
        final int[] dropped = {0};
        // a comes up first; the HELLO a then sends (flag UP) is what brings b up. Lose it three times: b stays
        // connecting, repeats its HELLO, and a, already up, must answer it again.
        ta.tap((mem, frame, len) ->
        {
            f.wrap(mem, frame, len);
            if (XtsFrameDescriptor.KIND_HELLO == f.kind() && f.hasFlag(XtsFrameDescriptor.FLAG_UP) && dropped[0] < 3)
            {
                dropped[0]++;
                return InProcessTransport.Tap.DROP;
            }
            return InProcessTransport.Tap.PASS;
        });
        run(100, 10 * MS);
        assertEquals(3, dropped[0], "the HELLOs that would bring b up were lost");
        assertEquals(LinkState.UP, a.state());
        assertEquals(LinkState.UP, b.state(), "b up after all");
        stream(1000, 100_000);
        assertEquals(1000, rb.values.size());
    }

    @Test
    void bulkClaimFillsWholeFramesCutsTheLastAndGivesBackTheRest()
    {
        up();
        final MemorySegment frames = a.memory();
        final long[] offsets = new long[8];
        final int[] lengths = new int[8];
        final int room = a.maxMessageLength();
        final int reserved = a.claimBulk(XtsFrameDescriptor.TYPE_SOCKET_DATA, 5, 3 * room + 10, offsets, lengths);
        assertEquals(4, reserved, "three full frames and one for the last 10 bytes");
        assertEquals(10, lengths[3]);
        // Write a counting pattern across the bodies, as a scattering read would, but only 2 frames and 7 bytes.
        final int written = 2 * room + 7;
        int k = 0;
        for (int i = 0; i < reserved && k < written; i++)
        {
            for (int j = 0; j < lengths[i] && k < written; j++, k++)
            {
                frames.set(ValueLayout.JAVA_BYTE, offsets[i] + j, (byte)k);
            }
        }
        final int seqBefore = a.nextSeq();
        a.commitBulk(written);
        assertEquals(seqBefore + 3, a.nextSeq(), "three frames numbered, the fourth given back");
        final List<byte[]> bodies = rb.socketData;
        run(20, 1_000);
        assertEquals(3, bodies.size(), "three messages");
        assertEquals(room, bodies.get(0).length);
        assertEquals(room, bodies.get(1).length);
        assertEquals(7, bodies.get(2).length);
        int expected = 0;
        for (final byte[] body : bodies)
        {
            for (final byte v : body)
            {
                assertEquals((byte)expected++, v, "stream byte " + (expected - 1));
            }
        }
        assertTrue(a.claimBulk(XtsFrameDescriptor.TYPE_SOCKET_DATA, 5, 10, offsets, lengths) > 0,
            "the given-back frame is reusable");
        a.commitBulk(0);
    }

    @Test
    void shouldKeepDeliveredBodiesValidUntilTheBatchEnds()
    {
        up();
        stream(5_000, 100_000);
        assertTrue(rb.batchEnds > 0, "batch ends were signalled");
        assertTrue(rb.batchEnds < 5_000, "once per duty cycle, not per message: " + rb.batchEnds);
        assertEquals(rb.values, rb.readAtBatchEnd, "every body still held its bytes at the batch end");
        stream(5_000, 100_000);
        assertEquals(10_000, rb.readAtBatchEnd.size(), "frames went back to the pool: a second round got through");
    }

    @Test
    void shouldDeliverInOrderAndNeverExceedCredits()
    {
        up();
        final int[] lastLimitFromB = {b.peerLimit()};
        final XtsFrameFlyweight f = new XtsFrameFlyweight();
        tb.tap((mem, frame, len) ->
        {
            f.wrap(mem, frame, len);
            lastLimitFromB[0] = f.creditLimit();
            return InProcessTransport.Tap.PASS;
        });
        final int[] limitAtStart = {a.peerLimit()};
        final long[] checked = {0};
        ta.tap((mem, frame, len) ->
        {
            f.wrap(mem, frame, len);
            if (KIND_DATA == f.kind())
            {
                final int limit = Math.max(limitAtStart[0], lastLimitFromB[0]);
                assertTrue(XtsFrameDescriptor.serialBefore(f.seq(), limit),
                    "DATA seq " + f.seq() + " sent past the credit limit " + limit);
                checked[0]++;
            }
            return InProcessTransport.Tap.PASS;
        });
        stream(200_000, 1_000_000);
        assertInOrder(200_000);
        assertTrue(checked[0] > 1000, "frames checked against credits: " + checked[0]);
        assertEquals(0, ta.framesDropped(), "frames dropped for lack of a receive buffer");
        assertEquals(0, a.counters().retransmits(), "no loss, no retransmission");
    }

    @Test
    void shouldPublishTheSmoothedRoundTripTimeInTheCounters()
    {
        up();
        assertEquals(0, a.counters().smoothedRttNs(), "no sample before any DATA frame was acknowledged");
        stream(1_000, 100_000);
        assertInOrder(1_000);
        assertTrue(a.smoothedRttNs() > 0, "a sampled its round trips");
        assertEquals(a.smoothedRttNs(), a.counters().smoothedRttNs(), "the counter holds the estimate");
    }

    @Test
    void shouldAcknowledgeInTheSameCycleInLatencyModeAndCoalesceByDefault()
    {
        up();
        final XtsFrameFlyweight f = new XtsFrameFlyweight();
        final int[] acks = {0};
        tb.tap((mem, frame, len) ->
        {
            f.wrap(mem, frame, len);
            if (XtsFrameDescriptor.KIND_ACK == f.kind())
            {
                acks[0]++;
            }
            return InProcessTransport.Tap.PASS;
        });
        body.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0L);
        assertTrue(a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, body, 0, 64));
        a.doWork(now);
        b.doWork(now);
        assertEquals(1, rb.values.size(), "delivered");
        assertEquals(0, acks[0], "by default one small frame's acknowledgement waits for company");
        assertFalse(b.acknowledgesAtOnce());

        b.acknowledgeAtOnce(true);
        assertTrue(b.acknowledgesAtOnce());
        body.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 1L);
        assertTrue(a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, body, 0, 64));
        a.doWork(now);
        b.doWork(now);
        assertEquals(2, rb.values.size(), "delivered");
        assertEquals(1, acks[0], "in latency mode the acknowledgement leaves in the cycle that accepted the frame");
    }

    @Test
    void shouldRetransmitAfterInjectedLoss()
    {
        up();
        final Random random = new Random(42);
        final XtsFrameFlyweight f = new XtsFrameFlyweight();
        final long[] dropped = {0};
        ta.tap((mem, frame, len) ->
        {
            f.wrap(mem, frame, len);
            if (KIND_DATA == f.kind() && random.nextInt(100) < 5)
            {
                dropped[0]++;
                return InProcessTransport.Tap.DROP;
            }
            return InProcessTransport.Tap.PASS;
        });
        tb.tap((mem, frame, len) -> random.nextInt(100) < 5 ? InProcessTransport.Tap.DROP :
            InProcessTransport.Tap.PASS);
        stream(100_000, 2_000_000);
        assertInOrder(100_000);
        assertTrue(dropped[0] > 100, "frames dropped: " + dropped[0]);
        assertTrue(a.counters().retransmits() >= dropped[0], "retransmits " + a.counters().retransmits());
        assertEquals(LinkState.UP, a.state());
    }

    @Test
    void shouldSuppressDuplicates()
    {
        up();
        final Random random = new Random(7);
        ta.tap((mem, frame, len) -> random.nextInt(10) == 0 ? InProcessTransport.Tap.DUPLICATE :
            InProcessTransport.Tap.PASS);
        stream(50_000, 1_000_000);
        assertInOrder(50_000);
        assertTrue(b.counters().duplicates() > 100, "duplicates dropped: " + b.counters().duplicates());
    }

    @Test
    void shouldRefuseAHandshakeWithNoCommonVersionAndStayReadyForAGoodOne()
    {
        b = new XtsLink(tb, bConfig().versions(2, 3), rb, new LinkCounters(countersManager, "b2"),
            now, 0x0C);
        run(10, 1000);
        // Refused on both sides, counted, said why; neither end is finished by it.
        assertEquals(LinkState.CONNECTING, a.state());
        assertEquals(LinkState.CONNECTING, b.state());
        for (final String failure : new String[] {a.failure(), b.failure()})
        {
            assertNotNull(failure);
            assertTrue(failure.contains("handshake refused") && failure.contains("1..1") &&
                failure.contains("2..3"), failure);
        }
        assertTrue(a.counters().handshakeRefusals() >= 1);
        assertFalse(a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 1, body, 0, 8), "a link not up takes nothing");
        // Many bad HELLOs get few answers: at most one refusal per heartbeat interval.
        final long resetsBefore = ta.framesSent();
        for (int i = 0; i < 200; i++)
        {
            now += 1000;
            b.doWork(now);
            a.doWork(now);
        }
        assertTrue(ta.framesSent() - resetsBefore <= 4, "frames a sent in 0.2 ms of bad HELLOs: " +
            (ta.framesSent() - resetsBefore));
        // A peer that speaks our version brings the link up.
        b = new XtsLink(tb, bConfig(), rb, new LinkCounters(countersManager, "b4"), now, 0x0E);
        tb.receive((m, f, l) -> tb.recycle(f), 1000);
        run(2000, 100 * MS / 100);
        assertEquals(LinkState.UP, a.state(), "a up with a peer it can talk to");
        assertEquals(0x0E, a.peerEpoch());
    }

    @Test
    void shouldListenOnlyToTheLearnedPeerOnceUp()
    {
        up();
        assertTrue(a.peerLearned());
        assertEquals(0x02_00_00_00_00_02L, a.peerMac(), "b's MAC, learned from its HELLO");
        // An intruder on the same segment: its own MAC, a new epoch, HELLOs and a RESET sent to a.
        final XtsLink intruder = new XtsLink(tb, bConfig().macs(0x02_00_00_00_00_66L,
            0xFF_FF_FF_FF_FF_FFL), new Recorder(), new LinkCounters(countersManager, "x"), now, 0x66);
        for (int i = 0; i < 20; i++)
        {
            now += 100 * MS;
            intruder.doWork(now);
            a.doWork(now);
            b.doWork(now);
        }
        intruder.close();
        a.doWork(now);
        assertEquals(LinkState.UP, a.state(), "still up with b");
        assertEquals(0x0B, a.peerEpoch());
        assertEquals(0, a.counters().epochChanges());
        assertTrue(a.counters().foreignFrames() >= 20, "intruder's frames dropped: " + a.counters().foreignFrames());
        assertTrue(ra.downs.isEmpty(), ra.downs.toString());
        stream(1000, 100_000);
        assertInOrder(1000);
    }

    private static final LinkKey KEY =
        LinkKey.fromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

    private void keyed(final LinkKey keyOfA, final LinkKey keyOfB)
    {
        a = new XtsLink(ta, LinkConfig.defaults().withKey(keyOfA), ra, new LinkCounters(countersManager, "ka"), now,
            0x0A);
        b = new XtsLink(tb, bConfig().withKey(keyOfB), rb, new LinkCounters(countersManager, "kb"), now, 0x0B);
        ra.link = a;
        rb.link = b;
    }

    @Test
    void shouldComeUpAndCarryDataWithAKeyOnBothSides()
    {
        keyed(KEY, KEY);
        run(20, 1000);
        assertEquals(LinkState.UP, a.state());
        assertEquals(LinkState.UP, b.state());
        stream(5000, 100_000);
        assertInOrder(5000);
        assertEquals(0, a.counters().authFailures());
    }

    @Test
    void shouldRefuseAPeerWithoutTheKeyAndSayWhy()
    {
        keyed(KEY, null);
        run(20, 100 * MS);
        assertEquals(LinkState.CONNECTING, a.state());
        assertEquals(LinkState.CONNECTING, b.state());
        assertTrue(a.counters().authFailures() >= 1, "HELLOs without a MAC dropped");
        assertTrue(a.failure().contains("authentication"), a.failure());
        assertTrue(b.failure().contains("authenticated by its key"), "the unkeyed side is told: " + b.failure());
        keyed(KEY, LinkKey.fromHex("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"));
        run(20, 100 * MS);
        assertEquals(LinkState.CONNECTING, a.state(), "another key: no link either");
    }

    @Test
    void shouldBelieveARestartOnlyWhenItEchoesThisLifesNonce()
    {
        keyed(KEY, KEY);
        run(20, 1000);
        assertEquals(LinkState.UP, a.state());
        // Capture b's HELLOs as sent, to replay one later from b's own MAC with a new epoch's header intact.
        final List<byte[]> helloes = new ArrayList<>();
        tb.tap((mem, frame, len) ->
        {
            if (XtsFrameDescriptor.KIND_HELLO == new XtsFrameFlyweight().wrap(mem, frame, len).kind())
            {
                helloes.add(mem.asSlice(frame, len).toArray(ValueLayout.JAVA_BYTE));
            }
            return InProcessTransport.Tap.PASS;
        });
        // b restarts (same key, same MAC, new epoch): a believes it after one exchange of nonces and relinks.
        b = new XtsLink(tb, bConfig().withKey(KEY), rb, new LinkCounters(countersManager, "kb2"), now, 0x0D);
        rb.link = b;
        tb.receive((m, f, l) -> tb.recycle(f), 1000);
        run(40, 1000);
        assertEquals(1, a.counters().epochChanges());
        assertEquals(LinkState.UP, a.state());
        assertEquals(0x0D, a.peerEpoch());
        assertTrue(helloes.size() >= 2, "b's HELLOs captured: " + helloes.size());
        // Replaying b's first HELLO of that restart (authentic, but of another moment) changes nothing now.
        final byte[] replay = helloes.get(0);
        final long frame = tb.acquire();
        MemorySegment.copy(replay, 0, tb.memory(), ValueLayout.JAVA_BYTE, frame, replay.length);
        assertTrue(tb.transmit(frame, replay.length));
        tb.release(frame);
        tb.flush();
        now += 1000;
        a.doWork(now);
        b.doWork(now);
        run(20, 1000);
        assertEquals(1, a.counters().epochChanges(), "no second restart from a replay");
        assertEquals(LinkState.UP, a.state());
        stream(1000, 100_000);
    }

    @Test
    void shouldSendToThePeerItselfOnceUp()
    {
        final long[] lastDst = {0};
        ta.tap((mem, frame, len) ->
        {
            lastDst[0] = new XtsFrameFlyweight().wrap(mem, frame, len).dstMac();
            return InProcessTransport.Tap.PASS;
        });
        run(1, 1000);
        assertEquals(0xFF_FF_FF_FF_FF_FFL, lastDst[0], "HELLO before the peer is known: broadcast");
        up();
        stream(10, 10_000);
        assertEquals(0x02_00_00_00_00_02L, lastDst[0], "after the handshake: unicast to b");
    }

    @Test
    void shouldFailEverythingOfTheOldEpochWhenThePeerRestarts()
    {
        up();
        stream(1000, 100_000);
        // a sends more, but b is gone before acknowledging: frames stay retained on a.
        for (int i = 0; i < 50; i++)
        {
            body.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 1000 + i);
            assertTrue(a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, body, 0, 1500));
        }
        now += 1000;
        a.doWork(now);
        assertTrue(a.unacknowledged() > 0, "frames in flight");
        // b restarts: a new link, a new epoch, on the same transport.
        final Recorder fresh = new Recorder();
        b = new XtsLink(tb, bConfig(), fresh, new LinkCounters(countersManager, "b3"), now, 0x0D);
        tb.receive((m, f, l) -> tb.recycle(f), 1000);
        run(20, 1000);
        assertEquals(1, a.counters().epochChanges());
        assertTrue(ra.downs.get(0).contains("peer restarted: epoch b replaced by d"), ra.downs.toString());
        assertEquals(LinkState.UP, a.state(), "relinked with the new epoch");
        assertEquals(0x0D, a.peerEpoch());
        assertEquals(0, a.unacknowledged(), "old epoch's frames failed");
        assertEquals(TX_FRAMES, ta.freeTxFrames(), "every TX frame of the old epoch released");
    }

    @Test
    void shouldDeclareASilentPeerDeadWithinTheTimeout()
    {
        up();
        for (int i = 0; i < 60; i++)
        {
            now += 10 * MS;
            a.doWork(now);
        }
        assertEquals(1, a.counters().deadPeers());
        assertEquals(1, ra.downs.size());
        assertTrue(ra.downs.get(0).startsWith("peer dead: no frame for"), ra.downs.get(0));
        assertTrue(ra.downs.get(0).contains("(timeout 500 ms)"), ra.downs.get(0));
        assertEquals(LinkState.CONNECTING, a.state());
    }

    @Test
    void shouldKeepAliveWithHeartbeatsWhenIdle()
    {
        up();
        run(300, 10 * MS);
        assertEquals(LinkState.UP, a.state());
        assertEquals(0, a.counters().deadPeers());
        assertTrue(a.counters().heartbeatsSent() > 10, "heartbeats " + a.counters().heartbeatsSent());
    }

    @Test
    void shouldCountAndDropMalformedFramesAndKeepWorking()
    {
        up();
        final XtsFrameFlyweight f = new XtsFrameFlyweight();
        final MemorySegment m = tb.memory();
        // truncated header
        inject(10, frame -> { });
        // length past the frame
        inject(FRAME_OVERHEAD, frame -> f.wrap(m, frame, FRAME_OVERHEAD).writeHeader(1, B_MAC, KIND_DATA, 0, 100,
            b.epoch(), 0, 0, 0));
        // unknown kind
        inject(FRAME_OVERHEAD, frame -> f.wrap(m, frame, FRAME_OVERHEAD).writeHeader(1, B_MAC, 9, 0, 0, b.epoch(), 0,
            0, 0));
        // wrong version
        inject(FRAME_OVERHEAD, frame -> f.wrap(m, frame, FRAME_OVERHEAD).writeHeader(1, B_MAC, KIND_DATA, 0, 0,
            b.epoch(), 0, 0, 0).version(7));
        // wrong ethertype
        inject(FRAME_OVERHEAD, frame -> f.wrap(m, frame, FRAME_OVERHEAD).writeHeader(1, B_MAC, KIND_DATA, 0, 0,
            b.epoch(), 0, 0, 0).ethertype(0x0800));
        // bad sequence: far beyond the granted credit
        inject(FRAME_OVERHEAD + 8, frame ->
        {
            f.wrap(m, frame, FRAME_OVERHEAD + 8).writeHeader(1, B_MAC, KIND_DATA, 0, 8, b.epoch(), 5_000_000, 0, 0);
            m.set(XtsFrameDescriptor.BIG_ENDIAN_SHORT, frame + FRAME_OVERHEAD,
                (short)XtsFrameDescriptor.TYPE_STREAM_DATA);
        });
        // stale epoch
        inject(FRAME_OVERHEAD, frame -> f.wrap(m, frame, FRAME_OVERHEAD).writeHeader(1, B_MAC,
            XtsFrameDescriptor.KIND_ACK, 0, 0, 0x1234, 0, 0, 0));
        final LinkCounters c = a.counters();
        assertEquals(1, c.malformedCount(MalformedReason.TRUNCATED));
        assertEquals(1, c.malformedCount(MalformedReason.LENGTH_PAST_FRAME));
        assertEquals(1, c.malformedCount(MalformedReason.UNKNOWN_KIND));
        assertEquals(1, c.malformedCount(MalformedReason.BAD_VERSION));
        assertEquals(1, c.malformedCount(MalformedReason.WRONG_ETHERTYPE));
        assertEquals(1, c.malformedCount(MalformedReason.STALE_EPOCH));
        assertEquals(1, c.malformedCount(MalformedReason.BAD_SEQUENCE));
        // ...and the link still works.
        stream(10_000, 100_000);
        assertEquals(10_000, rb.values.size());
        assertEquals(LinkState.UP, a.state());
    }

    @Test
    void aPeerWhoseFramesCannotHoldAControlMessageIsRefusedAtTheHandshake()
    {
        final XtsFrameFlyweight f = new XtsFrameFlyweight();
        final MemorySegment m = tb.memory();
        final LinkConfig config = LinkConfig.defaults();
        final int small = XtsFrameDescriptor.MIN_LINK_FRAME_SIZE - 1;
        // A valid HELLO (its frame size is above the 46 bytes of one empty message) announcing frames too small for
        // an ERROR with its text: before the fix the link came up, and every claim of such a message threw later.
        inject(FRAME_OVERHEAD + XtsFrameDescriptor.HELLO_LENGTH, frame ->
        {
            f.wrap(m, frame, FRAME_OVERHEAD + XtsFrameDescriptor.HELLO_LENGTH).writeHeader(1, 2,
                XtsFrameDescriptor.KIND_HELLO, 0, XtsFrameDescriptor.HELLO_LENGTH, 0x0B, 0, 0, 100);
            new HelloFlyweight().wrap(m, frame + FRAME_OVERHEAD, XtsFrameDescriptor.HELLO_LENGTH)
                .write(config.minVersion(), config.maxVersion(), 0, small, 100, 100_000, 1_000_000);
        });
        assertEquals(LinkState.CONNECTING, a.state(), "refused: not up, and still ready for a good peer");
        assertTrue(a.failure().contains("leave no room for a control message of " +
            XtsFrameDescriptor.MAX_CONTROL_MESSAGE_LENGTH + " bytes"), a.failure());
        assertTrue(a.failure().contains("frames of at most " + small + " bytes"), a.failure());
        assertEquals(1, a.counters().handshakeRefusals());
        // And a transport whose own frames are that small is refused where it enters.
        final InProcessTransport[] tiny = InProcessTransport.pair(small, 16, 16, 16);
        try
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () ->
                new XtsLink(tiny[0], config, ra, new LinkCounters(countersManager, "tiny"), now, 0x0C));
            assertTrue(ex.getMessage().contains("room for a control message"), ex.getMessage());
        }
        finally
        {
            tiny[0].close();
            tiny[1].close();
        }
    }

    private void inject(final int length, final LongConsumer writer)
    {
        final long frame = tb.acquire();
        tb.memory().asSlice(frame, length).fill((byte)0);
        writer.accept(frame);
        assertTrue(tb.transmit(frame, length));
        tb.release(frame);
        tb.flush();
        now += 1000;
        a.doWork(now);
    }

    @Test
    void shouldAnswerAnUnknownMessageTypeWithALinkError()
    {
        up();
        assertTrue(b.offer(0x7777, 3, body, 0, 16));
        run(10, 1000);
        assertEquals(1, a.counters().unknownMessages());
        assertTrue(rb.types.contains(XtsFrameDescriptor.TYPE_LINK_ERROR), "b got LINK_ERROR: " + rb.types);
        stream(100, 10_000);
        assertEquals(100, rb.values.size(), "link keeps working");
    }

    @Test
    void shouldPushBackOnTheSenderWhenTheReceiverStopsConsuming()
    {
        up();
        rb.refuse = true;
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            body.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
            if (a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, body, 0, 1500))
            {
                accepted++;
            }
            now += 1000;
            a.doWork(now);
            b.doWork(now);
        }
        assertTrue(accepted < RX_FRAMES + 8, "the sender was held to the receiver's buffers: " + accepted);
        assertEquals(0, ta.framesDropped(), "nothing dropped for lack of buffers");
        assertTrue(a.counters().creditStalls() > 0);
        rb.refuse = false;
        run(100, 1000);
        assertEquals(accepted, rb.values.size(), "everything arrives once the receiver consumes");
    }

    @Test
    void shouldKeepRetainedFramesOutOfThePoolUpToTheLimitAndRecycleThemOnRelease()
    {
        up();
        rb.retain = true;
        stream(20_000, 1_000_000);
        assertInOrder(20_000);
        assertEquals(b.retainLimit(), b.retainedFrames(), "frames kept up to the limit");
        assertTrue(rb.retainRefused > 0, "beyond it retainDelivering() refused");
        assertTrue(rb.keptFrames.size() > b.retainLimit(), "several messages per frame, one reference each");
        for (int i = 0; i < rb.keptOffsets.size(); i++)
        {
            assertEquals(rb.keptValues.get(i), b.memory().get(ValueLayout.JAVA_LONG_UNALIGNED, rb.keptOffsets.get(i)),
                "kept body " + i + " still holds its bytes after 20 000 more messages went through the pool");
        }
        assertEquals(0, ta.framesDropped(), "nothing dropped while frames were kept");

        rb.retain = false;
        for (final long frame : rb.keptFrames)
        {
            b.releaseRetained(frame);
        }
        assertEquals(0, b.retainedFrames());
        final long kept = rb.keptFrames.getFirst();
        assertThrows(IllegalStateException.class, () -> b.releaseRetained(kept), "a second release");
        assertThrows(IllegalStateException.class, b::retainDelivering, "outside onMessage");
        stream(20_000, 1_000_000);
        assertInOrder(40_000);
        assertEquals(0, ta.framesDropped());
    }

    @Test
    void shouldGrantLessCreditWhileFramesAreKept()
    {
        up();
        rb.retain = true;
        stream(5_000, 1_000_000);
        final int kept = b.retainedFrames();
        assertEquals(b.retainLimit(), kept);
        // The receiver stops consuming: the sender gets no more than the receive pool left over by the kept frames.
        rb.refuse = true;
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            body.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 5_000 + i);
            if (a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, 7, body, 0, 1500))
            {
                accepted++;
            }
            now += 1000;
            a.doWork(now);
            b.doWork(now);
        }
        assertTrue(accepted < RX_FRAMES - kept + 8, "the sender was held to the frames not kept: " + accepted +
            " accepted with " + kept + " of " + RX_FRAMES + " kept");
        assertEquals(0, ta.framesDropped(), "nothing dropped");
        rb.refuse = false;
        rb.retain = false;
        for (final long frame : rb.keptFrames)
        {
            b.releaseRetained(frame);
        }
        run(200, 1000);
        assertEquals(5_000 + accepted, rb.values.size(), "everything arrives once frames are released");
        assertInOrder(5_000 + accepted);
    }

    @Test
    void shouldLetKeptFramesOutliveALinkDown()
    {
        up();
        rb.retain = true;
        stream(2_000, 1_000_000);
        rb.retain = false;
        // a restarts: b fails everything of the old epoch; the kept frames stay kept until released.
        a = new XtsLink(ta, LinkConfig.defaults(), ra, new LinkCounters(countersManager, "a2"), now, 0x1A);
        run(50, 10 * MS);
        assertEquals(LinkState.UP, b.state());
        assertEquals(1, rb.downs.size());
        assertTrue(b.retainedFrames() > 0);
        for (final long frame : rb.keptFrames)
        {
            b.releaseRetained(frame);
        }
        assertEquals(0, b.retainedFrames());
        stream(20_000, 1_000_000);
        assertEquals(22_000, rb.values.size(), "the released frames serve the new epoch");
        assertEquals(0, ta.framesDropped());
    }
}
