package io.xts.proxy;

import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import io.xts.nvme.PduHandler;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.protocol.UlpMessages;
import io.xts.protocol.XtsFrameDescriptor;
import io.xts.proxy.config.ProxyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static io.xts.protocol.SocketMessages.EBADMSG;
import static io.xts.protocol.SocketMessages.EINVAL;
import static io.xts.protocol.SocketMessages.EOPNOTSUPP;
import static io.xts.protocol.UlpMessages.PLACE_DIGEST_ERROR;
import static io.xts.protocol.UlpMessages.PLACE_LAST;
import static io.xts.protocol.UlpMessages.PLACE_SUCCESS;
import static io.xts.protocol.UlpMessages.PLACE_UNREGISTERED;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_PDU_HEADER;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proxy's NVMe/TCP offload engine end to end: an app host double on the in-process link, the proxy, and a
 * "controller" that is a real TCP peer on loopback writing PDUs built by the {@code io.xts.nvme} codecs, cut at awkward
 * points (each piece read by the proxy before the next is written). Checks the PDU_HEADER / DDP_PLACE sequence, offsets
 * and flags, registrations, digests both ways, fatal errors ending only their socket, resync, refusals and counters.
 */
class NvmeOffloadTest
{
    private static final int WINDOW = 4 << 20;
    private static final int CID = 5;
    /** Peer threads of their own (the common pool may have a single thread on a small machine). */
    private static final Executor DAEMONS = r -> Thread.ofPlatform().daemon().start(r);

    /** One app socket to one controller connection, through the proxy. */
    private static final class Rig implements AutoCloseable
    {
        final ServerSocket server;
        final ProxyHarness h;
        final List<Socket> peers = new ArrayList<>();
        final Random random = new Random(42);

        Rig(final ProxyHarness.Mode mode, final String nvmeOffload) throws IOException
        {
            server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            final ProxyConfig base = ProxyHarness.loopback(null);
            final ProxyConfig config = null == nvmeOffload ? base : ProxyConfig.parse(
                "{\"allow\": {\"connect\": [{\"cidr\": \"127.0.0.0/8\"}]}, \"nvmeOffload\": " + nvmeOffload + "}");
            h = new ProxyHarness(mode, config);
            h.up();
        }

        /** Connect socket {@code id} and accept the controller's end. */
        AppHost.Socket connect(final int id) throws Exception
        {
            final CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    return server.accept();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            }, DAEMONS);
            final AppHost.Socket s = h.connected(id, new InetSocketAddress(server.getInetAddress(),
                server.getLocalPort()), WINDOW);
            final Socket peer = accepted.get(10, TimeUnit.SECONDS);
            peer.setTcpNoDelay(true);
            peer.setSoTimeout(10_000);
            peers.add(peer);
            return s;
        }

        Socket peer(final int index)
        {
            return peers.get(index);
        }

        void push(final AppHost.Socket s, final boolean hdgst, final boolean ddgst, final int cpda, final int hpda,
            final long c2hConsumed, final long h2cSent, final int qsize)
        {
            s.ulpErrno = -1;
            h.offer("ULP_PUSH", () -> h.host.ulpPush(s.id, hdgst, ddgst, cpda, hpda, 65536, c2hConsumed, h2cSent,
                qsize));
            h.await("ULP_RESULT", () -> s.ulpErrno >= 0);
        }

        void pushInSync(final AppHost.Socket s, final boolean hdgst, final boolean ddgst, final int hpda)
        {
            push(s, hdgst, ddgst, 0, hpda, 0, 0, 128);
            assertEquals(0, s.ulpErrno, "ULP_RESULT errno");
            assertEquals(UlpMessages.RESULT_IN_SYNC, s.ulpState, "in sync");
            assertEquals(0, s.ulpOffset, "ULP messages from stream offset 0");
        }

        /** DDP_SETUP, and wait until the proxy has acted on it (as the link's order guarantees for later PDUs). */
        void setup(final AppHost.Socket s, final int cid, final long length)
        {
            final long before = h.counters.get("nvme-ddp-setup") + h.counters.get("nvme-ddp-setup-fail");
            h.offer("DDP_SETUP " + cid, () -> h.host.ddpSetup(s.id, cid, length));
            h.await("DDP_SETUP " + cid + " handled", () ->
                h.counters.get("nvme-ddp-setup") + h.counters.get("nvme-ddp-setup-fail") > before);
        }

        /**
         * Write the stream in pieces of awkward sizes (1, 2, 3, 5, 7 bytes..., a few larger), each read by the proxy
         * before the next is written, so the proxy sees exactly these cuts.
         */
        void deliver(final Socket peer, final byte[] stream) throws IOException
        {
            final int[] sizes = {1, 2, 3, 4, 5, 7, 13, 23, 29, 64, 700, 3001};
            int at = 0;
            while (at < stream.length)
            {
                final int n = Math.min(stream.length - at, sizes[random.nextInt(sizes.length)]);
                write(peer, stream, at, n);
                at += n;
            }
        }

        void write(final Socket peer, final byte[] bytes, final int from, final int length) throws IOException
        {
            final long before = h.counters.get("bytes-tcp-to-app");
            peer.getOutputStream().write(bytes, from, length);
            peer.getOutputStream().flush();
            h.await("the proxy read " + length + " bytes", () ->
                h.counters.get("bytes-tcp-to-app") - before >= length);
        }

        @Override
        public void close() throws IOException
        {
            for (final Socket peer : peers)
            {
                peer.close();
            }
            h.close();
            server.close();
        }
    }

    /**
     * Check what the app got for {@code pdus} from {@code from} on: each PDU's header as PDU_HEADER, each C2HData's
     * DATA as DDP_PLACE pieces at contiguous offsets from DATAO, flagged unregistered exactly where the registrations
     * (simulated here as the proxy keeps them) do not cover them, the last piece LAST (+ SUCCESS, + DIGEST_ERROR).
     *
     * @return the index in {@code got} after the last message checked.
     */
    private static int assertPdus(final List<AppHost.Ulp> got, final int from, final List<byte[]> pdus,
        final boolean hdgst, final int hpda, final Map<Integer, Long> registered, final int badDigestPdu)
    {
        int at = from;
        for (int p = 0; p < pdus.size(); p++)
        {
            final byte[] pdu = pdus.get(p);
            final int hlen = pdu[2] & 0xFF;
            final AppHost.Ulp message = got.get(at++);
            final AppHost.Header header = assertInstanceOf(AppHost.Header.class, message, "PDU " + p);
            assertEquals(0, header.status());
            assertArrayEquals(Arrays.copyOf(pdu, hlen), header.pdu(), "PDU " + p + " header, digest removed");
            final int type = pdu[0] & 0xFF;
            if (NvmeTcp.TYPE_CAPSULE_RESP == type)
            {
                registered.remove((pdu[20] & 0xFF) | (pdu[21] & 0xFF) << 8);
            }
            if (NvmeTcp.TYPE_C2H_DATA != type)
            {
                continue;
            }
            final int cid = header.cccid();
            final long datao = (pdu[12] & 0xFFL) | (pdu[13] & 0xFFL) << 8 | (pdu[14] & 0xFFL) << 16 |
                (pdu[15] & 0xFFL) << 24;
            final int datal = (pdu[16] & 0xFF) | (pdu[17] & 0xFF) << 8 | (pdu[18] & 0xFF) << 16;
            final int pdo = pdu[3] & 0xFF;
            final boolean success = 0 != (pdu[1] & NvmeTcp.FLAG_SUCCESS);
            final Long registration = registered.get(cid);
            int placed = 0;
            while (true)
            {
                final AppHost.Place piece = assertInstanceOf(AppHost.Place.class, got.get(at++), "PDU " + p +
                    " piece at " + placed);
                assertEquals(cid, piece.cid());
                assertEquals(datao + placed, piece.offset(), "PDU " + p + " piece offset");
                assertArrayEquals(Arrays.copyOfRange(pdu, pdo + placed, pdo + placed + piece.bytes().length),
                    piece.bytes(), "PDU " + p + " piece bytes at " + placed);
                final boolean unregistered = null == registration ||
                    piece.offset() + piece.bytes().length > registration;
                placed += piece.bytes().length;
                final boolean last = placed == datal;
                final int expected = (unregistered ? PLACE_UNREGISTERED : 0) | (last ? PLACE_LAST : 0) |
                    (last && success ? PLACE_SUCCESS : 0) | (last && p == badDigestPdu ? PLACE_DIGEST_ERROR : 0);
                assertEquals(expected, piece.flags(), "PDU " + p + " piece at " + (placed - piece.bytes().length) +
                    " flags");
                if (last)
                {
                    break;
                }
            }
            if (success)
            {
                registered.remove(cid);
            }
        }
        return at;
    }

    @ParameterizedTest
    @CsvSource({"true, true, 0", "false, false, 0", "true, false, 3", "false, true, 7"})
    void placesDataAndForwardsHeadersInSyncWhateverTheSplits(final boolean hdgst, final boolean ddgst,
        final int hpda) throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            rig.pushInSync(s, hdgst, ddgst, hpda);
            rig.setup(s, CID, 8192);
            rig.setup(s, 12, 1024);
            rig.setup(s, 13, 1 << 20);
            final Pdus.Stream stream = new Pdus.Stream()
                .add(Pdus.c2hData(hdgst, ddgst, hpda, CID, 0, Pdus.random(4096, 1), false, false))
                .add(Pdus.r2t(hdgst, 7, 3, 0, 8192))
                .add(Pdus.c2hData(hdgst, ddgst, hpda, CID, 4096, Pdus.random(4096, 2), true, true))
                .add(Pdus.capsuleResp(hdgst, 9))
                .add(Pdus.c2hData(hdgst, ddgst, hpda, 11, 0, Pdus.random(2048, 3), true, false))
                .add(Pdus.c2hData(hdgst, ddgst, hpda, 12, 0, Pdus.random(4096, 4), true, false))
                .add(Pdus.capsuleResp(hdgst, 12))
                .add(Pdus.c2hData(hdgst, ddgst, hpda, 13, 0, Pdus.random(100_000, 5), true, false))
                .add(Pdus.capsuleResp(hdgst, 13));
            rig.deliver(rig.peer(0), stream.toArray());
            final int messages = stream.pdus.size() + 1;
            rig.h.await("every PDU at the app", () -> s.pduHeaders == stream.pdus.size() && s.lastPieces == 5);
            final Map<Integer, Long> registered = new HashMap<>(Map.of(CID, 8192L, 12, 1024L, 13, 1L << 20));
            final int end = assertPdus(s.ulp, 0, stream.pdus, hdgst, hpda, registered, -1);
            assertEquals(s.ulp.size(), end, "nothing else: " + s.ulp.subList(end, s.ulp.size()));
            assertTrue(messages > 0);
            assertEquals(0, s.receivedBytes(), "no DATA once in sync");
            final ProxyCounters c = rig.h.counters;
            assertEquals(1, c.get("nvme-queue-init"));
            assertEquals(3, c.get("nvme-ddp-setup"));
            // CID 5 ends by SUCCESS, 12 and 13 by their CapsuleResp.
            assertEquals(3, c.get("nvme-ddp-teardown"));
            assertEquals(4, c.get("nvme-offload-pdus"), "C2HData PDUs of registered commands");
            long placed = 0;
            long unregistered = 0;
            for (final AppHost.Ulp u : s.ulp)
            {
                if (u instanceof AppHost.Place p)
                {
                    if (0 == (p.flags() & PLACE_UNREGISTERED))
                    {
                        placed += p.bytes().length;
                    }
                    else
                    {
                        unregistered += p.bytes().length;
                    }
                }
            }
            assertEquals(placed, c.get("nvme-offload-bytes"));
            assertEquals(unregistered, c.get("nvme-unregistered-bytes"));
            assertEquals(4096 + 4096 + 2048 + 4096 + 100_000, placed + unregistered);
            assertTrue(placed >= 8192 + 100_000 && unregistered >= 2048 + 3072, placed + " " + unregistered);
            assertEquals(0, c.get("nvme-ddgst-errors"));
            assertEquals(stream.size(), c.get("bytes-tcp-to-app"));
            assertTrue(rig.h.host.errors.isEmpty(), "errors " + rig.h.host.errors);

            // The app consumed every PDU and credited by PLEN; the stream ends with the peer's FIN: SHUTDOWN last.
            rig.peer(0).shutdownOutput();
            rig.h.await("SHUTDOWN", () -> s.peerShutdown);
            rig.h.offer("CLOSE", () -> rig.h.host.empty(TYPE_SOCKET_CLOSE, 1));
            rig.h.await("socket freed", () -> 0 == rig.h.connections());
            assertEquals(1, c.get("nvme-queue-teardown"));
        }
    }

    @Test
    void termReqAndLargeDataWhileTheLinkIsFullLoseNothing() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            rig.pushInSync(s, true, true, 0);
            rig.setup(s, CID, 1 << 20);
            final Pdus.Stream stream = new Pdus.Stream();
            final int pdus = 40;
            for (int i = 0; i < pdus; i++)
            {
                stream.add(Pdus.c2hData(true, true, 0, CID, i * 32768L, Pdus.random(32768, i), pdus - 1 == i,
                    false));
            }
            stream.add(Pdus.capsuleResp(true, CID)).add(Pdus.c2hTermReq(NvmeTcp.FES_SEQUENCE_ERROR, 0, 24));
            final Socket peer = rig.peer(0);
            final CompletableFuture<Void> writer = CompletableFuture.runAsync(() ->
            {
                try
                {
                    peer.getOutputStream().write(stream.toArray());
                    peer.shutdownOutput();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            }, DAEMONS);
            // While only the proxy runs the app end takes nothing: the link fills, then staging, then TCP's window.
            final long until = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() - until < 0)
            {
                rig.h.stepProxy();
            }
            assertTrue(rig.h.counters.get("bytes-tcp-to-app") < stream.size(), "held back");
            rig.h.await("all PDUs and SHUTDOWN", () -> s.peerShutdown);
            writer.get(10, TimeUnit.SECONDS);
            assertEquals(stream.pdus.size(), s.pduHeaders);
            final int end = assertPdus(s.ulp, 0, stream.pdus, true, 0, new HashMap<>(Map.of(CID, 1L << 20)), -1);
            assertEquals(s.ulp.size(), end);
            assertEquals(NvmeTcp.TYPE_C2H_TERM_REQ, ((AppHost.Header)s.ulp.get(end - 1)).type());
            assertEquals(pdus * 32768L, rig.h.counters.get("nvme-offload-bytes") +
                rig.h.counters.get("nvme-unregistered-bytes"));
        }
    }

    @Test
    void registrationsAreRefusedWhenFullTakenOrTooLong() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD,
            "{\"maxRegistrationsPerQueue\": 8, \"maxRegistrationLength\": 65536}"))
        {
            final AppHost.Socket s = rig.connect(1);
            rig.push(s, false, false, 0, 0, 0, 0, 2);
            assertEquals(0, s.ulpErrno);
            rig.setup(s, 1, 4096);
            rig.setup(s, 1, 4096);
            rig.setup(s, 2, 65537);
            rig.setup(s, 2, 4096);
            rig.setup(s, 3, 4096);
            rig.h.await("three refusals", () -> 3 == s.ulp.size());
            assertEquals(List.of(new AppHost.Teardown(1, UlpMessages.TEARDOWN_REFUSED),
                new AppHost.Teardown(2, UlpMessages.TEARDOWN_REFUSED),
                new AppHost.Teardown(3, UlpMessages.TEARDOWN_REFUSED)), s.ulp);
            assertEquals(2, rig.h.counters.get("nvme-ddp-setup"));
            assertEquals(3, rig.h.counters.get("nvme-ddp-setup-fail"));
            // The app cancels 2: 3 fits now; data for the cancelled one arrives unregistered.
            rig.h.offer("DDP_TEARDOWN", () -> rig.h.host.ddpTeardown(1, 2));
            s.ulp.clear();
            rig.setup(s, 3, 4096);
            final Pdus.Stream stream = new Pdus.Stream()
                .add(Pdus.c2hData(false, false, 0, 2, 0, Pdus.random(512, 1), true, false))
                .add(Pdus.c2hData(false, false, 0, 3, 0, Pdus.random(512, 2), true, true));
            rig.deliver(rig.peer(0), stream.toArray());
            rig.h.await("both PDUs", () -> 2 == s.lastPieces);
            assertPdus(s.ulp, 0, stream.pdus, false, 0, new HashMap<>(Map.of(1, 4096L, 3, 4096L)), -1);
            assertEquals(2, rig.h.counters.get("nvme-ddp-teardown"), "2 by the app, 3 by SUCCESS");
            assertEquals(3, rig.h.counters.get("nvme-ddp-setup"));
            // A registration on a socket without the ULP is refused the same way.
            final AppHost.Socket plain = rig.connect(2);
            rig.setup(plain, 9, 4096);
            rig.h.await("refused", () -> 1 == plain.ulp.size());
            assertEquals(new AppHost.Teardown(9, UlpMessages.TEARDOWN_REFUSED), plain.ulp.get(0));
        }
    }

    @Test
    void dataDigestErrorIsFlaggedOnTheLastPieceAndCountedNotFatal() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            rig.pushInSync(s, true, true, 0);
            rig.setup(s, CID, 16384);
            final byte[] bad = Pdus.c2hData(true, true, 0, CID, 0, Pdus.random(8192, 1), false, false);
            bad[bad.length - 1] ^= 0x5A;
            final Pdus.Stream stream = new Pdus.Stream().add(bad)
                .add(Pdus.c2hData(true, true, 0, CID, 8192, Pdus.random(8192, 2), true, false))
                .add(Pdus.capsuleResp(true, CID));
            rig.deliver(rig.peer(0), stream.toArray());
            rig.h.await("every PDU", () -> 3 == s.pduHeaders);
            assertPdus(s.ulp, 0, stream.pdus, true, 0, new HashMap<>(Map.of(CID, 16384L)), 0);
            assertEquals(1, s.digestErrors);
            assertEquals(1, rig.h.counters.get("nvme-ddgst-errors"));
            assertEquals(0, rig.h.counters.get("nvme-drop"));
            assertEquals(-1, s.resetErrno, "the socket carries on");
        }
    }

    /** Streams whose second PDU is malformed in one way, with the field the ERROR text must name. */
    private static byte[] malformed(final String kind)
    {
        final byte[] ok = Pdus.c2hData(true, true, 0, CID, 0, Pdus.random(256, 9), true, false);
        final byte[] bad;
        switch (kind)
        {
            case "HLEN" ->
            {
                bad = Pdus.capsuleResp(true, 3);
                bad[2] = 20;
            }
            case "PLEN" ->
            {
                bad = Pdus.putLe32(Pdus.capsuleResp(true, 3), 4, 40);
            }
            case "PDO" ->
            {
                bad = Pdus.c2hData(true, true, 0, CID, 256, Pdus.random(64, 1), true, false);
                bad[3] = 32;
            }
            case "LIMIT" ->
            {
                // 128 KiB of data where the configuration allows 64 KiB.
                bad = Pdus.c2hData(true, true, 0, CID, 256, Pdus.random(128 << 10, 1), true, false);
            }
            case "TYPE" ->
            {
                bad = Pdus.capsuleResp(true, 3);
                bad[0] = 0x08;
            }
            case "HDGST" ->
            {
                bad = Pdus.capsuleResp(true, 3);
                bad[bad.length - 1] ^= 1;
            }
            case "DATAL" ->
            {
                bad = Pdus.rehash(Pdus.putLe32(Pdus.c2hData(true, true, 0, CID, 256, Pdus.random(64, 1), true,
                    false), 16, 60));
            }
            default -> throw new IllegalArgumentException(kind);
        }
        final byte[] stream = Arrays.copyOf(ok, ok.length + bad.length);
        System.arraycopy(bad, 0, stream, ok.length, bad.length);
        return stream;
    }

    @ParameterizedTest
    @CsvSource({
        "HLEN, HLEN 20 for CapsuleResp, expected 24",
        "PLEN, PLEN 40 for CapsuleResp, expected 28",
        "PDO, PDO 32 for C2HData, expected 28",
        "LIMIT, beyond the limit",
        "TYPE, PDU-Type 08h is reserved",
        "HDGST, HDGST",
        "DATAL, DATAL 60 for C2HData, expected 64"})
    void malformedPduEndsOnlyItsSocket(final String kind, final String field) throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, "{\"maxRegistrationLength\": 65536}"))
        {
            final AppHost.Socket s = rig.connect(1);
            final AppHost.Socket other = rig.connect(2);
            rig.pushInSync(s, true, true, 0);
            rig.pushInSync(other, true, true, 0);
            final byte[] stream = malformed(kind);
            rig.peer(0).getOutputStream().write(stream);
            rig.h.await("RESET", () -> s.resetErrno >= 0);
            assertEquals(EBADMSG, s.resetErrno);
            assertEquals(1, rig.h.host.errors.size(), "one ERROR: " + rig.h.host.errors);
            final AppHost.Error error = rig.h.host.errors.get(0);
            assertEquals(1, error.id());
            assertEquals(EBADMSG, error.errno());
            assertEquals(TYPE_NVME_PDU_HEADER, error.type());
            final long offset = Pdus.plen(Pdus.c2hData(true, true, 0, CID, 0, new byte[256], true, false));
            assertTrue(error.text().contains(field), error.text());
            assertTrue(error.text().contains("stream offset " + offset), error.text());
            // The PDU before it was delivered whole.
            assertEquals(1, s.pduHeaders);
            assertEquals(1, s.lastPieces);
            assertEquals(1, rig.h.counters.get("nvme-drop"));
            assertEquals("HDGST".equals(kind) ? 1 : 0, rig.h.counters.get("nvme-hdgst-errors"));
            assertEquals("HDGST".equals(kind) ? 0 : 1, rig.h.counters.get("nvme-malformed"));
            assertTrue(rig.h.events.stream().anyMatch(e -> e.startsWith("nvme-drop id=1")), "event " + rig.h.events);
            // The controller's connection was reset.
            final InputStream in = rig.peer(0).getInputStream();
            assertThrows(SocketException.class, () ->
            {
                while (in.read() >= 0)
                {
                    rig.h.step();
                }
            });
            // The other queue on the same link carries on.
            final Pdus.Stream good = new Pdus.Stream().add(Pdus.capsuleResp(true, 1))
                .add(Pdus.c2hData(true, true, 0, 2, 0, Pdus.random(1000 * 4, 3), true, true));
            rig.deliver(rig.peer(1), good.toArray());
            rig.h.await("the other socket's PDUs", () -> 2 == other.pduHeaders && 1 == other.lastPieces);
            assertPdus(other.ulp, 0, good.pdus, true, 0, new HashMap<>(), -1);
            assertEquals(-1, other.resetErrno);
            rig.h.await("socket freed", () -> 1 == rig.h.connections());
            assertEquals(1, rig.h.counters.get("nvme-queue-teardown"));
        }
    }

    @Test
    void icRespAfterThePushIsMalformed() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            rig.pushInSync(s, false, false, 0);
            final byte[] icResp = new byte[128];
            icResp[0] = NvmeTcp.TYPE_IC_RESP;
            icResp[2] = (byte)128;
            Pdus.putLe32(icResp, 4, 128);
            rig.peer(0).getOutputStream().write(icResp);
            rig.h.await("RESET", () -> s.resetErrno >= 0);
            assertEquals(EBADMSG, s.resetErrno);
            assertTrue(rig.h.host.errors.get(0).text().contains("ICResp"), rig.h.host.errors.get(0).text());
            assertEquals(0, s.pduHeaders);
        }
    }

    // ---- transmit: digests filled in ----

    /** Reads a host-to-controller stream at the peer and checks every PDU with digests on, as a controller. */
    private static final class Controller implements PduHandler
    {
        final PduParser parser;
        int pdus;
        int digestErrors;
        String malformed;

        Controller(final boolean hdgst, final boolean ddgst, final int cpda)
        {
            parser = new PduParser(PduParser.Side.CONTROLLER, 1 << 20, this).expectInitialization(false)
                .digests(hdgst, ddgst).receivePda(cpda);
        }

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
            pdus++;
            if (!dataDigestOk)
            {
                digestErrors++;
            }
        }

        @Override
        public void onMalformed(final PduError error, final String reason)
        {
            malformed = reason;
        }
    }

    private static byte[] readFully(final Rig rig, final Socket peer, final int length) throws IOException
    {
        final byte[] got = new byte[length];
        final InputStream in = peer.getInputStream();
        peer.setSoTimeout(1);
        int at = 0;
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (at < length)
        {
            try
            {
                final int n = in.read(got, at, length - at);
                if (n < 0)
                {
                    break;
                }
                at += n;
            }
            catch (final SocketTimeoutException ex)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new AssertionError("the peer got " + at + " of " + length + " bytes");
                }
                rig.h.step();
            }
        }
        peer.setSoTimeout(10_000);
        return got;
    }

    @ParameterizedTest
    @CsvSource({"true, true, 0", "true, false, 0", "false, true, 3", "false, false, 0"})
    void transmitDigestsAreFilledInWhereverTheBodiesAreCut(final boolean hdgst, final boolean ddgst, final int cpda)
        throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            // Some plain DATA before the push (an ICReq's worth): not touched, and counted in h2cSent.
            final byte[] before = Pdus.random(128, 7);
            rig.h.offer("DATA", () -> rig.h.host.data(1, before, 0, before.length));
            assertArrayEquals(before, readFully(rig, rig.peer(0), before.length));
            rig.push(s, hdgst, ddgst, cpda, 0, 0, before.length, 128);
            assertEquals(0, s.ulpErrno);
            final List<byte[]> withPlaceholders = new ArrayList<>();
            final List<byte[]> reference = new ArrayList<>();
            for (int i = 0; i < 12; i++)
            {
                final byte[] data = Pdus.random(4 * (1 + i * 37), i);
                final boolean capsule = 0 == i % 3;
                withPlaceholders.add(capsule ? Pdus.capsuleCmd(hdgst, ddgst, cpda, i, 1 == i % 2 ? new byte[0] : data,
                    true) : Pdus.h2cData(hdgst, ddgst, cpda, i, i, 0, data, true, true));
                reference.add(capsule ? Pdus.capsuleCmd(hdgst, ddgst, cpda, i, 1 == i % 2 ? new byte[0] : data,
                    false) : Pdus.h2cData(hdgst, ddgst, cpda, i, i, 0, data, true, false));
            }
            final byte[] stream = concat(withPlaceholders);
            final byte[] expected = concat(reference);
            // Bodies of awkward sizes, so that headers, placeholders and data straddle them.
            final Random random = new Random(3);
            final int[] sizes = {1, 2, 3, 5, 6, 7, 11, 25, 70, 333, 1500};
            int at = 0;
            while (at < stream.length)
            {
                final int n = Math.min(stream.length - at, sizes[random.nextInt(sizes.length)]);
                final int from = at;
                rig.h.offer("DATA", () -> rig.h.host.data(1, stream, from, n));
                at += n;
                if (random.nextInt(4) == 0)
                {
                    rig.h.step();
                }
            }
            final byte[] got = readFully(rig, rig.peer(0), stream.length);
            final Controller controller = new Controller(hdgst, ddgst, cpda);
            final MemorySegment m = MemorySegment.ofArray(got);
            controller.parser.feed(m, 0, got.length);
            assertEquals(null, controller.malformed, "the controller's parser");
            assertEquals(12, controller.pdus);
            assertEquals(0, controller.digestErrors);
            assertArrayEquals(expected, got, "byte for byte what a software host sends");
            long digests = 0;
            for (final byte[] pdu : reference)
            {
                digests += (hdgst ? 1 : 0) + (ddgst && (pdu[1] & NvmeTcp.FLAG_DDGSTF) != 0 ? 1 : 0);
            }
            assertEquals(digests, rig.h.counters.get("nvme-tx-digests"));
            assertTrue(rig.h.host.errors.isEmpty(), "errors " + rig.h.host.errors);
        }
    }

    private static byte[] concat(final List<byte[]> parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"PDO", "TYPE", "DDGSTF", "MAXH2CDATA"})
    void malformedAppPduEndsTheSocket(final String kind) throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            rig.push(s, true, true, 0, 0, 0, 0, 128);
            final byte[] good = Pdus.capsuleCmd(true, true, 0, 1, new byte[0], true);
            final byte[] bad = switch (kind)
            {
                case "PDO" ->
                {
                    final byte[] b = Pdus.h2cData(true, true, 0, 1, 1, 0, new byte[64], true, true);
                    b[3] = 24;
                    yield b;
                }
                case "TYPE" ->
                {
                    final byte[] b = Pdus.capsuleResp(true, 1);
                    yield b;
                }
                case "DDGSTF" ->
                {
                    final byte[] b = Pdus.h2cData(true, true, 0, 1, 1, 0, new byte[64], true, true);
                    b[1] &= ~NvmeTcp.FLAG_DDGSTF;
                    yield b;
                }
                default -> Pdus.h2cData(true, true, 0, 1, 1, 0, new byte[65536 + 4], true, true);
            };
            final byte[] stream = concat(List.of(good, bad));
            for (int at = 0; at < stream.length; at += 1000)
            {
                final int from = at;
                rig.h.offer("DATA", () -> rig.h.host.data(1, stream, from, Math.min(1000, stream.length - from)));
            }
            rig.h.await("RESET", () -> s.resetErrno >= 0);
            assertEquals(EBADMSG, s.resetErrno);
            final AppHost.Error error = rig.h.host.errors.get(0);
            assertEquals(EBADMSG, error.errno());
            assertTrue(error.text().startsWith("app's "), error.text());
            assertTrue(error.text().contains("stream offset " + good.length), error.text());
            assertEquals(1, rig.h.counters.get("nvme-drop"));
            assertEquals(1, rig.h.counters.get("nvme-malformed"));
        }
    }

    // ---- resync ----

    @Test
    void searchesRequestsAndSwitchesAtABoundaryAfterConfirmation() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            final Pdus.Stream stream = new Pdus.Stream()
                .add(Pdus.c2hData(true, true, 0, 1, 0, Pdus.random(4096, 1), true, false))
                .add(Pdus.c2hData(true, true, 0, 2, 0, Pdus.random(8192, 2), true, false))
                .add(Pdus.capsuleResp(true, 2))
                .add(Pdus.c2hData(true, true, 0, 3, 0, Pdus.random(4096, 3), true, true))
                .add(Pdus.r2t(true, 4, 1, 0, 4096))
                .add(Pdus.capsuleResp(true, 1))
                .add(Pdus.c2hData(true, true, 0, CID, 0, Pdus.random(2048, 4), true, false))
                .add(Pdus.capsuleResp(true, CID));
            final byte[] bytes = stream.toArray();
            // Before the push, the proxy forwards the first PDU and half of the second as DATA; the app has parsed
            // only the first.
            final int half = (int)(stream.starts.get(1) + 3000);
            rig.write(rig.peer(0), bytes, 0, half);
            rig.h.await("DATA at the app", () -> s.receivedBytes() == half);
            rig.push(s, true, true, 0, 0, stream.starts.get(1), 0, 128);
            assertEquals(0, s.ulpErrno);
            assertEquals(UlpMessages.RESULT_SEARCHING, s.ulpState);
            assertEquals(half, s.ulpOffset, "searching from what was forwarded");
            rig.setup(s, CID, 4096);
            // The rest of PDU 2 and the next three PDUs: the search finds PDU 3 (the CapsuleResp).
            final int upTo = (int)(long)stream.starts.get(5);
            rig.write(rig.peer(0), bytes, half, upTo - half);
            rig.h.await("RESYNC_REQUEST", () -> 1 == s.ulp.size());
            assertEquals(new AppHost.ResyncRequest(stream.starts.get(2)), s.ulp.get(0));
            rig.h.await("all of it as DATA", () -> s.receivedBytes() == upTo);
            // DATA was cut at each boundary of the chain followed from the candidate.
            long position = 0;
            for (final int size : s.dataSizes)
            {
                for (int p = 3; p < 5; p++)
                {
                    final long boundary = stream.starts.get(p);
                    assertFalse(position < boundary && position + size > boundary, "DATA at " + position + " of " +
                        size + " bytes crosses the chain's boundary at " + boundary);
                }
                position += size;
            }
            // The app refuses it (say its parser disagrees): the search goes on from the next byte and finds PDU 4.
            rig.h.offer("RESYNC_RESPONSE no", () -> rig.h.host.resyncResponse(1, stream.starts.get(2), false));
            rig.h.await("second RESYNC_REQUEST", () -> 2 == s.ulp.size());
            assertEquals(new AppHost.ResyncRequest(stream.starts.get(3)), s.ulp.get(1));
            // A stale answer is ignored; then the app confirms PDU 4. Everything was forwarded up to the end of PDU 5,
            // a boundary of the chain: the switch is there.
            rig.h.offer("stale RESYNC_RESPONSE", () -> rig.h.host.resyncResponse(1, stream.starts.get(2), true));
            rig.h.offer("RESYNC_RESPONSE yes", () -> rig.h.host.resyncResponse(1, stream.starts.get(3), true));
            rig.h.await("confirmed", () -> 1 == rig.h.counters.get("nvme-resync-confirmed"));
            rig.h.run(20);
            assertEquals(upTo, s.receivedBytes());
            rig.deliver(rig.peer(0), Arrays.copyOfRange(bytes, upTo, bytes.length));
            rig.h.await("the last three PDUs as ULP messages", () -> 3 == s.pduHeaders);
            assertArrayEquals(Arrays.copyOf(bytes, upTo), s.received.toByteArray(), "DATA up to the switch");
            assertPdus(s.ulp, 2, stream.pdus.subList(5, 8), true, 0, new HashMap<>(Map.of(CID, 4096L)), -1);
            final ProxyCounters c = rig.h.counters;
            assertEquals(2, c.get("nvme-resync-requests"));
            assertEquals(1, c.get("nvme-resync-confirmed"));
            assertEquals(1, c.get("nvme-resync-ignored"));
            assertEquals(2048, c.get("nvme-offload-bytes"));
            assertTrue(rig.h.host.errors.isEmpty(), "errors " + rig.h.host.errors);
        }
    }

    @Test
    void confirmationMidPduSwitchesAtTheNextBoundary() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            final Pdus.Stream stream = new Pdus.Stream()
                .add(Pdus.c2hData(false, false, 0, 1, 0, Pdus.random(4096, 1), true, false))
                .add(Pdus.capsuleResp(false, 1))
                .add(Pdus.c2hData(false, false, 0, 2, 0, Pdus.random(16384, 2), true, false))
                .add(Pdus.capsuleResp(false, 2));
            final byte[] bytes = stream.toArray();
            rig.write(rig.peer(0), bytes, 0, 100);
            rig.h.await("DATA", () -> 100 == s.receivedBytes());
            rig.push(s, false, false, 0, 0, 0, 0, 128);
            assertEquals(UlpMessages.RESULT_SEARCHING, s.ulpState);
            // Up to the middle of PDU 3: the CapsuleResp is the candidate; PDU 3 is followed into.
            final int mid = (int)(stream.starts.get(2) + 5000);
            rig.write(rig.peer(0), bytes, 100, mid - 100);
            rig.h.await("RESYNC_REQUEST", () -> 1 == s.ulp.size());
            assertEquals(new AppHost.ResyncRequest(stream.starts.get(1)), s.ulp.get(0));
            rig.h.offer("RESYNC_RESPONSE", () -> rig.h.host.resyncResponse(1, stream.starts.get(1), true));
            rig.h.await("confirmed", () -> 1 == rig.h.counters.get("nvme-resync-confirmed"));
            rig.deliver(rig.peer(0), Arrays.copyOfRange(bytes, mid, bytes.length));
            rig.h.await("the last CapsuleResp as PDU_HEADER", () -> 1 == s.pduHeaders);
            assertArrayEquals(Arrays.copyOf(bytes, (int)(long)stream.starts.get(3)), s.received.toByteArray(),
                "the rest of PDU 3 as DATA first");
            assertPdus(s.ulp, 1, stream.pdus.subList(3, 4), false, 0, new HashMap<>(), -1);
        }
    }

    @Test
    void theStreamKeepsFlowingWhileTheAppTakesItsTimeToAnswer() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, null))
        {
            final AppHost.Socket s = rig.connect(1);
            final Pdus.Stream stream = new Pdus.Stream();
            for (int i = 0; i < 40; i++)
            {
                stream.add(Pdus.c2hData(true, true, 0, 1, i * 32768L, Pdus.random(32768, i), false, false));
            }
            final byte[] bytes = stream.toArray();
            rig.write(rig.peer(0), bytes, 0, 100);
            rig.h.await("DATA", () -> 100 == s.receivedBytes());
            rig.push(s, true, true, 0, 0, 0, 0, 128);
            assertEquals(UlpMessages.RESULT_SEARCHING, s.ulpState);
            // 1.3 MB, five times the staging buffer, while the app leaves the request unanswered: everything still
            // reaches the app as DATA (what was kept for a search after a refusal gives way to what flows).
            final Socket peer = rig.peer(0);
            final CompletableFuture<Void> writer = CompletableFuture.runAsync(() ->
            {
                try
                {
                    peer.getOutputStream().write(bytes, 100, bytes.length - 100);
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            }, DAEMONS);
            rig.h.await("all of it as DATA", () -> s.receivedBytes() == bytes.length);
            writer.get(10, TimeUnit.SECONDS);
            assertEquals(List.of(new AppHost.ResyncRequest(stream.starts.get(1))), s.ulp);
            // Refused: the search starts again from what staging still holds, and finds a PDU start there.
            rig.h.offer("RESYNC_RESPONSE no", () -> rig.h.host.resyncResponse(1, stream.starts.get(1), false));
            rig.h.await("second RESYNC_REQUEST", () -> 2 == s.ulp.size());
            final long second = ((AppHost.ResyncRequest)s.ulp.get(1)).offset();
            assertTrue(second > stream.starts.get(1) && stream.starts.contains(second), "a PDU start: " + second);
            rig.h.offer("RESYNC_RESPONSE yes", () -> rig.h.host.resyncResponse(1, second, true));
            rig.h.await("confirmed", () -> 1 == rig.h.counters.get("nvme-resync-confirmed"));
            final Pdus.Stream more = new Pdus.Stream().add(Pdus.capsuleResp(true, 1))
                .add(Pdus.c2hData(true, true, 0, 2, 0, Pdus.random(8192, 99), true, true));
            rig.deliver(peer, more.toArray());
            rig.h.await("the new PDUs as ULP messages", () -> 2 == s.pduHeaders && 1 == s.lastPieces);
            assertArrayEquals(bytes, s.received.toByteArray(), "DATA up to the switch, at the end of the stream");
            assertPdus(s.ulp, 2, more.pdus, true, 0, new HashMap<>(), -1);
            assertTrue(rig.h.host.errors.isEmpty(), "errors " + rig.h.host.errors);
        }
    }

    // ---- refusals ----

    @Test
    void refusedWhenDisabledAndTheSocketCarriesOn() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, "{\"enabled\": false}"))
        {
            final AppHost.Socket s = rig.connect(1);
            rig.push(s, true, true, 0, 0, 0, 0, 128);
            assertEquals(EOPNOTSUPP, s.ulpErrno);
            assertEquals(1, rig.h.counters.get("nvme-ulp-refused"));
            final byte[] pdu = Pdus.capsuleResp(true, 1);
            rig.write(rig.peer(0), pdu, 0, pdu.length);
            rig.h.await("DATA", () -> pdu.length == s.receivedBytes());
            assertArrayEquals(pdu, s.received.toByteArray());
            assertEquals(0, rig.h.counters.get("nvme-queue-init"));
        }
    }

    @Test
    void refusedInTwoThreadMode() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.TWO_THREADS, null))
        {
            final AppHost.Socket s = rig.connect(1);
            rig.push(s, true, true, 0, 0, 0, 0, 128);
            assertEquals(EOPNOTSUPP, s.ulpErrno);
            rig.setup(s, 3, 4096);
            rig.h.await("DDP_TEARDOWN", () -> 1 == s.ulp.size());
            assertEquals(new AppHost.Teardown(3, UlpMessages.TEARDOWN_REFUSED), s.ulp.get(0));
        }
    }

    @Test
    void refusedBeyondTheQueueLimitAndForBadPushes() throws Exception
    {
        try (Rig rig = new Rig(ProxyHarness.Mode.ONE_THREAD, "{\"maxQueuesPerLink\": 1}"))
        {
            final AppHost.Socket a = rig.connect(1);
            final AppHost.Socket b = rig.connect(2);
            rig.push(a, false, false, 0, 0, 0, 0, 32);
            assertEquals(0, a.ulpErrno);
            rig.push(b, false, false, 0, 0, 0, 0, 32);
            assertEquals(EOPNOTSUPP, b.ulpErrno, "one queue per link");
            rig.push(a, false, false, 0, 0, 0, 0, 32);
            assertEquals(EINVAL, a.ulpErrno, "pushed twice");
            final AppHost.Socket c = rig.connect(3);
            rig.push(c, false, false, 0, 0, 0, 12, 32);
            assertEquals(EINVAL, c.ulpErrno, "h2cSent is not what the proxy received");
            rig.push(c, false, false, 0, 0, 5, 0, 32);
            assertEquals(EINVAL, c.ulpErrno, "c2hConsumed beyond what was forwarded");
            c.ulpErrno = -1;
            rig.h.offer("short ULP_PUSH", () -> rig.h.host.raw(XtsFrameDescriptor.TYPE_NVME_ULP_PUSH,
                3, new byte[12]));
            rig.h.await("ULP_RESULT", () -> c.ulpErrno >= 0);
            assertEquals(EINVAL, c.ulpErrno, "short body");
            assertEquals(5, rig.h.counters.get("nvme-ulp-refused"));
            // The first socket's queue ends: the second may push now.
            rig.h.offer("CLOSE", () -> rig.h.host.empty(TYPE_SOCKET_CLOSE, 1));
            rig.h.await("freed", () -> 2 == rig.h.connections());
            rig.push(b, false, false, 0, 0, 0, 0, 32);
            assertEquals(0, b.ulpErrno);
        }
    }
}
