package io.xts.nvme.host;

import io.xts.link.LockedTransport;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.ConnectData;
import io.xts.nvme.H2CDataPdu;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.TermReqPdu;
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
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static io.xts.nvme.host.ScriptedOffloadProxy.DdpSetup;
import static io.xts.nvme.host.ScriptedOffloadProxy.HostPdu;
import static io.xts.nvme.host.ScriptedOffloadProxy.ResyncResponse;
import static io.xts.nvme.host.ScriptedOffloadProxy.UlpPush;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The host library's offload transport ({@link TcpQueue} over an {@link io.xts.sockets.XtsSocket}, docs/PROTOCOL.md
 * "NVMe/TCP offload messages") against {@link ScriptedOffloadProxy}, in-process and unprivileged: an {@link XtsStack}
 * over an in-memory link whose other end plays the proxy and a controller. Each test scripts what the proxy sends and
 * checks what the queue does with it: ULP_PUSH (right after ICResp, or mid-stream at the last PDU boundary) and its
 * wait for ULP_RESULT; DDP_SETUP before read capsules and digests left zero for the proxy (capsules, H2CData answering
 * R2Ts from PDU_HEADERs); DDP_PLACE placement byte-exact (interleaved, out of order, unregistered, a C2HData larger
 * than the receive window, completion by SUCCESS), a data digest error failing only its command, placements outside
 * a command's buffer and other protocol errors failing the queue with the right text and nothing written; the
 * software fallback after a refusal (real digests both ways); resync requests answered from the parser's history,
 * refused off a boundary, deferred until the parser gets there, and the switch checked to be at a boundary; the
 * receive credit returned by PLEN; the proxy resetting the socket; completions that submit. Every test runs the
 * queue in POLL mode, in THREAD mode or both, with the stack driven by its own poller or by the queue.
 */
@Timeout(30)
class OffloadTransportTest
{
    /** Who runs the receive loop and who drives the XTS stack. */
    enum Mode
    {
        /** POLL queue, no stack poller: the test's queue.poll() does everything. */
        POLL_APP_DRIVES(true, false),
        /** POLL queue, the stack's own poller runs the ULP listener. */
        POLL_OWN_POLLER(true, true),
        /** THREAD queue parked until the stack's poller's listener wakes it. */
        THREAD_OWN_POLLER(false, true),
        /** THREAD queue whose reader drives the stack itself. */
        THREAD_DRIVES(false, false);

        final boolean polled;
        final boolean ownPoller;

        Mode(final boolean polled, final boolean ownPoller)
        {
            this.polled = polled;
            this.ownPoller = ownPoller;
        }
    }

    private static final InetSocketAddress CONTROLLER = new InetSocketAddress("198.18.0.2", 4420);
    private static final int DEPTH = 16;
    private static final int BLOCK = 512;
    private static final Map<Long, Namespace> NAMESPACES = Map.of(1L, new Namespace(1, BLOCK, 1 << 20));
    private static final int WINDOW = 64 * 1024;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int GUARD = 256;
    private static final byte FILL = (byte)0xA5;
    /** CapsuleCmd of a read with a header digest: HLEN 72 + HDGST. */
    private static final int READ_CAPSULE_PLEN = 76;
    /** C2HData header with its digest, no padding (HPDA 0): the PDO. */
    private static final int C2H_PDO = 28;
    /** CapsuleResp with its header digest. */
    private static final int RESP_PLEN = 28;

    private final Arena arena = Arena.ofShared();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final CompletionHandler handler = (status, result, attachment) -> statuses.put((String)attachment, status);
    private Mode mode;
    private LockedTransport[] pair;
    private ScriptedOffloadProxy proxy;
    private XtsStack stack;
    private volatile TcpQueue queue;

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
        arena.close();
    }

    // ---- fixture ----

    private void start(final Mode m, final int window) throws Exception
    {
        mode = m;
        pair = LockedTransport.pair();
        proxy = new ScriptedOffloadProxy(pair[1]);
        stack = XtsStack.builder().transport(pair[0]).receiveWindow(window).ownPoller(m.ownPoller)
            .linkTimeout(Duration.ofSeconds(10)).build();
    }

    private TcpQueue newQueue(final int pushAfter, final long timeoutNs)
    {
        return new TcpQueue(QueueConfig.builder().address(CONTROLLER).qid(1).depth(DEPTH).digests(true, true)
            .inCapsuleLimit(4096).polled(mode.polled).timeoutNanos(timeoutNs).namespaces(NAMESPACES)
            .xts(stack, pushAfter).build());
    }

    private TcpQueue open(final int pushAfter)
    {
        queue = newQueue(pushAfter, TIMEOUT_NS);
        return queue;
    }

    /**
     * Wait for {@code condition}, polling the queue in POLL mode (the stack too when it has no poller); fail with the
     * queue's and the proxy's state after {@link #WAIT_NS}.
     */
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

    private MemorySegment guarded(final int bytes)
    {
        final MemorySegment m = arena.allocate(bytes + 2L * GUARD, 8);
        m.fill(FILL);
        return m;
    }

    private void read(final long lba, final int bytes, final MemorySegment buffer, final String name)
    {
        assertTrue(queue.read(1, lba, bytes / BLOCK, buffer, GUARD, handler, name), "read " + name + " submitted");
    }

    private void write(final long lba, final int bytes, final MemorySegment buffer, final String name)
    {
        assertTrue(queue.write(1, lba, bytes / BLOCK, buffer, GUARD, handler, name), "write " + name + " submitted");
    }

    /** @return the capsule of the read or write at {@code lba}, once the proxy has it. */
    private HostPdu capsule(final long lba)
    {
        until("the capsule for LBA " + lba, () -> null != proxy.capsuleFor(lba));
        return proxy.capsuleFor(lba);
    }

    private int cid(final long lba)
    {
        return capsule(lba).sqe().cid();
    }

    private static byte[] random(final int n, final long seed)
    {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] part(final byte[] b, final int from, final int to)
    {
        return Arrays.copyOfRange(b, from, to);
    }

    private static byte[] data(final MemorySegment guarded, final int bytes)
    {
        return guarded.asSlice(GUARD, bytes).toArray(ValueLayout.JAVA_BYTE);
    }

    private static void assertGuardsIntact(final MemorySegment guarded, final int bytes)
    {
        for (long i = 0; i < guarded.byteSize(); i++)
        {
            if (i < GUARD || i >= GUARD + bytes)
            {
                assertEquals(FILL, guarded.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " outside the buffer");
            }
        }
    }

    private static void assertUntouched(final MemorySegment guarded)
    {
        for (long i = 0; i < guarded.byteSize(); i++)
        {
            assertEquals(FILL, guarded.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " written");
        }
    }

    /** A read capsule under the offload: HDGSTF only (no data), HLEN 72, four zero bytes for the digest. */
    private static void assertOffloadedReadCapsule(final HostPdu c, final int bytes)
    {
        assertEquals(NvmeTcp.TYPE_CAPSULE_CMD, c.type());
        assertEquals(NvmeTcp.FLAG_HDGSTF, c.flags(), "HDGSTF set, DDGSTF not (no data)");
        assertEquals(72, c.hlen());
        assertEquals(READ_CAPSULE_PLEN, c.plen());
        assertEquals(0, c.headerDigestField(), "HDGST left zero for the proxy");
        assertEquals(NvmeTcp.SGL_TRANSPORT, c.sqe().sglIdentifier());
        assertEquals(bytes, c.sqe().sglLength());
    }

    private void assertNoViolations()
    {
        assertEquals(List.of(), proxy.snapshot(p -> p.violations));
    }

    // ---- (1) ULP_PUSH ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldPushTheNegotiatedParametersRightAfterICRespAndWaitForTheResult(final Mode m) throws Exception
    {
        start(m, WINDOW);
        proxy.cpda = 3;
        proxy.maxH2cData = 24576;
        proxy.holdPushAnswer();
        final CompletableFuture<TcpQueue> opening = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("opening").start(() ->
        {
            try
            {
                opening.complete(newQueue(0, TIMEOUT_NS));
            }
            catch (final Throwable e)
            {
                opening.completeExceptionally(e);
            }
        });
        until("ULP_PUSH", () -> !proxy.snapshot(p -> p.pushes).isEmpty());
        final UlpPush push = proxy.snapshot(p -> p.pushes).getFirst();
        assertEquals(UlpMessages.ULP_NVME_TCP, push.ulp());
        assertEquals(UlpMessages.PUSH_FLAG_HDGST | UlpMessages.PUSH_FLAG_DDGST, push.flags());
        assertEquals(3, push.cpda());
        assertEquals(0, push.hpda());
        assertEquals(24576, push.maxH2cData());
        assertEquals(128, push.c2hConsumed(), "c2hConsumed: just past ICResp");
        assertEquals(128, push.h2cSent(), "h2cSent: just past ICReq");
        assertEquals(1, push.qid());
        assertEquals(DEPTH, push.qsize());
        assertEquals(128, push.h2cReceivedAtArrival(), "nothing but ICReq before the push");
        assertEquals(128, push.c2hSentAtArrival());

        // The constructor waits for ULP_RESULT, and sends nothing meanwhile.
        assertFalse(opening.isDone(), "the queue must wait for ULP_RESULT");
        assertEquals(List.of(XtsFrameDescriptor.TYPE_SOCKET_DATA,
            XtsFrameDescriptor.TYPE_NVME_ULP_PUSH), proxy.snapshot(p -> p.appMessageTypes));
        proxy.sendUlpResult(0, UlpMessages.RESULT_IN_SYNC, 128);
        queue = opening.get(10, TimeUnit.SECONDS);
        assertTrue(queue.isOffloaded());
        assertEquals(3, queue.cpda());
        assertEquals(24576, queue.maxH2cData());

        // The Fabrics Connect after the switch: in-capsule data with both digests left zero, PDO aligned to CPDA 3
        // (16 bytes); its CapsuleResp comes back as a PDU_HEADER.
        final MemorySegment connectData = arena.allocate(ConnectData.LENGTH, 8);
        final UUID hostId = UUID.randomUUID();
        new ConnectData().wrap(connectData, 0).write(hostId, ScriptedOffloadProxy.CNTLID, "nqn.test:sub",
            "nqn.test:host");
        final long result = queue.execute("Connect QID 1",
            (sqe, cid) -> sqe.writeConnect(cid, 1, DEPTH - 1, 0, 0), connectData, ConnectData.LENGTH, true);
        assertEquals(ScriptedOffloadProxy.CNTLID, result & 0xFFFF);
        final HostPdu connect = proxy.hostPdus().get(1);
        assertEquals(NvmeTcp.TYPE_CAPSULE_CMD, connect.type());
        assertTrue(connect.sqe().isFabrics());
        assertEquals(NvmeTcp.FLAG_HDGSTF | NvmeTcp.FLAG_DDGSTF, connect.flags());
        assertEquals(80, connect.pdo(), "72 + HDGST rounded up to (CPDA + 1) x 4 = 16");
        assertEquals(80 + ConnectData.LENGTH + 4, connect.plen());
        assertEquals(0, connect.headerDigestField());
        assertEquals(0, connect.dataDigestField());
        assertArrayEquals(connectData.toArray(ValueLayout.JAVA_BYTE), connect.data(true));
        assertEquals(List.of(), proxy.snapshot(p -> p.setups), "no DDP_SETUP for data towards the controller");
        assertNull(queue.failure());
        assertNoViolations();
    }

    @Test
    void shouldFailTheQueueWhenNoUlpResultComes() throws Exception
    {
        start(Mode.POLL_APP_DRIVES, WINDOW);
        proxy.holdPushAnswer();
        final long t0 = System.nanoTime();
        final NvmeException e = assertThrows(NvmeException.class,
            () -> newQueue(0, TimeUnit.MILLISECONDS.toNanos(300)));
        assertEquals(NvmeStatus.TIMEOUT, e.status());
        assertTrue(e.getMessage().contains("no ULP_RESULT"), e.getMessage());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(300), "waited the whole timeout");
        assertEquals(1, proxy.snapshot(p -> p.pushes).size());
    }

    // ---- (2) reads through DDP_PLACE ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldPlaceInterleavedPiecesOfTwoReadsAtTheirOffsetsAndCompleteOnCapsuleResp(final Mode m) throws Exception
    {
        start(m, WINDOW);
        open(0);
        assertTrue(queue.isOffloaded());
        final MemorySegment a = guarded(4096);
        final MemorySegment b = guarded(4096);
        read(100, 4096, a, "A");
        read(200, 4096, b, "B");
        final HostPdu capA = capsule(100);
        final HostPdu capB = capsule(200);
        final int cidA = capA.sqe().cid();
        final int cidB = capB.sqe().cid();
        assertNotEquals(cidA, cidB);
        assertOffloadedReadCapsule(capA, 4096);
        assertOffloadedReadCapsule(capB, 4096);
        // DDP_SETUP (CID, length) right before each capsule: all the DATA before it is the stream up to the capsule.
        assertEquals(List.of(new DdpSetup(cidA, 4096, capA.streamOffset()), new DdpSetup(cidB, 4096,
            capB.streamOffset())), proxy.snapshot(p -> p.setups));

        final byte[] da = random(4096, 1);
        final byte[] db = random(4096, 2);
        // B's first half, A's first quarter, B's second half, A's rest; pieces of different sizes.
        proxy.sendC2H(cidB, 0, part(db, 0, 2048), false, 1000, 1000, 48);
        proxy.sendC2H(cidA, 0, part(da, 0, 1024), false, 1024);
        proxy.sendC2H(cidB, 2048, part(db, 2048, 4096), true, 48, 1000, 1000);
        proxy.sendC2H(cidA, 1024, part(da, 1024, 4096), true, 1000, 1000, 1000, 72);
        proxy.sendResp(cidB, 0);
        assertEquals(NvmeStatus.SUCCESS, await("B"));
        assertArrayEquals(db, data(b, 4096));
        assertFalse(statuses.containsKey("A"), "A completes on its own CapsuleResp only");
        proxy.sendResp(cidA, 0);
        assertEquals(NvmeStatus.SUCCESS, await("A"));
        assertArrayEquals(da, data(a, 4096));
        assertGuardsIntact(a, 4096);
        assertGuardsIntact(b, 4096);
        assertEquals(8192, queue.placedBytes());
        assertEquals(0, queue.unregisteredBytes());

        // C: completed by the SUCCESS flag of its last C2HData, no CapsuleResp.
        final MemorySegment c = guarded(2048);
        read(300, 2048, c, "C");
        final int cidC = cid(300);
        final byte[] dc = random(2048, 3);
        proxy.sendC2H(cidC, 0, part(dc, 0, 1024), false, 1024);
        proxy.sendC2H(cidC, 1024, part(dc, 1024, 2048), true, true, 0, 0, 512, 512);
        assertEquals(NvmeStatus.SUCCESS, await("C"));
        assertArrayEquals(dc, data(c, 2048));
        assertGuardsIntact(c, 2048);

        // The stream is still in step: D after C.
        final MemorySegment d = guarded(512);
        read(400, 512, d, "D");
        final int cidD = cid(400);
        final byte[] dd = random(512, 4);
        proxy.sendC2H(cidD, 0, dd, true);
        proxy.sendResp(cidD, 0);
        assertEquals(NvmeStatus.SUCCESS, await("D"));
        assertArrayEquals(dd, data(d, 512));
        assertEquals(8192 + 2048 + 512, queue.placedBytes());
        assertEquals(0, queue.dataDigestErrors());
        assertEquals(0, queue.inFlight());
        assertNull(queue.failure());
        assertEquals(4, proxy.snapshot(p -> p.setups).size());
        assertNoViolations();
    }

    // ---- (3) data digest error ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldFailOnlyTheCommandWhoseLastPieceCarriesADigestError(final Mode m) throws Exception
    {
        start(m, WINDOW);
        open(0);
        final MemorySegment a = guarded(4096);
        final MemorySegment b = guarded(4096);
        final MemorySegment c = guarded(1024);
        read(10, 4096, a, "A");
        read(20, 4096, b, "B");
        read(30, 1024, c, "C");
        final int cidA = cid(10);
        final int cidB = cid(20);
        final int cidC = cid(30);
        final byte[] da = random(4096, 5);
        final byte[] db = random(4096, 6);
        final byte[] dc = random(1024, 7);
        proxy.sendC2H(cidA, 0, part(da, 0, 2048), false, 1024, 1024);
        proxy.sendC2H(cidB, 0, db, true, 1024, 1024, 1024, 1024);
        proxy.sendC2H(cidA, 2048, part(da, 2048, 4096), true, false, 0, UlpMessages.PLACE_DIGEST_ERROR, 1024, 1024);
        // C ends with SUCCESS and a digest error on the same last piece: no CapsuleResp follows.
        proxy.sendC2H(cidC, 0, dc, true, true, 0, UlpMessages.PLACE_DIGEST_ERROR, 512, 512);
        proxy.sendResp(cidB, 0);
        proxy.sendResp(cidA, 0);
        assertEquals(NvmeStatus.DATA_DIGEST_ERROR, await("A"));
        assertEquals(NvmeStatus.SUCCESS, await("B"));
        assertEquals(NvmeStatus.DATA_DIGEST_ERROR, await("C"));
        assertArrayEquals(db, data(b, 4096));
        assertEquals(2, queue.dataDigestErrors());
        assertNull(queue.failure(), "a data digest error is not fatal");

        // The queue carries on.
        final MemorySegment d = guarded(1024);
        read(40, 1024, d, "D");
        final int cidD = cid(40);
        final byte[] dd = random(1024, 8);
        proxy.sendC2H(cidD, 0, dd, true);
        proxy.sendResp(cidD, 0);
        assertEquals(NvmeStatus.SUCCESS, await("D"));
        assertArrayEquals(dd, data(d, 1024));
        assertEquals(2, queue.dataDigestErrors());
        assertNoViolations();
    }

    // ---- (4) unregistered placements ----

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"POLL_APP_DRIVES", "THREAD_OWN_POLLER"})
    void shouldCopyUnregisteredPlacementsByteExact(final Mode m) throws Exception
    {
        start(m, WINDOW);
        open(0);
        final MemorySegment a = guarded(4096);
        read(50, 4096, a, "A");
        final int cidA = cid(50);
        final byte[] da = random(4096, 9);
        // Registered for the first PDU, unregistered (say, beyond the registered length) for the second.
        proxy.sendC2H(cidA, 0, part(da, 0, 2048), false, 1024, 1024);
        proxy.sendC2H(cidA, 2048, part(da, 2048, 4096), true, false, UlpMessages.PLACE_UNREGISTERED, 0, 700, 700,
            648);
        proxy.sendResp(cidA, 0);
        assertEquals(NvmeStatus.SUCCESS, await("A"));
        assertArrayEquals(da, data(a, 4096));
        assertGuardsIntact(a, 4096);
        assertEquals(2048, queue.placedBytes());
        assertEquals(2048, queue.unregisteredBytes());

        // B's registration refused (DDP_TEARDOWN reason 1): all of it comes unregistered, out of order with C's.
        final MemorySegment b = guarded(2048);
        final MemorySegment c = guarded(2048);
        read(60, 2048, b, "B");
        read(70, 2048, c, "C");
        final int cidB = cid(60);
        final int cidC = cid(70);
        proxy.sendTeardown(cidB, UlpMessages.TEARDOWN_REFUSED);
        final byte[] db = random(2048, 10);
        final byte[] dc = random(2048, 11);
        proxy.sendC2H(cidC, 0, part(dc, 0, 1024), false, 1024);
        proxy.sendC2H(cidB, 0, part(db, 0, 1500), false, false, UlpMessages.PLACE_UNREGISTERED, 0, 1000, 500);
        proxy.sendC2H(cidC, 1024, part(dc, 1024, 2048), true, true, 0, 0, 1024);
        proxy.sendC2H(cidB, 1500, part(db, 1500, 2048), true, true, UlpMessages.PLACE_UNREGISTERED, 0, 548);
        assertEquals(NvmeStatus.SUCCESS, await("C"));
        assertEquals(NvmeStatus.SUCCESS, await("B"));
        assertArrayEquals(db, data(b, 2048));
        assertArrayEquals(dc, data(c, 2048));
        assertGuardsIntact(b, 2048);
        assertGuardsIntact(c, 2048);
        assertEquals(2048 + 2048, queue.placedBytes());
        assertEquals(2048 + 2048, queue.unregisteredBytes());
        assertNull(queue.failure());
        assertNoViolations();
    }

    // ---- (5) refusal: software over the XTS socket ----

    @ParameterizedTest
    @ValueSource(ints = {SocketMessages.EOPNOTSUPP, SocketMessages.EINVAL})
    void shouldCarryOnInSoftwareWhenTheProxyRefuses(final int errno) throws Exception
    {
        start(Mode.POLL_APP_DRIVES, WINDOW);
        proxy.answerPush(errno, UlpMessages.RESULT_IN_SYNC);
        open(0);
        assertFalse(queue.isOffloaded());
        assertFalse(proxy.ulpMode());
        assertEquals(1, proxy.snapshot(p -> p.pushes).size());

        // Read A: no DDP_SETUP, the real header digest.
        final MemorySegment a = guarded(4096);
        read(100, 4096, a, "A");
        final HostPdu capA = capsule(100);
        assertEquals(NvmeTcp.FLAG_HDGSTF, capA.flags());
        assertEquals(capA.headerCrc(), capA.headerDigestField(), "HDGST is the CRC32C of the header");
        assertNotEquals(0, capA.headerDigestField());
        // In-capsule write W: both digests real.
        final MemorySegment w = guarded(2048);
        final byte[] dw = random(2048, 12);
        MemorySegment.copy(dw, 0, w, ValueLayout.JAVA_BYTE, GUARD, dw.length);
        write(110, 2048, w, "W");
        final HostPdu capW = capsule(110);
        assertEquals(NvmeTcp.FLAG_HDGSTF | NvmeTcp.FLAG_DDGSTF, capW.flags());
        assertEquals(capW.headerCrc(), capW.headerDigestField());
        assertEquals(capW.dataCrc(2048), capW.dataDigestField());
        assertArrayEquals(dw, capW.data(true));
        assertEquals(List.of(), proxy.snapshot(p -> p.setups));

        // C2HData as ordinary DATA with real digests, parsed and checked by the app.
        final byte[] da = random(4096, 13);
        final int cidA = capA.sqe().cid();
        proxy.sendC2H(cidA, 0, part(da, 0, 1500), false);
        proxy.sendC2H(cidA, 1500, part(da, 1500, 4096), true);
        proxy.sendResp(cidA, 0);
        proxy.sendResp(capW.sqe().cid(), 0);
        assertEquals(NvmeStatus.SUCCESS, await("A"));
        assertEquals(NvmeStatus.SUCCESS, await("W"));
        assertArrayEquals(da, data(a, 4096));
        assertGuardsIntact(a, 4096);

        // A wrong data digest on DATA: the app's own check fails that command only.
        final MemorySegment b = guarded(1024);
        read(120, 1024, b, "B");
        final int cidB = cid(120);
        proxy.sendC2HCorrupt(cidB, 0, random(1024, 14), true);
        proxy.sendResp(cidB, 0);
        assertEquals(NvmeStatus.DATA_DIGEST_ERROR, await("B"));
        assertEquals(1, queue.dataDigestErrors());

        // An R2T write: H2CData with real digests.
        final MemorySegment v = guarded(8192);
        final byte[] dv = random(8192, 15);
        MemorySegment.copy(dv, 0, v, ValueLayout.JAVA_BYTE, GUARD, dv.length);
        write(130, 8192, v, "V");
        final int cidV = cid(130);
        proxy.sendR2T(cidV, 0x55, 0, 8192);
        until("H2CData", () -> !proxy.h2cDataPdus().isEmpty());
        final HostPdu h2c = proxy.h2cDataPdus().getFirst();
        assertEquals(h2c.headerCrc(), h2c.headerDigestField());
        assertEquals(h2c.dataCrc(8192), h2c.dataDigestField());
        assertArrayEquals(dv, h2c.data(true));
        proxy.sendResp(cidV, 0);
        assertEquals(NvmeStatus.SUCCESS, await("V"));

        assertEquals(0, queue.placedBytes());
        assertFalse(queue.isOffloaded());
        assertNull(queue.failure());
        final List<Integer> types = proxy.snapshot(p -> p.appMessageTypes);
        assertEquals(1, types.stream().filter(t -> t == XtsFrameDescriptor.TYPE_NVME_ULP_PUSH).count());
        assertTrue(types.stream().allMatch(t -> t == XtsFrameDescriptor.TYPE_SOCKET_DATA ||
            t == XtsFrameDescriptor.TYPE_SOCKET_CREDIT ||
            t == XtsFrameDescriptor.TYPE_NVME_ULP_PUSH), "only DATA, CREDIT and the push: " + types);
        assertNoViolations();
    }

    // ---- (6) resync ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldAnswerResyncRequestsAndSwitchToUlpMessagesAtAPduBoundary(final Mode m) throws Exception
    {
        start(m, WINDOW);
        proxy.answerPush(0, UlpMessages.RESULT_SEARCHING);
        open(2);
        assertFalse(queue.isOffloaded());

        // Two reads in software (real digests, no DDP_SETUP), then the push.
        final MemorySegment a = guarded(4096);
        final MemorySegment b = guarded(2048);
        read(1, 4096, a, "A");
        read(2, 2048, b, "B");
        final HostPdu capA = capsule(1);
        assertEquals(capA.headerCrc(), capA.headerDigestField());
        final int cidA = capA.sqe().cid();
        final int cidB = cid(2);
        final byte[] da = random(4096, 21);
        final byte[] db = random(2048, 22);
        proxy.sendC2H(cidA, 0, part(da, 0, 2048), false);
        proxy.sendC2H(cidA, 2048, part(da, 2048, 4096), true);
        proxy.sendResp(cidA, 0);
        assertEquals(NvmeStatus.SUCCESS, await("A"));
        assertTrue(proxy.snapshot(p -> p.pushes).isEmpty(), "no push after one command");
        proxy.sendC2H(cidB, 0, db, true);
        proxy.sendResp(cidB, 0);
        assertEquals(NvmeStatus.SUCCESS, await("B"));
        assertArrayEquals(da, data(a, 4096));
        assertArrayEquals(db, data(b, 2048));
        until("ULP_PUSH", () -> !proxy.snapshot(p -> p.pushes).isEmpty());
        final UlpPush push = proxy.snapshot(p -> p.pushes).getFirst();
        final long c2hAfterB = 128 + 2 * (C2H_PDO + 2048 + 4) + RESP_PLEN + (C2H_PDO + 2048 + 4) + RESP_PLEN;
        assertEquals(c2hAfterB, proxy.c2hQueued());
        assertEquals(c2hAfterB, push.c2hConsumed(), "pushed at the last boundary parsed");
        assertEquals(128 + 2 * READ_CAPSULE_PLEN, push.h2cSent());
        assertEquals(push.h2cSent(), push.h2cReceivedAtArrival());
        assertEquals(List.of(), proxy.snapshot(p -> p.setups));
        until("ULP_RESULT taken", () -> queue.isOffloaded());

        // Searching: the proxy still forwards DATA, which the app parses in software.
        final MemorySegment c = guarded(4096);
        read(3, 4096, c, "C");
        final HostPdu capC = capsule(3);
        final int cidC = capC.sqe().cid();
        assertOffloadedReadCapsule(capC, 4096);
        assertEquals(List.of(new DdpSetup(cidC, 4096, capC.streamOffset())), proxy.snapshot(p -> p.setups));
        final byte[] dc = random(4096, 23);
        final long startC = proxy.sendC2H(cidC, 0, dc, true);
        final long respC = proxy.sendResp(cidC, 0);
        assertEquals(c2hAfterB, startC);
        assertEquals(NvmeStatus.SUCCESS, await("C"));
        assertArrayEquals(dc, data(c, 4096));
        assertEquals(0, queue.placedBytes());

        // A PDU start the app has passed: confirmed from its history.
        proxy.sendResyncRequest(startC);
        until("the first RESYNC_RESPONSE", () -> 1 == proxy.snapshot(p -> p.resyncResponses).size());
        // An offset inside C's data: refused.
        proxy.sendResyncRequest(startC + 100);
        until("the second RESYNC_RESPONSE", () -> 2 == proxy.snapshot(p -> p.resyncResponses).size());
        // The next PDU start, before its bytes arrive: answered once the app's parser gets there.
        final MemorySegment d = guarded(2048);
        read(4, 2048, d, "D");
        final int cidD = cid(4);
        final long next = proxy.c2hQueued();
        assertEquals(respC + RESP_PLEN, next);
        proxy.sendResyncRequest(next);
        // Let the app take the request before the bytes it asks about exist (with POLL_APP_DRIVES it has then
        // processed it: the link acknowledges in the poll that delivered it to the queue's ring, drained in that poll).
        until("the request delivered", () -> proxy.delivered());
        final byte[] dd = random(2048, 24);
        assertEquals(next, proxy.sendC2H(cidD, 0, dd, true));
        until("the third RESYNC_RESPONSE", () -> 3 == proxy.snapshot(p -> p.resyncResponses).size());
        assertEquals(List.of(new ResyncResponse(startC, true), new ResyncResponse(startC + 100, false),
            new ResyncResponse(next, true)), proxy.snapshot(p -> p.resyncResponses));

        // Confirmed: the proxy switches at the next boundary of that chain, D's CapsuleResp as a PDU_HEADER.
        proxy.switchToUlp();
        proxy.sendResp(cidD, 0);
        assertEquals(NvmeStatus.SUCCESS, await("D"));
        assertArrayEquals(dd, data(d, 2048));

        // From now on everything is ULP messages: E placed piece by piece.
        final MemorySegment e = guarded(4096);
        read(5, 4096, e, "E");
        final int cidE = cid(5);
        final byte[] de = random(4096, 25);
        proxy.sendC2H(cidE, 0, de, true, 1024, 1024, 1024, 1024);
        proxy.sendResp(cidE, 0);
        assertEquals(NvmeStatus.SUCCESS, await("E"));
        assertArrayEquals(de, data(e, 4096));
        assertGuardsIntact(e, 4096);
        assertEquals(4096, queue.placedBytes());
        assertNull(queue.failure());
        assertEquals(1, proxy.snapshot(p -> p.pushes).size());
        assertNoViolations();
    }

    // ---- (7) placement outside the command's buffer ----

    enum OutOfBounds
    {
        /** Past its C2HData's DATAL, still inside the buffer. */
        PAST_PDU,
        /** Inside the PDU, whose DATAL claims more than the buffer holds, but past the buffer. */
        PAST_BUFFER,
        /** For a CID that is not an outstanding read (another generation of the slot). */
        STALE_CID
    }

    static Stream<Arguments> outOfBoundsCases()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final Mode m : new Mode[] {Mode.POLL_APP_DRIVES, Mode.THREAD_OWN_POLLER})
        {
            for (final OutOfBounds o : OutOfBounds.values())
            {
                cases.add(Arguments.of(m, o));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("outOfBoundsCases")
    void shouldFailTheQueueOnAPlacementOutsideTheCommandsBufferWithoutWritingIt(final Mode m, final OutOfBounds o)
        throws Exception
    {
        start(m, WINDOW);
        open(0);
        final MemorySegment a = guarded(8192);
        read(7, 8192, a, "A");
        final int cidA = cid(7);
        final byte[] junk = new byte[100];
        Arrays.fill(junk, (byte)0x11);
        final String expected;
        switch (o)
        {
            case PAST_PDU ->
            {
                proxy.sendPduHeader(proxy.c2hHeader(cidA, 0, 2048, false, false), C2H_PDO);
                proxy.sendPlace(cidA, UlpMessages.PLACE_LAST, 2000, junk, 104);
                expected = String.format("DDP_PLACE of 100 bytes at 2000 for CID %04Xh outside its PDU (DATAO 0 " +
                    "DATAL 2048) or its 8192-byte buffer", cidA);
            }
            case PAST_BUFFER ->
            {
                proxy.sendPduHeader(proxy.c2hHeader(cidA, 0, 16384, true, false), C2H_PDO);
                proxy.sendPlace(cidA, 0, 8150, junk, 100);
                expected = String.format("DDP_PLACE of 100 bytes at 8150 for CID %04Xh outside its PDU (DATAO 0 " +
                    "DATAL 16384) or its 8192-byte buffer", cidA);
            }
            case STALE_CID ->
            {
                final int stale = cidA ^ 0x1000;
                proxy.sendPduHeader(proxy.c2hHeader(stale, 0, 100, true, false), C2H_PDO);
                proxy.sendPlace(stale, UlpMessages.PLACE_LAST, 0, junk, 104);
                expected = String.format("DDP_PLACE for CID %04Xh, which is not an outstanding read", stale);
            }
            default -> throw new IllegalStateException();
        }
        assertEquals(NvmeStatus.QUEUE_FAILED, await("A"));
        final NvmeException failure = queue.failure();
        assertNotNull(failure);
        assertEquals(NvmeStatus.QUEUE_FAILED, failure.status());
        assertTrue(failure.getMessage().contains("offload protocol error: " + expected), failure.getMessage());
        assertUntouched(a);
        assertEquals(0, queue.placedBytes() + queue.unregisteredBytes());
        // The queue gave up its connection, and refuses new work at once.
        until("the socket closed", () -> proxy.closedByApp());
        final MemorySegment b = guarded(512);
        assertTrue(queue.read(1, 8, 1, b, GUARD, handler, "B"));
        assertEquals(NvmeStatus.QUEUE_FAILED, statuses.get("B"));
        assertUntouched(b);
    }

    // ---- (8) receive credit in stream bytes ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldReturnCreditByThePlenOfThePdusConsumedThroughUlpMessages(final Mode m) throws Exception
    {
        final int window = 8192;
        start(m, window);
        open(0);
        final int rounds = 4;
        final int perRound = 8;
        final int bytes = 4096;
        for (int r = 0; r < rounds; r++)
        {
            final MemorySegment[] buffers = new MemorySegment[perRound];
            final byte[][] expected = new byte[perRound][];
            final int[] cids = new int[perRound];
            for (int i = 0; i < perRound; i++)
            {
                buffers[i] = guarded(bytes);
                read(1000 + r * perRound + i, bytes, buffers[i], "R" + r + "." + i);
            }
            for (int i = 0; i < perRound; i++)
            {
                cids[i] = cid(1000 + r * perRound + i);
                expected[i] = random(bytes, 100 + r * perRound + i);
            }
            // Far more than the 8 KiB window: the proxy sends only within the credit the app returns.
            for (int i = 0; i < perRound; i++)
            {
                proxy.sendC2H(cids[i], 0, expected[i], true, 1024, 1024, 1024, 1024);
                proxy.sendResp(cids[i], 0);
            }
            for (int i = 0; i < perRound; i++)
            {
                assertEquals(NvmeStatus.SUCCESS, await("R" + r + "." + i));
                assertArrayEquals(expected[i], data(buffers[i], bytes));
            }
        }
        final long total = 128 + (long)rounds * perRound * (C2H_PDO + bytes + 4 + RESP_PLEN);
        until("everything sent", () -> proxy.c2hSent() == total);
        assertEquals(total, proxy.c2hQueued());
        assertTrue(proxy.creditStalls() > 0, "the window was the limit");
        // Every stream byte counted as consumed, exactly once: DATA (ICResp) plus the PLEN of every PDU.
        until("all consumed", () -> stack.counters().bytesRead() == total);
        // The proxy heard of it: the last CREDIT is within a quarter window of the end, none beyond what was sent.
        until("the last CREDIT", () ->
        {
            final List<ScriptedOffloadProxy.Credit> credits = proxy.snapshot(p -> p.credits);
            return !credits.isEmpty() && total - credits.getLast().position() < window / 4;
        });
        final List<ScriptedOffloadProxy.Credit> credits = proxy.snapshot(p -> p.credits);
        long previous = 0;
        for (final ScriptedOffloadProxy.Credit c : credits)
        {
            assertTrue(c.position() >= previous, "credit positions only advance: " + credits);
            assertTrue(c.position() <= c.c2hSentAtArrival(), "credit for bytes not sent yet: " + c);
            assertEquals(window, c.window());
            previous = c.position();
        }
        assertTrue(credits.size() >= total / window, credits.size() + " CREDITs for " + total + " bytes");
        assertEquals(bytes * rounds * perRound, queue.placedBytes());
        assertNull(queue.failure());
        assertNoViolations();
    }

    // ---- writes and TermReq under the offload ----

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"POLL_APP_DRIVES", "THREAD_OWN_POLLER"})
    void shouldAnswerR2TsFromPduHeadersWithH2CDataWhoseDigestsAreLeftZero(final Mode m) throws Exception
    {
        start(m, WINDOW);
        proxy.cpda = 1;
        open(0);
        final MemorySegment w = guarded(8192);
        final byte[] dw = random(8192, 31);
        MemorySegment.copy(dw, 0, w, ValueLayout.JAVA_BYTE, GUARD, dw.length);
        write(77, 8192, w, "W");
        final HostPdu cap = capsule(77);
        assertEquals(NvmeTcp.FLAG_HDGSTF, cap.flags(), "no in-capsule data beyond 4096 bytes");
        assertEquals(0, cap.headerDigestField());
        final int cidW = cap.sqe().cid();
        assertEquals(List.of(), proxy.snapshot(p -> p.setups), "no DDP_SETUP for a write");
        proxy.sendR2T(cidW, 0x1234, 0, 4096);
        until("the first H2CData", () -> 1 == proxy.h2cDataPdus().size());
        proxy.sendR2T(cidW, 0x1234, 4096, 4096);
        until("the second H2CData", () -> 2 == proxy.h2cDataPdus().size());
        final List<HostPdu> h2c = proxy.h2cDataPdus();
        for (int i = 0; i < 2; i++)
        {
            final HostPdu p = h2c.get(i);
            final H2CDataPdu view = ScriptedOffloadProxy.h2cView(p);
            assertEquals(NvmeTcp.FLAG_HDGSTF | NvmeTcp.FLAG_DDGSTF | NvmeTcp.FLAG_LAST_PDU, p.flags());
            assertEquals(cidW, view.cccid());
            assertEquals(0x1234, view.ttag());
            assertEquals(4096L * i, view.datao());
            assertEquals(4096, view.datal());
            assertEquals(32, p.pdo(), "24 + HDGST rounded up to (CPDA + 1) x 4 = 8");
            assertEquals(0, p.headerDigestField());
            assertEquals(0, p.dataDigestField());
            assertArrayEquals(part(dw, 4096 * i, 4096 * (i + 1)), p.data(true));
        }
        proxy.sendResp(cidW, 0);
        assertEquals(NvmeStatus.SUCCESS, await("W"));

        // An in-capsule write: both digests left zero.
        final MemorySegment v = guarded(1024);
        final byte[] dv = random(1024, 32);
        MemorySegment.copy(dv, 0, v, ValueLayout.JAVA_BYTE, GUARD, dv.length);
        write(78, 1024, v, "V");
        final HostPdu capV = capsule(78);
        assertEquals(NvmeTcp.FLAG_HDGSTF | NvmeTcp.FLAG_DDGSTF, capV.flags());
        assertEquals(0, capV.headerDigestField());
        assertEquals(0, capV.dataDigestField());
        assertArrayEquals(dv, capV.data(true));
        proxy.sendResp(capV.sqe().cid(), NvmeTcp.status(0, NvmeTcp.SC_INVALID_OPCODE, true));
        assertEquals(NvmeStatus.fromCqe(NvmeTcp.status(0, NvmeTcp.SC_INVALID_OPCODE, true)), await("V"));
        assertNull(queue.failure());
        assertNoViolations();
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"POLL_APP_DRIVES", "THREAD_OWN_POLLER"})
    void shouldFailTheQueueOnAC2HTermReqHeader(final Mode m) throws Exception
    {
        start(m, WINDOW);
        open(0);
        final MemorySegment a = guarded(512);
        read(9, 512, a, "A");
        cid(9);
        proxy.sendC2HTermReq(NvmeTcp.FES_DATA_OUT_OF_RANGE, 0);
        assertEquals(NvmeStatus.QUEUE_FAILED, await("A"));
        final String text = queue.failure().getMessage();
        assertTrue(text.contains("C2HTermReq FES 04h"), text);
        assertUntouched(a);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldFailTheQueueWithTheProxysReasonWhenItResetsTheSocket(final Mode m) throws Exception
    {
        start(m, WINDOW);
        open(0);
        final MemorySegment a = guarded(4096);
        read(11, 4096, a, "A");
        final int cidA = cid(11);
        proxy.sendPduHeader(proxy.c2hHeader(cidA, 0, 4096, true, false), C2H_PDO);
        proxy.sendPlace(cidA, 0, 0, random(1024, 41), 1024);
        proxy.sendErrorAndReset(SocketMessages.EBADMSG, XtsFrameDescriptor.TYPE_NVME_PDU_HEADER,
            "header digest error in the PDU at stream offset 5000");
        assertEquals(NvmeStatus.QUEUE_FAILED, await("A"));
        final String text = queue.failure().getMessage();
        assertTrue(text.contains("header digest error in the PDU at stream offset 5000"), text);
        assertEquals(1024, queue.placedBytes());
        assertGuardsIntact(a, 4096);
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"POLL_APP_DRIVES", "THREAD_OWN_POLLER"})
    void shouldFailTheQueueNamingTheStreamOffsetAndHeaderOfAnOffloadedPduInError(final Mode m) throws Exception
    {
        start(m, WINDOW);
        open(0);
        final MemorySegment a = guarded(1024);
        read(12, 1024, a, "A");
        final int cidA = cid(12);
        proxy.sendC2H(cidA, 0, random(1024, 42), true, 1024);
        final int stranger = cidA ^ 0x2000;
        final long at = proxy.sendResp(stranger, 0);
        assertEquals(128 + C2H_PDO + 1024 + 4, at);
        assertEquals(NvmeStatus.QUEUE_FAILED, await("A"));
        final String text = queue.failure().getMessage();
        assertTrue(text.contains(String.format("protocol error at stream offset %d: CapsuleResp for CID %04Xh, " +
            "which is not outstanding", at, stranger)), text);
        // The H2CTermReq carries the offending header (as the PDU_HEADER gave it: without its digest).
        until("H2CTermReq", () -> proxy.hostPdus().getLast().type() == NvmeTcp.TYPE_H2C_TERM_REQ);
        final HostPdu term = proxy.hostPdus().getLast();
        final MemorySegment t = term.segment();
        assertEquals(NvmeTcp.FES_SEQUENCE_ERROR, new TermReqPdu().wrap(t, 0).fes());
        assertEquals(24 + 24, term.plen());
        assertEquals(NvmeTcp.TYPE_CAPSULE_RESP, term.bytes()[24]);
        assertEquals(stranger, new CapsuleRespPdu().wrap(t, 24).cqe().cid());
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"POLL_APP_DRIVES", "THREAD_OWN_POLLER"})
    void shouldFailTheQueueNamingTheStreamOffsetOfAShortOffloadedC2HData(final Mode m) throws Exception
    {
        start(m, WINDOW);
        open(0);
        final MemorySegment a = guarded(4096);
        read(13, 4096, a, "A");
        final int cidA = cid(13);
        proxy.sendC2H(cidA, 0, random(1024, 43), false, 1024);
        final long at = proxy.c2hQueued();
        // DATAL 2048, but the last piece comes after 1024 bytes.
        proxy.sendPduHeader(proxy.c2hHeader(cidA, 1024, 2048, true, false), C2H_PDO);
        proxy.sendPlace(cidA, UlpMessages.PLACE_LAST, 1024, random(1024, 44), 1028);
        assertEquals(NvmeStatus.QUEUE_FAILED, await("A"));
        final String text = queue.failure().getMessage();
        assertTrue(text.contains(String.format("protocol error at stream offset %d: C2HData for CID %04Xh: 1024 " +
            "bytes placed, DATAL 2048", at, cidA)), text);
    }

    // ---- mid-stream push ----

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] b : parts)
        {
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldPushAtTheLastPduBoundaryParsedWhileAPduIsHalfWayThrough(final Mode m) throws Exception
    {
        start(m, WINDOW);
        proxy.answerPush(0, UlpMessages.RESULT_SEARCHING);
        open(1);
        final MemorySegment a = guarded(1024);
        final MemorySegment b = guarded(4096);
        read(1, 1024, a, "A");
        read(2, 4096, b, "B");
        final int cidA = cid(1);
        final int cidB = cid(2);
        final byte[] da = random(1024, 51);
        final byte[] db = random(4096, 52);
        final byte[] pduA = proxy.c2hPduBytes(cidA, 0, da, true);
        final byte[] respA = proxy.respPduBytes(cidA, 0);
        final byte[] pduB = proxy.c2hPduBytes(cidB, 0, db, true);
        final byte[] respB = proxy.respPduBytes(cidB, 0);
        // A whole, and the first 1000 bytes of B's C2HData, in one go.
        final long endA = proxy.sendData(concat(pduA, respA, part(pduB, 0, 1000))) + pduA.length + respA.length;
        assertEquals(NvmeStatus.SUCCESS, await("A"));
        until("ULP_PUSH", () -> !proxy.snapshot(p -> p.pushes).isEmpty());
        assertEquals(endA, proxy.snapshot(p -> p.pushes).getFirst().c2hConsumed(),
            "pushed at the end of A's CapsuleResp, whatever of B the app had parsed");
        until("ULP_RESULT taken", () -> queue.isOffloaded());

        // The proxy (searching) forwards the rest as DATA; then finds the header of B's CapsuleResp.
        final long respBAt = proxy.sendData(concat(part(pduB, 1000, pduB.length), respB)) + pduB.length - 1000;
        assertEquals(NvmeStatus.SUCCESS, await("B"));
        assertArrayEquals(db, data(b, 4096));
        proxy.sendResyncRequest(respBAt);
        until("RESYNC_RESPONSE", () -> !proxy.snapshot(p -> p.resyncResponses).isEmpty());
        assertEquals(List.of(new ResyncResponse(respBAt, true)), proxy.snapshot(p -> p.resyncResponses));
        proxy.switchToUlp();
        final MemorySegment c = guarded(2048);
        read(3, 2048, c, "C");
        final int cidC = cid(3);
        final byte[] dc = random(2048, 53);
        proxy.sendC2H(cidC, 0, dc, true, true, 0, 0, 1024, 1024);
        assertEquals(NvmeStatus.SUCCESS, await("C"));
        assertArrayEquals(dc, data(c, 2048));
        assertEquals(2048, queue.placedBytes());
        assertNull(queue.failure());
        assertNoViolations();
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"POLL_APP_DRIVES", "THREAD_OWN_POLLER"})
    void shouldFailTheQueueWhenTheProxySwitchesToUlpMessagesInsideAPdu(final Mode m) throws Exception
    {
        start(m, WINDOW);
        proxy.answerPush(0, UlpMessages.RESULT_SEARCHING);
        open(1);
        final MemorySegment a = guarded(1024);
        final MemorySegment b = guarded(4096);
        read(1, 1024, a, "A");
        read(2, 4096, b, "B");
        final int cidA = cid(1);
        final int cidB = cid(2);
        final byte[] pduA = proxy.c2hPduBytes(cidA, 0, random(1024, 54), true);
        final byte[] respA = proxy.respPduBytes(cidA, 0);
        final byte[] pduB = proxy.c2hPduBytes(cidB, 0, random(4096, 55), true);
        final long endA = proxy.sendData(concat(pduA, respA, part(pduB, 0, 1000))) + pduA.length + respA.length;
        assertEquals(NvmeStatus.SUCCESS, await("A"));
        until("ULP_RESULT taken", () -> queue.isOffloaded());
        // A broken proxy: a PDU_HEADER while the app's parser is 1000 bytes into B's C2HData.
        proxy.switchToUlp();
        proxy.sendResp(cidB, 0);
        assertEquals(NvmeStatus.QUEUE_FAILED, await("B"));
        final String text = queue.failure().getMessage();
        assertTrue(text.contains(String.format("switched to ULP messages at stream offset %d, which is not a PDU " +
            "boundary (last boundary %d)", endA + 1000, endA)), text);
    }

    // ---- one C2HData larger than the receive window ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldTakeOneC2HDataLargerThanTheReceiveWindow(final Mode m) throws Exception
    {
        final int window = 8192;
        start(m, window);
        open(0);
        final int bytes = 64 * 1024;
        final MemorySegment a = guarded(bytes);
        read(500, bytes, a, "A");
        final int cidA = cid(500);
        final byte[] da = random(bytes, 61);
        final int[] pieces = new int[bytes / 1024];
        Arrays.fill(pieces, 1024);
        // As Linux's target sends a read: one C2HData for all of it, eight windows' worth.
        proxy.sendC2H(cidA, 0, da, true, true, 0, 0, pieces);
        assertEquals(NvmeStatus.SUCCESS, await("A"));
        assertArrayEquals(da, data(a, bytes));
        assertGuardsIntact(a, bytes);
        assertTrue(proxy.creditStalls() > 0, "the window was the limit");
        final long total = 128 + C2H_PDO + bytes + 4;
        until("all consumed", () -> stack.counters().bytesRead() == total);
        assertEquals(total, proxy.c2hSent());
        assertNoViolations();
    }

    // ---- completions that submit ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldRunAChainOfReadsSubmittedFromCompletionHandlers(final Mode m) throws Exception
    {
        start(m, WINDOW);
        proxy.autoReads = true;
        open(0);
        final int count = 64;
        final int bytes = 2048;
        final MemorySegment[] buffers = new MemorySegment[count];
        for (int i = 0; i < count; i++)
        {
            buffers[i] = guarded(bytes);
        }
        final CompletionHandler[] chain = new CompletionHandler[1];
        chain[0] = (status, result, attachment) ->
        {
            final int i = (Integer)attachment;
            statuses.put("R" + i, status);
            if (NvmeStatus.isSuccess(status) && i + 1 < count)
            {
                // From the completion (the reader thread in THREAD mode): DDP_SETUP and capsule under the locks.
                if (!queue.read(1, 2000 + 4L * (i + 1), bytes / BLOCK, buffers[i + 1], GUARD, chain[0], i + 1))
                {
                    statuses.put("R" + (i + 1), -1);
                }
            }
        };
        assertTrue(queue.read(1, 2000, bytes / BLOCK, buffers[0], GUARD, chain[0], 0));
        assertEquals(NvmeStatus.SUCCESS, await("R" + (count - 1)));
        for (int i = 0; i < count; i++)
        {
            assertEquals(NvmeStatus.SUCCESS, statuses.get("R" + i), "R" + i);
            assertArrayEquals(ScriptedOffloadProxy.disk(2000 + 4L * i, bytes), data(buffers[i], bytes), "R" + i);
            assertGuardsIntact(buffers[i], bytes);
        }
        assertEquals((long)count * bytes, queue.placedBytes());
        assertEquals(count, proxy.snapshot(p -> p.setups).size());
        assertNull(queue.failure());
        assertNoViolations();
    }
}
