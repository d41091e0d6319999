package io.xts.nvme.host;

import io.xts.nvme.ConnectData;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.Sqe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The NVMe/TCP host against {@link ScriptedController} on loopback: the bring-up sequence command by command, reads
 * and writes byte-exact with and without digests (in-capsule and R2T writes, C2HData in pieces, out-of-order
 * completion), a data digest error failing one command only, a malformed PDU and a header digest error failing the
 * queue, 128 commands in flight, polling, error status, large payloads read straight from the socket into the
 * buffer (nothing copied in user space), and scatter reads over kernel TCP (from bounce memory).
 */
@Timeout(60)
class NvmeHostTest
{
    private static final String SUBNQN = "nqn.2024-01.io.xts:test";
    private final Arena arena = Arena.ofShared();
    private ScriptedController target;

    @BeforeEach
    void start() throws Exception
    {
        target = new ScriptedController();
    }

    @AfterEach
    void stop() throws Exception
    {
        target.close();
        arena.close();
    }

    private NvmeController.Builder builder() throws Exception
    {
        return NvmeController.builder().address(target.address()).subsystemNqn(SUBNQN)
            .keepAliveTimeout(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(5));
    }

    private MemorySegment pattern(final long bytes, final int seed)
    {
        final MemorySegment m = arena.allocate(bytes, 4096);
        for (long i = 0; i < bytes; i++)
        {
            m.set(ValueLayout.JAVA_BYTE, i, (byte)(i * 31 + seed * 7 + (i >>> 9)));
        }
        return m;
    }

    private static byte[] bytes(final MemorySegment m, final long offset, final long length)
    {
        return m.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void shouldBringTheControllerUpWithTheExactCommands() throws Exception
    {
        final UUID hostId = UUID.randomUUID();
        try (NvmeController c = builder().hostId(hostId).headerDigest(true).dataDigest(true).ioQueues(2)
            .queueDepth(64).keepAliveTimeout(Duration.ofSeconds(20)).connect())
        {
            assertEquals(ScriptedController.CNTLID, c.cntlid());
            assertEquals(0x0001_0400, c.version());
            assertEquals(127, c.cap() & 0xFFFF);
            assertEquals("XTS0001", c.serialNumber());
            assertEquals("scripted", c.modelNumber());
            assertEquals(new Namespace(1, 512, 4096), c.namespace(1));
            assertEquals(4096, c.ioInCapsuleLimit());
            assertEquals(2, c.ioQueues().size());
            assertEquals(64, c.ioQueue(0).depth());

            final List<ScriptedController.Command> admin = target.commands(0);
            int i = 0;
            // Fabrics Connect QID 0: PSDT 01b, SGL 01h (in-capsule) of 1024 bytes, SQSIZE 31, KATO in ms.
            Sqe s = admin.get(i++).view();
            assertEquals(0x7F, s.opcode());
            assertEquals(0x40, s.flags());
            assertEquals(NvmeTcp.FCTYPE_CONNECT, s.fctype());
            assertEquals(NvmeTcp.SGL_IN_CAPSULE, s.sglIdentifier());
            assertEquals(0, s.sglAddress());
            assertEquals(1024, s.sglLength());
            assertEquals(0, s.connectRecfmt());
            assertEquals(0, s.connectQid());
            assertEquals(31, s.connectSqsize());
            assertEquals(0, s.connectCattr());
            assertEquals(20_000, s.connectKato());
            final ConnectData cd = new ConnectData().wrap(MemorySegment.ofArray(admin.get(0).data()), 0);
            assertEquals(hostId, cd.hostId());
            assertEquals(0xFFFF, cd.cntlid());
            assertEquals(SUBNQN, cd.subNqn());
            assertEquals(NvmeController.UUID_NQN_PREFIX + hostId, cd.hostNqn());
            // Property Get CAP (8 bytes), VS (4 bytes); no data: SGL 5Ah length 0.
            s = admin.get(i++).view();
            assertEquals(NvmeTcp.FCTYPE_PROPERTY_GET, s.fctype());
            assertEquals(NvmeTcp.PROP_CAP, s.propertyOffset());
            assertEquals(1, s.propertyAttrib());
            assertEquals(8, s.propertySize());
            assertEquals(NvmeTcp.SGL_TRANSPORT, s.sglIdentifier());
            assertEquals(0, s.sglLength());
            s = admin.get(i++).view();
            assertEquals(NvmeTcp.PROP_VS, s.propertyOffset());
            assertEquals(0, s.propertyAttrib());
            // Property Set CC = EN | IOSQES 6 | IOCQES 4.
            s = admin.get(i++).view();
            assertEquals(NvmeTcp.FCTYPE_PROPERTY_SET, s.fctype());
            assertEquals(NvmeTcp.PROP_CC, s.propertyOffset());
            assertEquals(0x0046_0001L, s.propertyValue());
            // CSTS polled until RDY (the script makes the first poll not ready).
            int polls = 0;
            while (admin.get(i).view().isFabrics() && NvmeTcp.PROP_CSTS == admin.get(i).view().propertyOffset())
            {
                i++;
                polls++;
            }
            assertEquals(2, polls);
            // Identify Controller, then Namespace 1: SGL 5Ah of 4096.
            s = admin.get(i++).view();
            assertEquals(NvmeTcp.OPC_IDENTIFY, s.opcode());
            assertEquals(0x40, s.flags());
            assertEquals(NvmeTcp.CNS_CONTROLLER, s.identifyCns());
            assertEquals(0, s.nsid());
            assertEquals(NvmeTcp.SGL_TRANSPORT, s.sglIdentifier());
            assertEquals(4096, s.sglLength());
            s = admin.get(i++).view();
            assertEquals(NvmeTcp.CNS_NAMESPACE, s.identifyCns());
            assertEquals(1, s.nsid());
            // Set Features Number of Queues: 2 asked, 0's based in both halves.
            s = admin.get(i++).view();
            assertEquals(NvmeTcp.OPC_SET_FEATURES, s.opcode());
            assertEquals(NvmeTcp.FID_NUMBER_OF_QUEUES, s.featureId());
            assertEquals(0x0001_0001, s.cdw11());
            assertEquals(NvmeTcp.SGL_TRANSPORT, s.sglIdentifier());
            assertEquals(i, admin.size(), "nothing else on the admin queue");

            // I/O queues: own connections, Connect with QID, SQSIZE depth - 1, KATO 0, the CNTLID.
            for (int qid = 1; qid <= 2; qid++)
            {
                final List<ScriptedController.Command> io = target.commands(qid);
                assertEquals(1, io.size());
                s = io.get(0).view();
                assertEquals(NvmeTcp.FCTYPE_CONNECT, s.fctype());
                assertEquals(0x40, s.flags());
                assertEquals(qid, s.connectQid());
                assertEquals(63, s.connectSqsize());
                assertEquals(0, s.connectKato());
                assertEquals(NvmeTcp.SGL_IN_CAPSULE, s.sglIdentifier());
                final ConnectData d = new ConnectData().wrap(MemorySegment.ofArray(io.get(0).data()), 0);
                assertEquals(ScriptedController.CNTLID, d.cntlid());
                assertEquals(hostId, d.hostId());
            }
            assertEquals(List.of(), target.violations);
        }
        // Shutdown notification: CC with SHN 01b.
        assertEquals(0x0046_4001L, target.propertySets.getLast());
    }

    @Test
    void shouldSendKeepAliveEveryHalfKato() throws Exception
    {
        try (NvmeController c = builder().keepAliveTimeout(Duration.ofMillis(200)).ioQueues(0).connect())
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (target.keepAlives.get() < 3 && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
            assertTrue(target.keepAlives.get() >= 3, "keep alives " + target.keepAlives.get());
            assertEquals(0, c.keepAliveFailures());
            assertEquals(200, target.commands(0).getFirst().view().connectKato());
            final Sqe ka = target.commands(0).getLast().view();
            assertEquals(NvmeTcp.OPC_KEEP_ALIVE, ka.opcode());
            assertEquals(0x40, ka.flags());
            assertEquals(NvmeTcp.SGL_TRANSPORT, ka.sglIdentifier());
            assertEquals(0, ka.sglLength());
        }
        assertEquals(List.of(), target.violations);
    }

    @ParameterizedTest
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void shouldReadAndWriteByteExact(final boolean hd, final boolean dd) throws Exception
    {
        target.r2tPieces = 2;
        try (NvmeController c = builder().headerDigest(hd).dataDigest(dd).connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            // In capsule: 4 blocks (2048 bytes) and exactly the limit (8 blocks, 4096 bytes).
            final MemorySegment small = pattern(4096, 1);
            q.write(1, 10, 4, small, 0).get(5, TimeUnit.SECONDS);
            q.write(1, 20, 8, small, 0).get(5, TimeUnit.SECONDS);
            // R2T: 64 blocks (32 KiB) in 2 R2Ts of 16 KiB, each in H2CData of at most MAXH2CDATA 8192.
            final MemorySegment big = pattern(64 * 512 + 100, 2);
            q.write(1, 100, 64, big, 100).get(5, TimeUnit.SECONDS);
            // R2T just above the in-capsule limit: 9 blocks.
            q.write(1, 200, 9, big, 0).get(5, TimeUnit.SECONDS);

            assertArrayEquals(bytes(small, 0, 2048), bytes(target.disk, 10 * 512, 2048));
            assertArrayEquals(bytes(small, 0, 4096), bytes(target.disk, 20 * 512, 4096));
            assertArrayEquals(bytes(big, 100, 32768), bytes(target.disk, 100 * 512, 32768));
            assertArrayEquals(bytes(big, 0, 9 * 512), bytes(target.disk, 200 * 512, 9 * 512));

            // Read back, in 2 C2HData each, into an offset of the buffer.
            final MemorySegment dst = arena.allocate(40_000);
            q.read(1, 100, 64, dst, 7).get(5, TimeUnit.SECONDS);
            assertArrayEquals(bytes(big, 100, 32768), bytes(dst, 7, 32768));
            q.read(1, 10, 4, dst, 0).get(5, TimeUnit.SECONDS);
            assertArrayEquals(bytes(small, 0, 2048), bytes(dst, 0, 2048));

            // Two reads answered in reverse order with their C2HData interleaved.
            target.c2hPieces = 3;
            target.batch = 2;
            final MemorySegment a = arena.allocate(32768);
            final MemorySegment b = arena.allocate(4096);
            final List<String> order = new CopyOnWriteArrayList<>();
            final CountDownLatch done = new CountDownLatch(2);
            final CompletionHandler h = (status, result, att) ->
            {
                order.add(att + ":" + NvmeStatus.describe(status));
                done.countDown();
            };
            assertTrue(q.read(1, 100, 64, a, 0, h, "A"));
            assertTrue(q.read(1, 20, 8, b, 0, h, "B"));
            assertTrue(done.await(5, TimeUnit.SECONDS));
            assertEquals(List.of("B:SCT 0h SC 00h: Success", "A:SCT 0h SC 00h: Success"), order);
            assertArrayEquals(bytes(big, 100, 32768), bytes(a, 0, 32768));
            assertArrayEquals(bytes(small, 0, 4096), bytes(b, 0, 4096));
            assertEquals(0, q.inFlight());
            assertNull(q.failure());
        }

        // Which path each write took, from the SQEs the controller received.
        final List<ScriptedController.Command> io = target.commands(1);
        final Sqe w1 = io.get(1).view();
        assertEquals(NvmeTcp.OPC_WRITE, w1.opcode());
        assertEquals(NvmeTcp.SGL_IN_CAPSULE, w1.sglIdentifier());
        assertEquals(2048, w1.sglLength());
        assertEquals(10, w1.slba());
        assertEquals(3, w1.nlb());
        assertEquals(2048, io.get(1).data().length);
        assertEquals(NvmeTcp.SGL_IN_CAPSULE, io.get(2).view().sglIdentifier());
        final Sqe w3 = io.get(3).view();
        assertEquals(NvmeTcp.SGL_TRANSPORT, w3.sglIdentifier());
        assertEquals(32768, w3.sglLength());
        assertEquals(0, w3.sglAddress());
        assertNull(io.get(3).data());
        assertEquals(NvmeTcp.SGL_TRANSPORT, io.get(4).view().sglIdentifier());
        final Sqe r = io.get(5).view();
        assertEquals(NvmeTcp.OPC_READ, r.opcode());
        assertEquals(0x40, r.flags());
        assertEquals(NvmeTcp.SGL_TRANSPORT, r.sglIdentifier());
        assertEquals(32768, r.sglLength());
        // 32 KiB: 2 R2Ts x 2 H2CData of 8192; 4608 bytes: 2 R2Ts (2304 each) x 1 H2CData.
        assertEquals(4, target.r2ts.get());
        assertEquals(6, target.h2cPdus.get());
        assertEquals(List.of(), target.violations);
    }

    @ParameterizedTest
    @CsvSource({"false,false,false", "true,true,false", "true,true,true"})
    void shouldReadLargePayloadsStraightFromTheSocketIntoTheBuffer(final boolean hd, final boolean dd,
        final boolean polled) throws Exception
    {
        target.c2hPieces = 3;
        try (NvmeController c = builder().headerDigest(hd).dataDigest(dd).completionMode(polled ?
            NvmeController.CompletionMode.POLL : NvmeController.CompletionMode.THREAD).connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            final MemorySegment data = pattern(1 << 20, 9);
            final List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int i = 0; i < 16; i++)
            {
                writes.add(q.write(1, i * 128L, 128, data, i * 65536L));
            }
            for (final CompletableFuture<Void> w : writes)
            {
                await(q, w);
            }
            final long copiedBefore = q.copiedBytes();
            // 64 KiB reads in 3 C2HData PDUs of about 21 KiB: every payload straight into its place.
            final MemorySegment dst = arena.allocate((1 << 20) + 4096, 4096);
            final List<CompletableFuture<Void>> reads = new ArrayList<>();
            for (int i = 15; i >= 0; i--)
            {
                reads.add(q.read(1, i * 128L, 128, dst, 4096 + i * 65536L));
            }
            for (final CompletableFuture<Void> r : reads)
            {
                await(q, r);
            }
            assertArrayEquals(bytes(data, 0, 1 << 20), bytes(dst, 4096, 1 << 20));
            assertEquals(copiedBefore, q.copiedBytes(), "no payload byte copied in user space");

            // A small payload (a 4 KiB read in one PDU) comes through the receive buffer: copied once. (The large read
            // goes first: a THREAD-mode reader already blocked in a read of the receive buffer, issued while only
            // small reads were outstanding, would take whatever comes, a large payload too.)
            target.c2hPieces = 1;
            target.batch = 2;
            final CompletableFuture<Void> big = q.read(1, 256, 128, dst, 8192);
            final CompletableFuture<Void> small = q.read(1, 8, 8, dst, 0);
            await(q, small);
            await(q, big);
            assertArrayEquals(bytes(data, 4096, 4096), bytes(dst, 0, 4096));
            assertArrayEquals(bytes(data, 2 * 65536, 65536), bytes(dst, 8192, 65536));
            assertEquals(copiedBefore + 4096, q.copiedBytes(), "the small payload copied once, the large one not");
            assertNull(q.failure());
        }
    }

    /** Wait for a future, polling the queue meanwhile when it is in POLL mode. */
    private static void await(final NvmeQueue q, final CompletableFuture<Void> f) throws Exception
    {
        if (q instanceof TcpQueue t && t.isPolled())
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!f.isDone())
            {
                if (0 == q.poll())
                {
                    LockSupport.parkNanos(20_000);
                }
                assertTrue(System.nanoTime() - deadline < 0, "timed out; queue: " + q.failure());
            }
        }
        f.get(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldCompleteScatterReadsFromBounceMemoryOverKernelTcp() throws Exception
    {
        target.c2hPieces = 3;
        target.corruptDataDigestLba = 2048;
        try (NvmeController c = builder().headerDigest(true).dataDigest(true).scatterWindow(256 * 1024).connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            assertEquals(256 * 1024, q.scatterWindow());
            final MemorySegment data = pattern(1 << 20, 5);
            q.write(1, 0, 2048, data, 0).get(5, TimeUnit.SECONDS);

            final ScatterList one = q.readScatter(1, 0, 128).get(5, TimeUnit.SECONDS);
            assertEquals(65536, one.length());
            final MemorySegment copy = arena.allocate(1 << 20);
            one.copyTo(copy, 0);
            assertArrayEquals(bytes(data, 0, 65536), bytes(copy, 0, 65536));
            for (int i = 0; i < one.pieces(); i++)
            {
                assertFalse(one.inPlace(i), "over kernel TCP every piece is in bounce memory");
            }
            one.release();

            // Sixteen 64 KiB reads through a 256 KiB window: four at a time, the others sent as lists are released.
            final List<CompletableFuture<ScatterList>> reads = new ArrayList<>();
            for (int i = 0; i < 16; i++)
            {
                reads.add(q.readScatter(1, i * 128L, 128));
            }
            for (int i = 0; i < 16; i++)
            {
                final ScatterList list = reads.get(i).get(5, TimeUnit.SECONDS);
                list.copyTo(copy, i * 65536L);
                list.release();
            }
            assertArrayEquals(bytes(data, 0, 1 << 20), bytes(copy, 0, 1 << 20));

            final CompletionException e = assertThrows(CompletionException.class,
                () -> q.readScatter(1, 2048, 8).join());
            assertEquals(NvmeStatus.DATA_DIGEST_ERROR, ((NvmeException)e.getCause()).status());
            assertEquals(0, q.inFlight());
            assertNull(q.failure());
            assertTrue(q.copiedBytes() >= 17 * 65536, "copied once into bounce memory: " + q.copiedBytes());
            assertEquals(0, q.inPlaceBytes());
        }
    }

    @Test
    void shouldFailOnlyTheCommandWhoseDataDigestIsWrong() throws Exception
    {
        target.corruptDataDigestLba = 100;
        try (NvmeController c = builder().dataDigest(true).connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            final MemorySegment data = pattern(8192, 3);
            q.write(1, 100, 8, data, 0).get(5, TimeUnit.SECONDS);
            q.write(1, 200, 8, data, 4096).get(5, TimeUnit.SECONDS);

            target.batch = 2;
            final MemorySegment a = arena.allocate(4096);
            final MemorySegment b = arena.allocate(4096);
            final CompletableFuture<Void> bad = q.read(1, 100, 8, a, 0);
            final CompletableFuture<Void> good = q.read(1, 200, 8, b, 0);
            good.get(5, TimeUnit.SECONDS);
            assertArrayEquals(bytes(data, 4096, 4096), bytes(b, 0, 4096));
            final CompletionException e = assertThrows(CompletionException.class, bad::join);
            final NvmeException ne = (NvmeException)e.getCause();
            assertEquals(NvmeStatus.DATA_DIGEST_ERROR, ne.status());
            assertTrue(ne.getMessage().contains("data digest"), ne.getMessage());
            assertEquals(1, q.dataDigestErrors());
            assertNull(q.failure(), "a data digest error is not a queue failure");

            target.batch = 1;
            q.read(1, 200, 8, b, 0).get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldFailTheQueueAndEveryCommandOnAMalformedPdu() throws Exception
    {
        target.malformedLba = 300;
        try (NvmeController c = builder().connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            target.batch = 2;
            final MemorySegment a = arena.allocate(4096);
            final CompletableFuture<Void> other = q.read(1, 400, 1, a, 0);
            final CompletableFuture<Void> bad = q.read(1, 300, 1, a, 512);
            for (final CompletableFuture<Void> f : List.of(bad, other))
            {
                final CompletionException e = assertThrows(CompletionException.class, f::join);
                final NvmeException ne = (NvmeException)e.getCause();
                assertEquals(NvmeStatus.QUEUE_FAILED, ne.status());
                assertTrue(ne.getMessage().contains("malformed PDU from the controller"), ne.getMessage());
                assertTrue(ne.getMessage().contains("HLEN 20 for CapsuleResp, expected 24"), ne.getMessage());
            }
            assertNotNull(q.failure());
            assertEquals(0, q.inFlight());
            // Later commands complete at once with the failure.
            final CompletionException later = assertThrows(CompletionException.class, q.read(1, 0, 1, a, 0)::join);
            assertEquals(NvmeStatus.QUEUE_FAILED, ((NvmeException)later.getCause()).status());
            // The host told the controller why (H2CTermReq, Invalid PDU Header Field).
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (target.termReqs.isEmpty() && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            assertEquals(List.of(NvmeTcp.FES_INVALID_HEADER_FIELD), target.termReqs);
            assertNull(c.adminFailure(), "the admin queue is unaffected");
        }
    }

    @Test
    void shouldFailEveryCommandWithTheCauseWhenTheReceiveThreadDies() throws Exception
    {
        try (NvmeController c = builder().connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            final MemorySegment a = arena.allocate(4096);
            final CompletableFuture<Void> handlerRan = new CompletableFuture<>();
            // An Error from a completion handler is not caught by the completion itself: it ends the reader thread.
            assertTrue(q.read(1, 0, 1, a, 0, (status, result, attachment) ->
            {
                handlerRan.complete(null);
                throw new AssertionError("a completion handler that throws an Error");
            }, null));
            handlerRan.get(5, TimeUnit.SECONDS);
            // Before the fix this read waited forever: nobody was left to read its completion.
            final CompletableFuture<Void> next = q.read(1, 1, 1, a, 512);
            final ExecutionException e = assertThrows(ExecutionException.class, () -> next.get(5, TimeUnit.SECONDS));
            final NvmeException ne = (NvmeException)e.getCause();
            assertEquals(NvmeStatus.QUEUE_FAILED, ne.status());
            assertTrue(ne.getMessage().contains("the receive thread died"), ne.getMessage());
            assertTrue(ne.getMessage().contains("a completion handler that throws an Error"), ne.getMessage());
            assertNotNull(q.failure());
        }
    }

    @Test
    void shouldFailTheQueueOnAHeaderDigestError() throws Exception
    {
        target.headerDigestErrorLba = 5;
        try (NvmeController c = builder().headerDigest(true).connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            final CompletionException e = assertThrows(CompletionException.class,
                q.read(1, 5, 1, arena.allocate(512), 0)::join);
            final NvmeException ne = (NvmeException)e.getCause();
            assertEquals(NvmeStatus.QUEUE_FAILED, ne.status());
            assertTrue(ne.getMessage().contains("HDGST"), ne.getMessage());
        }
    }

    @Test
    void shouldKeep128CommandsInFlight() throws Exception
    {
        target.blocks = 8192;
        try (NvmeController c = builder().queueDepth(128).connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            assertEquals(128, q.depth());
            final MemorySegment src = pattern(128 * 512, 4);
            MemorySegment.copy(src, 0, target.disk, 1000 * 512, src.byteSize());
            target.batch = 128;
            final MemorySegment dst = arena.allocate(128 * 512);
            final CountDownLatch done = new CountDownLatch(128);
            final AtomicInteger failures = new AtomicInteger();
            final CompletionHandler h = (status, result, att) ->
            {
                if (!NvmeStatus.isSuccess(status))
                {
                    failures.incrementAndGet();
                }
                done.countDown();
            };
            for (int i = 0; i < 128; i++)
            {
                assertTrue(q.read(1, 1000 + i, 1, dst, i * 512L, h, i), "command " + i);
            }
            assertFalse(q.read(1, 0, 1, dst, 0, h, -1), "the 129th has no CID");
            assertEquals(128, q.inFlight());
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(0, failures.get());
            assertEquals(128, target.maxOutstandingSeen);
            assertArrayEquals(bytes(src, 0, src.byteSize()), bytes(dst, 0, dst.byteSize()));
            assertEquals(0, q.inFlight());
        }
        assertEquals(List.of(), target.violations);
    }

    @Test
    void shouldCompleteByPollingOnTheCallersThread() throws Exception
    {
        try (NvmeController c = builder().dataDigest(true).completionMode(NvmeController.CompletionMode.POLL)
            .connect())
        {
            final NvmeQueue q = c.ioQueue(0);
            final MemorySegment src = pattern(16384, 5);
            final MemorySegment dst = arena.allocate(16384);
            final Thread me = Thread.currentThread();
            final List<String> seen = new CopyOnWriteArrayList<>();
            final CompletionHandler h = (status, result, att) ->
                seen.add(att + (Thread.currentThread() == me ? "" : " on another thread") + " " + status);
            assertTrue(q.write(1, 50, 32, src, 0, h, "w"));
            while (seen.isEmpty())
            {
                q.poll();
            }
            assertTrue(q.read(1, 50, 32, dst, 0, h, "r"));
            while (seen.size() < 2)
            {
                q.poll();
            }
            assertEquals(List.of("w 0", "r 0"), seen);
            assertArrayEquals(bytes(src, 0, 16384), bytes(dst, 0, 16384));
        }
    }

    @Test
    void shouldReportTheControllersStatus() throws Exception
    {
        target.errorLba = 77;
        target.statusForLba = NvmeTcp.status(0, NvmeTcp.SC_LBA_OUT_OF_RANGE, true);
        try (NvmeController c = builder().connect())
        {
            final CompletionException e = assertThrows(CompletionException.class,
                c.ioQueue(0).read(1, 77, 1, arena.allocate(512), 0)::join);
            final NvmeException ne = (NvmeException)e.getCause();
            assertEquals(0, NvmeStatus.statusCodeType(ne.status()));
            assertEquals(0x80, NvmeStatus.statusCode(ne.status()));
            assertTrue(NvmeStatus.doNotRetry(ne.status()));
            assertTrue(ne.getMessage().contains("SCT 0h SC 80h: LBA Out of Range (DNR)"), ne.getMessage());
            assertNull(c.ioQueue(0).failure());
        }
    }
}
