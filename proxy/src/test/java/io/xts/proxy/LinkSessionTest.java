package io.xts.proxy;

import io.xts.protocol.ConnectFlyweight;
import io.xts.protocol.SocketMessages;
import io.xts.proxy.config.ProxyConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.xts.protocol.SocketMessages.EACCES;
import static io.xts.protocol.SocketMessages.EBADF;
import static io.xts.protocol.SocketMessages.ECONNABORTED;
import static io.xts.protocol.SocketMessages.ECONNREFUSED;
import static io.xts.protocol.SocketMessages.ECONNRESET;
import static io.xts.protocol.SocketMessages.EINVAL;
import static io.xts.protocol.SocketMessages.EMFILE;
import static io.xts.protocol.SocketMessages.ENOBUFS;
import static io.xts.protocol.SocketMessages.EPROTO;
import static io.xts.protocol.SocketMessages.OPTION_SO_RCVBUF;
import static io.xts.protocol.SocketMessages.OPTION_TCP_NODELAY;
import static io.xts.protocol.SocketMessages.PROXY_ALLOCATED_ID;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_DATA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proxy's socket operations end to end: an app host on the in-process link, the proxy, and real TCP peers on
 * loopback (IPv4 and IPv6). Every test runs in both modes: one agent driven by the test's thread, and two agents (the
 * link agent on the test's thread, the TCP agent on a thread of its own, every message crossing through the rings).
 * Each test checks what the app host receives, what the TCP peer sees, and the counters.
 */
class LinkSessionTest
{
    private static final int WINDOW = 256 * 1024;
    private static final long PEER_WAIT_S = 10;

    private static byte[] pattern(final int length, final long seed)
    {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static InetSocketAddress address(final ServerSocket server)
    {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    private static byte[] readAll(final InputStream in) throws IOException
    {
        return in.readAllBytes();
    }

    @ParameterizedTest
    @CsvSource({"ONE_THREAD, 127.0.0.1", "ONE_THREAD, ::1", "TWO_THREADS, 127.0.0.1", "TWO_THREADS, ::1"})
    void connectsAndCarriesMegabytesBothWaysByteExact(final ProxyHarness.Mode mode, final String loopback)
        throws Exception
    {
        final int size = 3 << 20;
        final byte[] toPeer = pattern(size, 1);
        final byte[] toApp = pattern(size, 2);
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getByName(loopback));
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            final CompletableFuture<byte[]> peerReceived = CompletableFuture.supplyAsync(() ->
            {
                try (Socket peer = server.accept())
                {
                    final CompletableFuture<Void> writer = CompletableFuture.runAsync(() ->
                    {
                        try
                        {
                            final OutputStream out = peer.getOutputStream();
                            out.write(toApp);
                            peer.shutdownOutput();
                        }
                        catch (final IOException ex)
                        {
                            throw new RuntimeException(ex);
                        }
                    });
                    final byte[] got = readAll(peer.getInputStream());
                    writer.get(PEER_WAIT_S, TimeUnit.SECONDS);
                    return got;
                }
                catch (final Exception ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            h.up();
            final AppHost.Socket s = h.connected(1, address(server), WINDOW);
            assertEquals(address(server), s.remote, "CONNECT_RESULT names the peer");
            assertEquals(InetAddress.getByName(loopback), s.local.getAddress(), "local address of the same family");
            assertEquals(h.config.limits().sendWindow(), s.sendLimit, "first send window");
            h.host.send(1, toPeer, true);
            h.await("all peer bytes and SHUTDOWN at the app", () -> s.peerShutdown && s.receivedBytes() == size);
            h.await("the peer read everything", peerReceived::isDone);
            assertArrayEquals(toPeer, peerReceived.get(), "app -> peer bytes");
            assertArrayEquals(toApp, s.received.toByteArray(), "peer -> app bytes");
            assertFalse(s.dataAfterShutdown, "no DATA after SHUTDOWN");
            assertEquals(0, s.creditOverruns, "the proxy stayed within the app's credit");
            assertEquals(size, h.counters.get("bytes-app-to-tcp"));
            assertEquals(size, h.counters.get("bytes-tcp-to-app"));
            assertTrue(h.counters.get("data-msgs-tcp-to-app") >= size / h.app.maxMessageLength(),
                "DATA messages at most a link message each");
            assertEquals(1, h.counters.get("connects-ok"));
            assertEquals(1, h.counters.get("sockets-open"));
            h.offer("CLOSE", () -> h.host.empty(TYPE_SOCKET_CLOSE, 1));
            h.await("socket freed", () -> 0 == h.connections());
            assertEquals(0, h.counters.get("sockets-open"));
            assertEquals(0, h.counters.get("bytes-in-flight-granted"));
            assertTrue(h.host.errors.isEmpty(), "no errors: " + h.host.errors);
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void connectToClosedPortIsRefused(final ProxyHarness.Mode mode) throws Exception
    {
        final InetSocketAddress closed;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            closed = address(server);
        }
        try (ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            h.up();
            h.offer("CONNECT", () -> h.host.connect(1, closed, WINDOW, 0));
            h.await("CONNECT_RESULT", () -> h.host.socket(1).connectErrno >= 0);
            assertEquals(ECONNREFUSED, h.host.socket(1).connectErrno);
            assertEquals(1, h.counters.get("connects-failed"));
            assertEquals(0, h.connections(), "failed socket freed");
            assertEquals(0, h.bytesInFlight(), "its window released");
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void destinationOutsideTheAllowListIsRefusedWithEaccesAndCounted(final ProxyHarness.Mode mode) throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyConfig.defaults()))
        {
            h.up();
            h.offer("CONNECT", () -> h.host.connect(1, address(server), WINDOW, 0));
            h.await("CONNECT_RESULT", () -> h.host.socket(1).connectErrno >= 0);
            assertEquals(EACCES, h.host.socket(1).connectErrno, "loopback is outside the default allow-list");
            assertEquals(1, h.counters.get("refused-allow-list"));
            assertEquals(0, h.counters.get("connects-failed"), "a refusal is not a failed connect");
            // Any local address may be listened on by default, but only on ports 1024-65535.
            h.offer("LISTEN", () -> h.host.listen(2, new InetSocketAddress(InetAddress.getLoopbackAddress(), 80),
                WINDOW));
            h.await("LISTEN_RESULT", () -> h.host.socket(2).listenErrno >= 0);
            assertEquals(EACCES, h.host.socket(2).listenErrno);
            assertEquals(2, h.counters.get("refused-allow-list"));
            assertEquals(0, h.connections() + h.listeners());
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void socketLimitRefusesWithEmfile(final ProxyHarness.Mode mode) throws Exception
    {
        final int limit = 2;
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback("{\"socketsPerLink\": " + limit + "}")))
        {
            h.up();
            for (int id = 1; id <= limit; id++)
            {
                h.connected(id, address(server), WINDOW);
            }
            final int over = limit + 1;
            h.offer("CONNECT over the limit", () -> h.host.connect(over, address(server), WINDOW, 0));
            h.await("CONNECT_RESULT", () -> h.host.socket(over).connectErrno >= 0);
            assertEquals(EMFILE, h.host.socket(over).connectErrno);
            assertEquals(1, h.counters.get("refused-socket-limit"));
            assertEquals(limit, h.connections());
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void bytesInFlightLimitRefusesWithEnobufs(final ProxyHarness.Mode mode) throws Exception
    {
        final int window = ProxyConfig.MIN_SEND_WINDOW * 4;
        final int fits = 2;
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback("{\"sendWindow\": " + window +
                ", \"bytesInFlightPerLink\": " + (long)window * fits + "}")))
        {
            h.up();
            for (int id = 1; id <= fits; id++)
            {
                h.connected(id, address(server), WINDOW);
            }
            assertEquals((long)window * fits, h.counters.get("bytes-in-flight-granted"));
            h.offer("CONNECT over the limit", () -> h.host.connect(fits + 1, address(server), WINDOW, 0));
            h.await("CONNECT_RESULT", () -> h.host.socket(fits + 1).connectErrno >= 0);
            assertEquals(ENOBUFS, h.host.socket(fits + 1).connectErrno);
            assertEquals(1, h.counters.get("refused-bytes-in-flight"));
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void listenerLimitRefusesWithEmfile(final ProxyHarness.Mode mode) throws Exception
    {
        try (ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback("{\"listenersPerLink\": 1}")))
        {
            h.up();
            final InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            h.offer("LISTEN 1", () -> h.host.listen(1, any, WINDOW));
            h.offer("LISTEN 2", () -> h.host.listen(2, any, WINDOW));
            h.await("LISTEN_RESULTs", () -> h.host.socket(2).listenErrno >= 0);
            assertEquals(0, h.host.socket(1).listenErrno);
            assertEquals(EMFILE, h.host.socket(2).listenErrno);
            assertEquals(1, h.counters.get("refused-listener-limit"));
            assertEquals(1, h.counters.get("listeners-open"));
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void messageForUnknownIdGetsEbadf(final ProxyHarness.Mode mode) throws Exception
    {
        try (ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            h.up();
            final int unknown = 77;
            h.offer("DATA", () -> h.host.raw(TYPE_SOCKET_DATA, unknown, new byte[] {1, 2, 3}));
            h.await("ERROR", () -> !h.host.errors.isEmpty());
            final AppHost.Error e = h.host.errors.get(0);
            assertEquals(unknown, e.id());
            assertEquals(EBADF, e.errno());
            assertEquals(TYPE_SOCKET_DATA, e.type());
            assertTrue(e.text().contains(String.valueOf(unknown)), e.text());
            assertEquals(1, h.counters.get("errors-ebadf"));
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void malformedConnectGetsEinval(final ProxyHarness.Mode mode) throws Exception
    {
        try (ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null));
            Arena arena = Arena.ofConfined())
        {
            h.up();
            h.offer("short CONNECT", () -> h.host.raw(TYPE_SOCKET_CONNECT, 1, new byte[ConnectFlyweight.LENGTH / 4]));
            final MemorySegment body = arena.allocate(ConnectFlyweight.LENGTH);
            new ConnectFlyweight().wrap(body, 0, ConnectFlyweight.LENGTH)
                .remote(new InetSocketAddress(InetAddress.getLoopbackAddress(), 80)).receiveWindow(WINDOW);
            body.set(ValueLayout.JAVA_BYTE, SocketMessages.CONNECT_REMOTE_OFFSET, (byte)9);
            final byte[] badFamily = body.toArray(ValueLayout.JAVA_BYTE);
            h.offer("CONNECT with family 9", () -> h.host.raw(TYPE_SOCKET_CONNECT, 2, badFamily));
            h.await("both CONNECT_RESULTs", () -> h.host.socket(2).connectErrno >= 0);
            assertEquals(EINVAL, h.host.socket(1).connectErrno, "short body");
            assertEquals(EINVAL, h.host.socket(2).connectErrno, "bad family");
            assertEquals(2, h.counters.get("errors-einval"));
            assertEquals(0, h.connections());
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void peerResetBecomesResetEconnreset(final ProxyHarness.Mode mode) throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            final CompletableFuture<Void> connected = new CompletableFuture<>();
            final CompletableFuture<Void> peer = CompletableFuture.runAsync(() ->
            {
                try (Socket s = server.accept())
                {
                    // Reset only once the app is connected, else the connect itself may fail with ECONNRESET.
                    connected.get(PEER_WAIT_S, TimeUnit.SECONDS);
                    s.setSoLinger(true, 0);
                }
                catch (final Exception ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            h.up();
            final AppHost.Socket s = h.connected(1, address(server), WINDOW);
            connected.complete(null);
            h.await("RESET", () -> s.resetErrno >= 0);
            assertEquals(ECONNRESET, s.resetErrno);
            assertEquals(1, h.counters.get("resets-sent"));
            assertEquals(0, h.connections(), "reset socket freed");
            peer.get(PEER_WAIT_S, TimeUnit.SECONDS);
            // DATA the app had already sent for the id is dropped quietly, not answered with EBADF.
            h.offer("late DATA", () -> h.host.raw(TYPE_SOCKET_DATA, 1, new byte[] {1}));
            h.run(20);
            assertTrue(h.host.errors.isEmpty(), "late DATA drew " + h.host.errors);
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void halfCloseWorksBothWays(final ProxyHarness.Mode mode) throws Exception
    {
        final byte[] request = pattern(100_000, 3);
        final byte[] response = pattern(200_000, 4);
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            final CompletableFuture<byte[]> peer = CompletableFuture.supplyAsync(() ->
            {
                try (Socket s = server.accept())
                {
                    // The app's SHUTDOWN arrives as end-of-stream; the peer still answers afterwards.
                    final byte[] got = readAll(s.getInputStream());
                    s.getOutputStream().write(response);
                    s.shutdownOutput();
                    return got;
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            h.up();
            final AppHost.Socket s = h.connected(1, address(server), WINDOW);
            h.host.send(1, request, true);
            h.await("response and SHUTDOWN", () -> s.peerShutdown);
            assertArrayEquals(request, peer.get(PEER_WAIT_S, TimeUnit.SECONDS), "the peer read the request to EOF");
            assertArrayEquals(response, s.received.toByteArray(), "data after the app's SHUTDOWN, before the peer's");
            assertFalse(s.dataAfterShutdown);
            assertEquals(-1, s.resetErrno, "no RESET");
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void listenAcceptsAndAnnouncesWithProxyAllocatedIds(final ProxyHarness.Mode mode) throws Exception
    {
        final byte[] hello = pattern(5000, 5);
        final byte[] answer = pattern(7000, 6);
        try (ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            h.up();
            final int listenerId = 5;
            h.offer("LISTEN", () -> h.host.listen(listenerId,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), WINDOW));
            final AppHost.Socket listener = h.host.socket(listenerId);
            h.await("LISTEN_RESULT", () -> listener.listenErrno >= 0);
            assertEquals(0, listener.listenErrno);
            assertNotEquals(0, listener.bound.getPort(), "the bound port is reported");
            try (Socket peer = new Socket(listener.bound.getAddress(), listener.bound.getPort()))
            {
                peer.getOutputStream().write(hello);
                h.await("ACCEPTED", () -> !h.host.acceptedIds.isEmpty());
                final int id = h.host.acceptedIds.get(0);
                assertEquals(PROXY_ALLOCATED_ID, id & PROXY_ALLOCATED_ID, "proxy-allocated id");
                final AppHost.Socket s = h.host.socket(id);
                assertEquals(listenerId, s.listenerId);
                assertEquals(peer.getLocalPort(), s.remote.getPort(), "remote is the peer");
                assertEquals(listener.bound.getPort(), s.local.getPort(), "local is the listener's port");
                h.await("hello at the app", () -> s.receivedBytes() == hello.length);
                assertArrayEquals(hello, s.received.toByteArray());
                h.host.send(id, answer, false);
                final CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() ->
                {
                    try
                    {
                        return peer.getInputStream().readNBytes(answer.length);
                    }
                    catch (final IOException ex)
                    {
                        throw new RuntimeException(ex);
                    }
                });
                h.await("answer at the peer", got::isDone);
                assertArrayEquals(answer, got.get());
                assertEquals(1, h.counters.get("accepted"));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void acceptedConnectionOverTheSocketLimitIsResetAndCounted(final ProxyHarness.Mode mode) throws Exception
    {
        try (ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback("{\"socketsPerLink\": 1}")))
        {
            h.up();
            h.offer("LISTEN", () -> h.host.listen(1, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                WINDOW));
            h.await("LISTEN_RESULT", () -> h.host.socket(1).listenErrno == 0);
            final InetSocketAddress bound = h.host.socket(1).bound;
            try (Socket first = new Socket(bound.getAddress(), bound.getPort()))
            {
                h.await("first ACCEPTED", () -> 1 == h.host.acceptedIds.size());
                try (Socket second = new Socket(bound.getAddress(), bound.getPort()))
                {
                    h.await("second refused", () -> 1 == h.counters.get("refused-socket-limit"));
                    second.setSoTimeout((int)TimeUnit.SECONDS.toMillis(PEER_WAIT_S));
                    assertThrows(SocketException.class, () -> second.getInputStream().read(),
                        "the refused connection is reset");
                }
                h.run(20);
                assertEquals(1, h.host.acceptedIds.size(), "only the first was announced");
                assertEquals(1, h.connections());
                assertTrue(first.isConnected());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void slowAppCreditIsNeverExceeded(final ProxyHarness.Mode mode) throws Exception
    {
        final int window = 64 * 1024;
        final int total = 1 << 20;
        final byte[] data = pattern(total, 7);
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            final CompletableFuture<Void> peer = CompletableFuture.runAsync(() ->
            {
                try (Socket s = server.accept())
                {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                    s.getInputStream().read();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            h.up();
            final AppHost.Socket s = h.connected(1, address(server), window);
            s.autoCredit = false;
            h.await("first window", () -> s.receivedBytes() == window);
            h.run(200);
            assertEquals(window, s.receivedBytes(), "nothing past the credit while the app does not read");
            assertTrue(h.counters.get("bytes-tcp-to-app") == window, "the proxy read no more than the credit");
            h.offer("CREDIT", () -> h.host.credit(1, window, window));
            s.advertised = window;
            h.await("second window", () -> s.receivedBytes() == 2L * window);
            h.run(100);
            assertEquals(2L * window, s.receivedBytes(), "exactly one more window");
            s.consumed = s.receivedBytes();
            s.autoCredit = true;
            h.await("everything", () -> s.peerShutdown);
            assertArrayEquals(data, s.received.toByteArray());
            assertEquals(0, s.creditOverruns, "never past the credit");
            h.offer("CLOSE", () -> h.host.empty(TYPE_SOCKET_CLOSE, 1));
            h.await("peer done", peer::isDone);
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void dataPastCreditIsResetWithEproto(final ProxyHarness.Mode mode) throws Exception
    {
        final int window = ProxyConfig.MIN_SEND_WINDOW;
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback("{\"sendWindow\": " + window + "}")))
        {
            final CompletableFuture<IOException> peer = CompletableFuture.supplyAsync(() ->
            {
                try (Socket s = server.accept())
                {
                    s.getInputStream().readAllBytes();
                    return null;
                }
                catch (final IOException ex)
                {
                    return ex;
                }
            });
            h.up();
            final AppHost.Socket s = h.connected(1, address(server), WINDOW);
            assertTrue(h.app.maxMessageLength() > window, "one message can exceed the window");
            h.offer("DATA past the window", () -> h.host.raw(TYPE_SOCKET_DATA, 1, new byte[window + 1]));
            h.await("RESET", () -> s.resetErrno >= 0);
            assertEquals(EPROTO, s.resetErrno);
            assertEquals(1, h.counters.get("errors-eproto"));
            h.await("peer sees the reset", peer::isDone);
            assertTrue(peer.get() instanceof SocketException, "the peer got an RST, not a clean end: " + peer.get());
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void linkDownAbortsEverySocketOfTheLink(final ProxyHarness.Mode mode) throws Exception
    {
        final int sockets = 3;
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            @SuppressWarnings("unchecked")
            final CompletableFuture<IOException>[] peers = new CompletableFuture[sockets];
            for (int i = 0; i < sockets; i++)
            {
                peers[i] = CompletableFuture.supplyAsync(() ->
                {
                    try (Socket s = server.accept())
                    {
                        s.getInputStream().readAllBytes();
                        return null;
                    }
                    catch (final IOException ex)
                    {
                        return ex;
                    }
                });
            }
            h.up();
            for (int id = 1; id <= sockets; id++)
            {
                h.connected(id, address(server), WINDOW);
            }
            h.offer("LISTEN", () -> h.host.listen(sockets + 1,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), WINDOW));
            h.await("LISTEN_RESULT", () -> h.host.socket(sockets + 1).listenErrno == 0);
            final InetSocketAddress listening = h.host.socket(sockets + 1).bound;
            h.app.close();
            h.await("proxy sees the link down", () -> !h.sessionUp());
            h.run(20);
            assertEquals(0, h.connections());
            assertEquals(0, h.listeners());
            assertEquals(sockets + 1, h.counters.get("link-down-aborts"));
            assertEquals(0, h.counters.get("links-up"));
            assertTrue(h.events.stream().anyMatch(e -> e.startsWith("link-down ") && e.contains("reason=")),
                h.events.toString());
            for (final CompletableFuture<IOException> peer : peers)
            {
                final IOException ex = peer.get(PEER_WAIT_S, TimeUnit.SECONDS);
                assertTrue(ex instanceof SocketException && ex.getMessage().contains("reset"),
                    "the peer got an RST: " + ex);
            }
            assertThrows(IOException.class, () -> new Socket(listening.getAddress(), listening.getPort()).close(),
                "the listener is closed");
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void setOptionAppliesAndReportsTheKernelsValue(final ProxyHarness.Mode mode) throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            h.up();
            final AppHost.Socket s = h.connected(1, address(server), WINDOW);
            h.offer("TCP_NODELAY", () -> h.host.setOption(1, OPTION_TCP_NODELAY, 1));
            h.await("OPTION_RESULT", () -> s.optionErrno >= 0);
            assertEquals(0, s.optionErrno);
            assertEquals(1, s.optionValue);
            s.optionErrno = -1;
            final int size = 64 * 1024;
            h.offer("SO_RCVBUF", () -> h.host.setOption(1, OPTION_SO_RCVBUF, size));
            h.await("OPTION_RESULT", () -> s.optionErrno >= 0);
            assertEquals(0, s.optionErrno);
            assertTrue(s.optionValue >= size, "the kernel's value (Linux doubles it): " + s.optionValue);
            s.optionErrno = -1;
            h.offer("bad option", () -> h.host.setOption(1, 99, 1));
            h.await("OPTION_RESULT", () -> s.optionErrno >= 0);
            assertEquals(EINVAL, s.optionErrno);
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void stopClosesConnectionsWithFinAndTellsTheApp(final ProxyHarness.Mode mode) throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            final CompletableFuture<Integer> peer = CompletableFuture.supplyAsync(() ->
            {
                try (Socket s = server.accept())
                {
                    return s.getInputStream().read();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            h.up();
            final AppHost.Socket s = h.connected(1, address(server), WINDOW);
            h.stopProxy();
            assertEquals(-1, peer.get(PEER_WAIT_S, TimeUnit.SECONDS), "the peer read end-of-stream (FIN)");
            h.await("the app heard", () -> s.resetErrno >= 0 && !h.host.linkDowns.isEmpty());
            assertEquals(ECONNABORTED, s.resetErrno);
            assertTrue(h.host.linkDowns.get(0).contains("shut the link down"), h.host.linkDowns.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void closeWritesPendingBytesThenFin(final ProxyHarness.Mode mode) throws Exception
    {
        final byte[] data = pattern(2 << 20, 8);
        final int smallBuffer = 4096;
        try (ServerSocket server = new ServerSocket();
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            // Small buffers on both sides, so the kernel soon refuses and the proxy must hold bytes itself.
            server.setReceiveBufferSize(smallBuffer);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
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
            });
            h.up();
            h.offer("CONNECT", () -> h.host.connect(1, address(server), WINDOW, 0, smallBuffer));
            final AppHost.Socket s = h.host.socket(1);
            h.await("CONNECT_RESULT", () -> 0 == s.connectErrno);
            h.host.send(1, data, false);
            // The peer does not read yet: the kernel fills and the proxy holds the rest in the pending buffer.
            h.await("a pending buffer", () -> h.counters.get("pending-buffers") == 1);
            h.await("credit exhausted", () -> s.sent == s.sendLimit && s.sent < data.length);
            final Socket peer = accepted.get(PEER_WAIT_S, TimeUnit.SECONDS);
            final CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    return peer.getInputStream().readAllBytes();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            h.await("all sent", () -> s.sent == data.length);
            h.offer("CLOSE", () -> h.host.empty(TYPE_SOCKET_CLOSE, 1));
            h.await("peer read to FIN", got::isDone);
            peer.close();
            assertTrue(Arrays.equals(data, got.get()), "every byte, pending ones included, before the FIN");
            h.await("freed", () -> 0 == h.connections());
            assertEquals(0, h.counters.get("pending-buffers"), "pending buffer freed");
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void stopWithBytesTheKernelDoesNotTakeResetsThePeerInsteadOfFin(final ProxyHarness.Mode mode) throws Exception
    {
        final byte[] data = pattern(2 << 20, 9);
        final int smallBuffer = 4096;
        try (ServerSocket server = new ServerSocket();
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            server.setReceiveBufferSize(smallBuffer);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
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
            });
            h.up();
            h.offer("CONNECT", () -> h.host.connect(1, address(server), WINDOW, 0, smallBuffer));
            final AppHost.Socket s = h.host.socket(1);
            h.await("CONNECT_RESULT", () -> 0 == s.connectErrno);
            h.host.send(1, data, false);
            // The peer does not read: the kernel fills and the proxy holds the rest; then the proxy is stopped.
            h.await("a pending buffer", () -> h.counters.get("pending-buffers") == 1);
            h.await("credit exhausted", () -> s.sent == s.sendLimit && s.sent < data.length);
            h.stopProxy();
            try (Socket peer = accepted.get(PEER_WAIT_S, TimeUnit.SECONDS))
            {
                // Before the fix the peer read a FIN after fewer bytes than were sent: a clean end of a cut stream.
                final SocketException cut = assertThrows(SocketException.class,
                    () -> peer.getInputStream().readAllBytes(), "the peer learns the stream was cut (RST), no FIN");
                assertTrue(cut.getMessage().contains("reset"), cut.getMessage());
            }
            assertEquals(1, h.counters.get("stop-resets"));
            assertEquals(0, h.counters.get("pending-buffers"), "pending buffer freed");
            h.await("the app heard", () -> s.resetErrno >= 0);
            assertEquals(ECONNABORTED, s.resetErrno);
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void internalErrorTellsTheAppWhyAndResetsThePeer(final ProxyHarness.Mode mode) throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
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
            });
            h.up();
            final AppHost.Socket s = h.connected(1, address(server), WINDOW);
            h.session().injectFault(TYPE_SOCKET_DATA, new IllegalStateException("a bug in the DATA handler"));
            h.host.send(1, pattern(1000, 10), false);
            // Before the fix the app heard nothing: a reader without a timeout would wait forever.
            h.await("RESET at the app", () -> s.resetErrno >= 0);
            assertEquals(ECONNABORTED, s.resetErrno);
            final AppHost.Error why = h.host.errors.stream().filter(e -> 1 == e.id()).findFirst().orElseThrow();
            assertEquals(ECONNABORTED, why.errno());
            assertEquals(TYPE_SOCKET_DATA, why.type());
            assertTrue(why.text().contains("a bug in the DATA handler"), why.text());
            assertEquals(1, h.counters.get("internal-errors"));
            assertEquals(0, h.connections());
            try (Socket peer = accepted.get(PEER_WAIT_S, TimeUnit.SECONDS))
            {
                assertThrows(SocketException.class, () -> peer.getInputStream().readAllBytes(), "RST to the peer");
            }
            // The app's messages for the id still in flight are dropped quietly (a tombstone), not EBADF.
            h.offer("CLOSE", () -> h.host.empty(TYPE_SOCKET_CLOSE, 1));
            h.run(50);
            assertEquals(0, h.counters.get("errors-ebadf"));
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyHarness.Mode.class)
    void aCreditBehindTheAppsCloseIsDroppedAndCountedNotAnError(final ProxyHarness.Mode mode) throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            ProxyHarness h = new ProxyHarness(mode, ProxyHarness.loopback(null)))
        {
            h.up();
            h.connected(1, address(server), WINDOW);
            // What connectsAndCarriesMegabytesBothWaysByteExact's app did now and then: the CREDIT still due from
            // the last DATA left after its CLOSE. Before the fix it drew ERROR EBADF "no socket 1 on this link".
            h.offer("CLOSE then CREDIT", () -> h.host.empty(TYPE_SOCKET_CLOSE, 1));
            h.offer("CREDIT after CLOSE", () -> h.host.credit(1, 100_000, WINDOW));
            h.await("the late CREDIT counted", () -> 1 == h.counters.get("late-credits"));
            h.await("socket freed", () -> 0 == h.connections());
            // Anything else after CLOSE is still an error: it could be data the app thinks was sent.
            h.offer("DATA after CLOSE", () -> h.host.raw(TYPE_SOCKET_DATA, 1, new byte[10]));
            h.await("EBADF for DATA after CLOSE at the app", () -> !h.host.errors.isEmpty());
            assertEquals(1, h.counters.get("errors-ebadf"));
            assertEquals(1, h.host.errors.size(), "only the DATA drew an error: " + h.host.errors);
            assertEquals(TYPE_SOCKET_DATA, h.host.errors.get(0).type());
        }
    }
}
