package io.xts.nvme.host;

import io.xts.link.LinkConfig;
import io.xts.link.LockedTransport;
import io.xts.nvme.host.OffloadTransportTest.Mode;
import io.xts.protocol.SocketMessages;
import io.xts.protocol.UlpMessages;
import io.xts.protocol.XtsFrameDescriptor;
import io.xts.sockets.XtsStack;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Scatter reads ({@link NvmeQueue#readScatter}) over the offload transport against {@link ScriptedOffloadProxy},
 * in-process: the data completes as views of the link frames the proxy's DDP_PLACE pieces arrived in, byte-exact at
 * 4 KiB, 128 KiB and 512 KiB with header and data digests negotiated, in every completion and stack-driving mode; the
 * frames stay kept until the list is released and their receive credit comes back only then; lists held beyond the
 * scatter window hold up further reads (sent only as lists are released), never data; a data digest error, a socket
 * reset mid-read and a protocol error mid-read complete the read with an error and give its frames back; unregistered
 * placements still stay in place; past the link's limit on kept frames pieces are copied into bounce memory; and when
 * the proxy refuses the offload the reads complete from bounce memory.
 */
@Timeout(60)
class ScatterReadTest
{
    private static final InetSocketAddress CONTROLLER = new InetSocketAddress("198.18.0.2", 4420);
    private static final int DEPTH = 16;
    private static final int BLOCK = 512;
    private static final Map<Long, Namespace> NAMESPACES = Map.of(1L, new Namespace(1, BLOCK, 1 << 22));
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);
    private static final LinkConfig LINK = ScriptedOffloadProxy.TOLERANT_LINK;
    /** Link frames of 2048 bytes: one DDP_PLACE piece of this many data bytes fills one. */
    private static final int FRAME_PIECE = 1900;

    private LockedTransport[] pair;
    private ScriptedOffloadProxy proxy;
    private XtsStack stack;
    private volatile TcpQueue queue;
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final Map<String, ScatterList> lists = new ConcurrentHashMap<>();
    private final ScatterReadHandler keep = (status, data, attachment) ->
    {
        if (null != data)
        {
            lists.put((String)attachment, data);
        }
        statuses.put((String)attachment, status);
    };

    @AfterEach
    void stop()
    {
        if (null != queue)
        {
            queue.close();
        }
        if (null != stack)
        {
            stack.close();
        }
        if (null != proxy)
        {
            proxy.close();
        }
        if (null != pair)
        {
            pair[0].close();
            pair[1].close();
        }
    }

    // ---- fixture ----

    private void start(final Mode mode, final int rxFrames, final int window, final int pushAfter)
        throws Exception
    {
        pair = LockedTransport.pair(rxFrames);
        proxy = new ScriptedOffloadProxy(pair[1], LINK);
        stack = XtsStack.builder().transport(pair[0]).receiveWindow(window).ownPoller(mode.ownPoller)
            .linkTimeout(Duration.ofSeconds(10)).linkConfig(LINK).build();
        queue = new TcpQueue(QueueConfig.builder().address(CONTROLLER).qid(1).depth(DEPTH).digests(true, true)
            .inCapsuleLimit(4096).polled(mode.polled).timeoutNanos(TIMEOUT_NS).namespaces(NAMESPACES)
            .xts(stack, pushAfter).build());
    }

    private void until(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean())
        {
            final TcpQueue q = queue;
            if (null != q && q.isPolled())
            {
                if (0 == q.poll())
                {
                    LockSupport.parkNanos(20_000);
                }
            }
            else
            {
                LockSupport.parkNanos(50_000);
            }
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out waiting for " + what + "; queue: " + (null == q ? "none" : q.failureText()) +
                    "; statuses " + statuses + "; proxy violations " + proxy.snapshot(p -> p.violations));
            }
        }
    }

    private int await(final String name)
    {
        until(name + " to complete", () -> statuses.containsKey(name));
        return statuses.get(name);
    }

    private void read(final long lba, final int bytes, final String name)
    {
        assertTrue(queue.readScatter(1, lba, bytes / BLOCK, keep, name), "read " + name + " submitted");
    }

    private int cid(final long lba)
    {
        until("the capsule for LBA " + lba, () -> null != proxy.capsuleFor(lba));
        return proxy.capsuleFor(lba).sqe().cid();
    }

    /** @return the list's bytes, read through its views in data order (checking that they tile the data). */
    private static byte[] gather(final ScatterList list)
    {
        final byte[] out = new byte[(int)list.length()];
        long expected = 0;
        for (int i = 0; i < list.pieces(); i++)
        {
            assertEquals(expected, list.dataOffset(i), "piece " + i + " continues the data");
            MemorySegment.copy(list.memory(i), ValueLayout.JAVA_BYTE, list.offset(i), out, (int)list.dataOffset(i),
                list.length(i));
            expected += list.length(i);
        }
        assertEquals(list.length(), expected, "the pieces cover the read");
        return out;
    }

    /** @return piece sizes of one link frame each, for {@code total} bytes. */
    private static int[] pieces(final int total)
    {
        final int[] sizes = new int[(total + FRAME_PIECE - 1) / FRAME_PIECE];
        for (int i = 0; i < sizes.length; i++)
        {
            sizes[i] = Math.min(FRAME_PIECE, total - i * FRAME_PIECE);
        }
        return sizes;
    }

    private static int inPlacePieces(final ScatterList list)
    {
        int n = 0;
        for (int i = 0; i < list.pieces(); i++)
        {
            n += list.inPlace(i) ? 1 : 0;
        }
        return n;
    }

    private long lastCreditPosition()
    {
        final List<ScriptedOffloadProxy.Credit> credits = proxy.snapshot(p -> p.credits);
        return credits.isEmpty() ? 0 : credits.getLast().position();
    }

    private void assertNoViolations()
    {
        assertEquals(List.of(), proxy.snapshot(p -> p.violations));
    }

    static Stream<Arguments> sizesAndModes()
    {
        final List<Arguments> args = new ArrayList<>();
        for (final int size : new int[] {4096, 128 * 1024, 512 * 1024})
        {
            for (final Mode mode : Mode.values())
            {
                args.add(Arguments.of(size, mode));
            }
        }
        return args.stream();
    }

    // ---- byte-exact, in place ----

    @ParameterizedTest
    @MethodSource("sizesAndModes")
    void shouldCompleteWithTheDataInTheFramesItArrivedIn(final int size, final Mode mode) throws Exception
    {
        // 4096 receive frames (the link keeps up to 2044 of them); a 4 MiB window: a 2 MiB scatter window, four
        // 512 KiB reads at a time, each kept whole in about 276 frames.
        start(mode, 4096, 4 << 20, 0);
        proxy.autoReads = true;
        proxy.autoReadPiece = FRAME_PIECE;
        final int reads = Math.max(4, Math.min(32, (8 << 20) / size));
        final List<String> problems = new CopyOnWriteArrayList<>();
        final AtomicLong inPlace = new AtomicLong();
        final AtomicInteger next = new AtomicInteger();
        final ScatterReadHandler[] verify = new ScatterReadHandler[1];
        verify[0] = (status, data, attachment) ->
        {
            final long lba = (Long)attachment;
            try
            {
                if (!NvmeStatus.isSuccess(status) || null == data)
                {
                    problems.add("LBA " + lba + ": " + NvmeStatus.describe(status));
                    return;
                }
                if (!Arrays.equals(ScriptedOffloadProxy.disk(lba, size), gather(data)))
                {
                    problems.add("LBA " + lba + ": data differs");
                }
                inPlace.addAndGet(inPlacePieces(data) == data.pieces() ? data.length() : 0);
                data.release();
                // Each completion submits the next read, from the completion handler.
                final int n = next.getAndIncrement();
                if (n < reads && !queue.readScatter(1, (long)n * (size / BLOCK), size / BLOCK, verify[0], (long)n *
                    (size / BLOCK)))
                {
                    problems.add("read " + n + " refused");
                }
            }
            catch (final Throwable t)
            {
                problems.add("LBA " + lba + ": " + t);
            }
            finally
            {
                statuses.put(Long.toString(lba), status);
            }
        };
        for (int i = 0; i < DEPTH; i++)
        {
            // In THREAD mode completions already take numbers meanwhile.
            final int n = next.getAndIncrement();
            if (n >= reads)
            {
                break;
            }
            final long lba = (long)n * (size / BLOCK);
            assertTrue(queue.readScatter(1, lba, size / BLOCK, verify[0], lba));
        }
        until("all " + reads + " reads", () -> statuses.size() == reads || !problems.isEmpty());
        assertEquals(List.of(), problems);
        assertNull(queue.failure());
        assertEquals((long)size * reads, queue.inPlaceBytes(), "every byte left in its frame");
        assertEquals((long)size * reads, inPlace.get(), "every piece of every list in place");
        assertEquals(0, queue.copiedBytes(), "nothing copied on this host");
        assertEquals((long)size * reads, queue.placedBytes());
        assertEquals(0, stack.retainedFrames(), "every frame given back");
        // Every stream byte consumed, and the credit for it returned once a quarter of the window was due.
        final long sent = proxy.c2hSent();
        until("the credit for the released bytes", () -> lastCreditPosition() > sent - (1 << 20));
        assertNoViolations();
    }

    // ---- held lists: frames and credit kept, backpressure ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldHoldFramesAndCreditUntilReleasedAndDeferReadsBeyondTheWindow(final Mode mode) throws Exception
    {
        // A 256 KiB window: a 128 KiB scatter window, so four 32 KiB reads at a time.
        start(mode, 1024, 256 * 1024, 0);
        proxy.autoReads = true;
        proxy.autoReadPiece = FRAME_PIECE;
        assertEquals(128 * 1024, queue.scatterWindow());
        final int size = 32 * 1024;
        for (int i = 0; i < 10; i++)
        {
            read(i * 64L, size, "r" + i);
        }
        for (int i = 0; i < 4; i++)
        {
            assertEquals(NvmeStatus.SUCCESS, await("r" + i));
        }
        until("four capsules", () -> 4 == proxy.capsules(true).size());
        assertEquals(6, queue.inFlight(), "six wait for the window");
        assertEquals(4, proxy.capsules(true).size(), "only what the window holds was sent");
        final int kept = stack.retainedFrames();
        assertTrue(kept >= 4 * (size / FRAME_PIECE), "the four lists keep their frames: " + kept);
        // The kept bytes were not credited: what the proxy may send stops short of them.
        final long sentBefore = proxy.c2hSent();
        assertTrue(lastCreditPosition() <= sentBefore - 4L * size, "credit " + lastCreditPosition() + " of " +
            sentBefore + " sent, with " + 4 * size + " bytes held");

        // Releasing one list lets one more read out; its frames go back at once.
        final ScatterList first = lists.get("r0");
        assertArrayEquals(ScriptedOffloadProxy.disk(0, size), gather(first));
        first.release();
        assertThrows(IllegalStateException.class, first::release, "a list is released once");
        assertThrows(IllegalStateException.class, () -> first.offset(0), "not usable after release");
        // Its frames go back to the link; the next read may take frames again at once, so the count of kept frames
        // proves nothing here: what shows the release is that one more read gets out (below), and the final check
        // that every frame and every byte of credit is back.
        assertEquals(NvmeStatus.SUCCESS, await("r4"));
        until("five capsules", () -> 5 == proxy.capsules(true).size());
        assertFalse(statuses.containsKey("r5"));

        // Release as they complete: all ten arrive, byte-exact; then every frame and credit is back.
        for (int i = 1; i < 10; i++)
        {
            assertEquals(NvmeStatus.SUCCESS, await("r" + i));
            final ScatterList list = lists.get("r" + i);
            assertArrayEquals(ScriptedOffloadProxy.disk(i * 64L, size), gather(list), "r" + i);
            list.release();
        }
        until("every frame back", () -> 0 == stack.retainedFrames());
        assertEquals(0, queue.inFlight());
        final long sent = proxy.c2hSent();
        until("credit for every byte", () -> lastCreditPosition() > sent - 64 * 1024);
        assertNull(queue.failure());
        assertNoViolations();
    }

    // ---- errors give the frames back ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldFailAReadWithADataDigestErrorAndGiveItsFramesBack(final Mode mode) throws Exception
    {
        start(mode, 1024, 256 * 1024, 0);
        read(0, 8192, "bad");
        read(64, 8192, "good");
        final byte[] data = ScriptedOffloadProxy.disk(0, 8192);
        proxy.sendC2H(cid(0), 0, data, true, false, 0, UlpMessages.PLACE_DIGEST_ERROR, pieces(8192));
        proxy.sendResp(cid(0), 0);
        assertEquals(NvmeStatus.DATA_DIGEST_ERROR, await("bad"));
        assertFalse(lists.containsKey("bad"), "no list for a failed read");
        assertEquals(0, stack.retainedFrames(), "its frames given back");
        proxy.sendC2H(cid(64), 0, ScriptedOffloadProxy.disk(64, 8192), true, pieces(8192));
        proxy.sendResp(cid(64), 0);
        assertEquals(NvmeStatus.SUCCESS, await("good"));
        assertArrayEquals(ScriptedOffloadProxy.disk(64, 8192), gather(lists.get("good")));
        lists.get("good").release();
        assertEquals(0, stack.retainedFrames());
        assertEquals(1, queue.dataDigestErrors());
        assertNull(queue.failure(), "a digest error fails the read, not the queue");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldFailAReadInterruptedByASocketResetAndGiveItsFramesBack(final Mode mode) throws Exception
    {
        start(mode, 1024, 256 * 1024, 0);
        read(0, 16384, "cut");
        final int cid = cid(0);
        final byte[] data = ScriptedOffloadProxy.disk(0, 16384);
        proxy.sendPduHeader(proxy.c2hHeader(cid, 0, 16384, true, false), 28);
        proxy.sendPlace(cid, 0, 0, Arrays.copyOfRange(data, 0, 1500), 1500);
        proxy.sendPlace(cid, 0, 1500, Arrays.copyOfRange(data, 1500, 3000), 1500);
        until("the first pieces kept", () -> stack.retainedFrames() >= 1);
        proxy.sendErrorAndReset(SocketMessages.ECONNRESET, XtsFrameDescriptor.TYPE_SOCKET_DATA, "peer reset");
        final int status = await("cut");
        assertTrue(NvmeStatus.QUEUE_FAILED == status, NvmeStatus.describe(status));
        assertFalse(lists.containsKey("cut"));
        assertNotNull(queue.failure());
        assertEquals(0, stack.retainedFrames(), "the pieces' frames given back");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldFailTheQueueOnAPieceOutOfOrderAndGiveTheFramesBack(final Mode mode) throws Exception
    {
        start(mode, 1024, 256 * 1024, 0);
        read(0, 16384, "gap");
        final int cid = cid(0);
        final byte[] data = ScriptedOffloadProxy.disk(0, 16384);
        proxy.sendPduHeader(proxy.c2hHeader(cid, 0, 16384, true, false), 28);
        proxy.sendPlace(cid, 0, 0, Arrays.copyOfRange(data, 0, 1500), 1500);
        // A gap: 1500..2999 never comes.
        proxy.sendPlace(cid, 0, 3000, Arrays.copyOfRange(data, 3000, 4500), 1500);
        final int status = await("gap");
        assertEquals(NvmeStatus.QUEUE_FAILED, status, NvmeStatus.describe(status));
        assertTrue(queue.failureText().contains("not the next piece"), queue.failureText());
        assertEquals(0, stack.retainedFrames());
    }

    @Test
    void shouldKeepUnregisteredPlacementsInPlaceToo() throws Exception
    {
        start(Mode.POLL_APP_DRIVES, 1024, 256 * 1024, 0);
        read(0, 8192, "u");
        final byte[] data = ScriptedOffloadProxy.disk(0, 8192);
        proxy.sendC2H(cid(0), 0, data, true, true, UlpMessages.PLACE_UNREGISTERED, 0, pieces(8192));
        assertEquals(NvmeStatus.SUCCESS, await("u"));
        final ScatterList list = lists.get("u");
        assertArrayEquals(data, gather(list));
        assertEquals(list.pieces(), inPlacePieces(list));
        assertEquals(8192, queue.unregisteredBytes());
        list.release();
        assertEquals(0, stack.retainedFrames());
    }

    @Test
    void shouldLetListsOutliveTheQueue() throws Exception
    {
        start(Mode.THREAD_OWN_POLLER, 1024, 256 * 1024, 0);
        proxy.autoReads = true;
        read(0, 8192, "late");
        assertEquals(NvmeStatus.SUCCESS, await("late"));
        assertTrue(stack.retainedFrames() > 0);
        queue.close();
        final ScatterList list = lists.get("late");
        assertArrayEquals(ScriptedOffloadProxy.disk(0, 8192), gather(list), "still readable after close");
        list.release();
        assertEquals(0, stack.retainedFrames(), "given back to the link after the queue closed");
    }

    // ---- fallbacks: bounce memory ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldCopyPiecesBeyondTheLinksLimitIntoBounceMemory(final Mode mode) throws Exception
    {
        // 256 receive frames: the link keeps at most 124, fewer than one 512 KiB read of 1 KiB pieces needs.
        start(mode, 256, 4 << 20, 0);
        proxy.autoReads = true;
        read(0, 512 * 1024, "big");
        read(1024, 512 * 1024, "big2");
        assertEquals(NvmeStatus.SUCCESS, await("big"));
        assertEquals(NvmeStatus.SUCCESS, await("big2"));
        for (final String name : List.of("big", "big2"))
        {
            final ScatterList list = lists.get(name);
            assertArrayEquals(ScriptedOffloadProxy.disk("big".equals(name) ? 0 : 1024, 512 * 1024), gather(list));
            list.release();
        }
        assertTrue(queue.inPlaceBytes() > 0, "some pieces stayed in their frames");
        assertTrue(queue.copiedBytes() > 0, "the rest went to bounce memory");
        assertEquals(1024L * 1024, queue.inPlaceBytes() + queue.copiedBytes());
        assertEquals(0, stack.retainedFrames());
        assertEquals(queue.bounce().chunks(), queue.bounce().freeChunks(), "every bounce chunk back");
        assertNull(queue.failure());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldReadFromBounceMemoryWhenTheProxyRefusesTheOffload(final Mode mode) throws Exception
    {
        pair = LockedTransport.pair();
        proxy = new ScriptedOffloadProxy(pair[1], LINK);
        proxy.answerPush(SocketMessages.EOPNOTSUPP, 0);
        stack = XtsStack.builder().transport(pair[0]).receiveWindow(256 * 1024).ownPoller(mode.ownPoller)
            .linkTimeout(Duration.ofSeconds(10)).linkConfig(LINK).build();
        queue = new TcpQueue(QueueConfig.builder().address(CONTROLLER).qid(1).depth(DEPTH).digests(true, true)
            .inCapsuleLimit(4096).polled(mode.polled).timeoutNanos(TIMEOUT_NS).namespaces(NAMESPACES)
            .xts(stack, 0).build());
        assertFalse(queue.isOffloaded());
        read(0, 20_480, "soft");
        read(128, 4096, "bad");
        final byte[] data = ScriptedOffloadProxy.disk(0, 20_480);
        proxy.sendC2H(cid(0), 0, Arrays.copyOfRange(data, 0, 10_000), false);
        proxy.sendC2H(cid(0), 10_000, Arrays.copyOfRange(data, 10_000, 20_480), true);
        proxy.sendResp(cid(0), 0);
        proxy.sendC2HCorrupt(cid(128), 0, ScriptedOffloadProxy.disk(128, 4096), true);
        proxy.sendResp(cid(128), 0);
        assertEquals(NvmeStatus.SUCCESS, await("soft"));
        assertEquals(NvmeStatus.DATA_DIGEST_ERROR, await("bad"));
        final ScatterList list = lists.get("soft");
        assertArrayEquals(data, gather(list));
        assertEquals(0, inPlacePieces(list), "copied once, by the queue's parser");
        assertTrue(list.pieces() <= 4, "contiguous chunks merge: " + list);
        list.release();
        assertEquals(20_480 + 4096, queue.copiedBytes());
        assertEquals(0, queue.inPlaceBytes());
        assertEquals(queue.bounce().chunks(), queue.bounce().freeChunks(), "every bounce chunk back");
        assertNull(queue.failure());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldCompleteScatterReadsBeforeAndAfterAMidStreamPush(final Mode mode) throws Exception
    {
        // Software framing first (bounce memory), the ULP pushed once two commands completed, then in place.
        start(mode, 1024, 256 * 1024, 2);
        proxy.autoReads = true;
        proxy.autoReadPiece = FRAME_PIECE;
        for (int i = 0; i < 8; i++)
        {
            read(i * 64L, 16384, "m" + i);
            assertEquals(NvmeStatus.SUCCESS, await("m" + i));
            final ScatterList list = lists.get("m" + i);
            assertArrayEquals(ScriptedOffloadProxy.disk(i * 64L, 16384), gather(list), "m" + i);
            list.release();
            if (i >= 2)
            {
                until("the offload", () -> queue.isOffloaded());
            }
        }
        assertTrue(queue.copiedBytes() >= 2 * 16384, "the first reads through bounce memory: " + queue.copiedBytes());
        assertTrue(queue.inPlaceBytes() >= 4 * 16384, "the later ones in place: " + queue.inPlaceBytes());
        assertEquals(8L * 16384, queue.copiedBytes() + queue.inPlaceBytes());
        assertEquals(0, stack.retainedFrames());
        assertEquals(queue.bounce().chunks(), queue.bounce().freeChunks());
        assertNull(queue.failure());
        assertNoViolations();
    }

    @Test
    void shouldRefuseAReadLongerThanTheScatterWindow() throws Exception
    {
        start(Mode.POLL_APP_DRIVES, 256, 256 * 1024, 0);
        assertThrows(IllegalArgumentException.class, () -> queue.readScatter(1, 0, 512, keep, "too big"));
        assertEquals(0, queue.inFlight());
    }
}
