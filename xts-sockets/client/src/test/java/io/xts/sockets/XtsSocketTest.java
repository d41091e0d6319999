package io.xts.sockets;

import io.xts.protocol.SocketMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_DATA;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_RESET;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SET_OPTION;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SHUTDOWN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link XtsSocket} against the fake proxy: connect, data both ways through small windows, errno mapping, EOF,
 * reset, shutdown, close and abort, read timeout, options, streams, and a proxy that breaks the credit.
 */
class XtsSocketTest extends StackFixture
{
    @Test
    void echoesDataMuchLargerThanBothWindowsByteExactWithinCredit() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        assertTrue(socket.isConnected());
        assertEquals(PEER, socket.getRemoteAddress());
        assertEquals(FakeProxy.PROXY_LOCAL, socket.getLocalAddress());
        final byte[] sent = randomBytes(1 << 20, 1);
        // The writer blocks on the proxy's 16 KiB credit; the proxy can echo only as we read (8 KiB window).
        final CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return socket.write(ByteBuffer.wrap(sent));
            }
            catch (final IOException ex)
            {
                throw new RuntimeException(ex);
            }
        });
        final byte[] echoed = readFully(socket, sent.length);
        assertEquals(sent.length, writer.get(30, TimeUnit.SECONDS));
        assertArrayEquals(sent, echoed);
        final int id = socket.id();
        assertEquals(0L, (long)proxy.<Long>call(p -> p.creditViolations), "the app sent DATA past the proxy's credit");
        assertEquals((long)sent.length, (long)proxy.<Long>call(p -> p.connections.get(id).receivedFromApp));
        assertTrue(proxy.<Long>call(p -> p.creditsSent) > 0, "the proxy's credit was needed and used");
        assertTrue(stack.counters().creditsSent() > 0, "the app returned credit as it read");
        assertEquals(0, stack.counters().protocolErrors());
        assertEquals(sent.length, stack.counters().bytesWritten());
        assertEquals(sent.length, stack.counters().bytesRead());
        socket.close();
    }

    @Test
    void gatheringWriteAndScatteringReadKeepOrder() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final byte[] a = randomBytes(3000, 2);
        final byte[] b = randomBytes(7000, 3);
        assertEquals(10_000L, socket.write(new ByteBuffer[] {ByteBuffer.wrap(a), ByteBuffer.wrap(b)}));
        final ByteBuffer first = ByteBuffer.allocate(5000);
        final ByteBuffer second = ByteBuffer.allocateDirect(5000);
        long total = 0;
        while (total < 10_000)
        {
            total += socket.read(new ByteBuffer[] {first, second});
        }
        final byte[] got = new byte[10_000];
        System.arraycopy(first.array(), 0, got, 0, 5000);
        second.flip().get(got, 5000, 5000);
        final byte[] want = new byte[10_000];
        System.arraycopy(a, 0, want, 0, 3000);
        System.arraycopy(b, 0, want, 3000, 7000);
        assertArrayEquals(want, got);
    }

    static Stream<Arguments> connectErrnos()
    {
        return Stream.of(
            Arguments.of(SocketMessages.ECONNREFUSED, ConnectException.class, "Connection refused"),
            Arguments.of(SocketMessages.ETIMEDOUT, SocketTimeoutException.class, "Connect timed out"),
            Arguments.of(SocketMessages.EHOSTUNREACH, NoRouteToHostException.class, "No route to host"),
            Arguments.of(SocketMessages.ENETUNREACH, ConnectException.class, "Network is unreachable"),
            Arguments.of(SocketMessages.EACCES, XtsPolicyException.class, "refused by the proxy's allow-list"),
            Arguments.of(SocketMessages.EPERM, XtsPolicyException.class, "refused by the proxy's allow-list"),
            Arguments.of(SocketMessages.EMFILE, SocketException.class, "limit on sockets"),
            Arguments.of(SocketMessages.ENOBUFS, SocketException.class, "limit on bytes in flight"),
            Arguments.of(SocketMessages.ECONNRESET, SocketException.class, "Connection reset"));
    }

    @ParameterizedTest
    @MethodSource("connectErrnos")
    void connectFailureBecomesTheExpectedJavaNetException(
        final int errno, final Class<? extends IOException> type, final String text)
    {
        final int port = 1000 + errno;
        proxy.run(p -> p.errnoByPort.put(port, errno));
        final XtsSocket socket = stack.openSocket();
        final IOException ex = assertThrows(IOException.class,
            () -> socket.connect(new InetSocketAddress("198.18.0.2", port), PROMPT));
        assertEquals(type, ex.getClass(), ex.toString());
        assertTrue(ex.getMessage().contains(text), ex.getMessage());
        final String errnoName = SocketMessages.describe(errno).split(" ")[0];
        assertTrue(ex.getMessage().contains(errnoName + " ") && ex.getMessage().contains("from proxy"),
            ex.getMessage());
        assertFalse(socket.isOpen(), "a failed connect closes the socket");
        assertEquals(1, stack.counters().connectFailures());
    }

    @Test
    void ourConnectTimeoutAbortsTheConnectOnTheProxy() throws Exception
    {
        final XtsSocket socket = stack.openSocket();
        final SocketTimeoutException ex = assertThrows(SocketTimeoutException.class,
            () -> socket.connect(new InetSocketAddress("198.18.0.2", FakeProxy.SILENT_PORT), Duration.ofMillis(200)));
        assertTrue(ex.getMessage().startsWith("Connect timed out"), ex.getMessage());
        assertFalse(socket.isOpen());
        final int id = 1;
        awaitMessages(id, List.of(TYPE_SOCKET_CONNECT, TYPE_SOCKET_RESET));
    }

    @Test
    void peerFinIsEndOfStreamAfterTheBufferedBytes() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        final byte[] bytes = randomBytes(1000, 4);
        proxy.run(p ->
        {
            p.sendData(id, bytes);
            p.sendShutdown(id);
        });
        assertArrayEquals(bytes, readFully(socket, 2000));
        assertEquals(-1, socket.read(ByteBuffer.allocate(10)));
        assertTrue(socket.isInputShutdown());
        // Half-close: writing still works.
        assertEquals(5, socket.write(ByteBuffer.wrap(new byte[5])));
    }

    @Test
    void resetFromTheProxyFailsReadsAndWritesWithConnectionReset() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        final CompletableFuture<Throwable> reader = blockedRead(socket);
        proxy.run(p -> p.sendReset(id, SocketMessages.ECONNRESET));
        final Throwable ex = reader.get(PROMPT.toSeconds(), TimeUnit.SECONDS);
        assertInstanceOf(SocketException.class, ex);
        assertTrue(ex.getMessage().startsWith("Connection reset") && ex.getMessage().contains("ECONNRESET"),
            ex.getMessage());
        final SocketException onWrite = assertThrows(SocketException.class,
            () -> socket.write(ByteBuffer.wrap(new byte[10])));
        assertTrue(onWrite.getMessage().startsWith("Connection reset"), onWrite.getMessage());
        socket.close();
        assertFalse(proxy.messagesFor(id).contains(TYPE_SOCKET_CLOSE), "the proxy freed the id with its RESET");
    }

    @Test
    void shutdownOutputSendsShutdownAfterTheDataThenCloseSendsClose() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        proxy.run(p -> p.connections.get(id).echo = false);
        socket.write(ByteBuffer.wrap(randomBytes(100, 5)));
        socket.shutdownOutput();
        assertTrue(socket.isOutputShutdown());
        assertThrows(ClosedChannelException.class, () -> socket.write(ByteBuffer.wrap(new byte[1])));
        awaitMessages(id, List.of(TYPE_SOCKET_CONNECT, TYPE_SOCKET_DATA, TYPE_SOCKET_SHUTDOWN));
        socket.close();
        awaitMessages(id, List.of(TYPE_SOCKET_CONNECT, TYPE_SOCKET_DATA, TYPE_SOCKET_SHUTDOWN, TYPE_SOCKET_CLOSE));
        assertThrows(ClosedChannelException.class, () -> socket.read(ByteBuffer.allocate(1)));
        assertFalse(socket.isOpen());
    }

    @Test
    void abortSendsReset() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        socket.abort();
        awaitMessages(id, List.of(TYPE_SOCKET_CONNECT, TYPE_SOCKET_RESET));
        assertThrows(ClosedChannelException.class, () -> socket.write(ByteBuffer.allocate(1)));
    }

    @Test
    void closeWakesABlockedReaderWithAsynchronousClose() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final CompletableFuture<Throwable> reader = blockedRead(socket);
        socket.close();
        assertInstanceOf(AsynchronousCloseException.class,
            reader.get(PROMPT.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void soTimeoutEndsABlockingReadWithReadTimedOut() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        socket.setSoTimeout(200);
        final long start = System.nanoTime();
        final SocketTimeoutException ex = assertThrows(SocketTimeoutException.class,
            () -> socket.read(ByteBuffer.allocate(10)));
        assertEquals("Read timed out", ex.getMessage());
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(150), "waited the timeout");
        // The socket is still usable.
        socket.write(ByteBuffer.wrap(new byte[] {42}));
        assertArrayEquals(new byte[] {42}, readFully(socket, 1));
    }

    @Test
    void nonBlockingReadReturnsZeroAndWriteStopsAtTheCredit() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        proxy.run(p ->
        {
            p.connections.get(id).echo = false;
            p.connections.get(id).holdCredit = true;
        });
        socket.configureBlocking(false);
        assertFalse(socket.isBlocking());
        assertEquals(0, socket.read(ByteBuffer.allocate(10)));
        final ByteBuffer big = ByteBuffer.wrap(randomBytes(100_000, 6));
        assertEquals(16 * 1024, socket.write(big), "exactly the proxy's send window");
        assertEquals(0, socket.write(big));
        assertEquals(0L, (long)proxy.<Long>call(p -> p.creditViolations));
    }

    @Test
    void optionsBeforeConnectRideInConnectAndAfterwardsUseSetOption() throws Exception
    {
        final XtsSocket socket = stack.openSocket();
        socket.setOption(StandardSocketOptions.TCP_NODELAY, true)
            .setOption(StandardSocketOptions.SO_KEEPALIVE, true)
            .setOption(StandardSocketOptions.SO_RCVBUF, 65536);
        socket.connect(PEER, PROMPT);
        final int id = socket.id();
        assertEquals(SocketMessages.FLAG_TCP_NODELAY | SocketMessages.FLAG_SO_KEEPALIVE,
            (int)proxy.<Integer>call(p -> p.connections.get(id).connectFlags));
        assertEquals(65536L, (long)proxy.<Long>call(p -> p.connections.get(id).connectRcvBuf));
        assertTrue(socket.getOption(StandardSocketOptions.TCP_NODELAY));

        socket.setOption(StandardSocketOptions.SO_RCVBUF, 100_000);
        // The value in effect as the kernel reports it (the fake doubles SO_RCVBUF, as Linux does).
        assertEquals(200_000, socket.getOption(StandardSocketOptions.SO_RCVBUF));
        assertTrue(proxy.messagesFor(id).contains(TYPE_SOCKET_SET_OPTION));

        proxy.run(p -> p.optionErrno = SocketMessages.EINVAL);
        final SocketException ex = assertThrows(SocketException.class,
            () -> socket.setOption(StandardSocketOptions.SO_SNDBUF, 5));
        assertTrue(ex.getMessage().contains("EINVAL"), ex.getMessage());
        assertThrows(UnsupportedOperationException.class,
            () -> socket.setOption(StandardSocketOptions.IP_TOS, 1));
        assertThrows(IllegalArgumentException.class, () -> socket.setOption(StandardSocketOptions.SO_SNDBUF, -1));
    }

    @Test
    void streamsReadAndWriteAndReportClosedAsSocketClosed() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        final OutputStream out = socket.getOutputStream();
        final InputStream in = socket.getInputStream();
        final byte[] sent = randomBytes(50_000, 7);
        final CompletableFuture<Void> writer = CompletableFuture.runAsync(() ->
        {
            try
            {
                out.write(sent);
                out.write(0x7F);
            }
            catch (final IOException ex)
            {
                throw new RuntimeException(ex);
            }
        });
        final byte[] got = in.readNBytes(sent.length);
        assertArrayEquals(sent, got);
        assertEquals(0x7F, in.read());
        writer.get(30, TimeUnit.SECONDS);

        proxy.run(p -> p.sendShutdown(id));
        assertEquals(-1, in.read());
        in.close();
        assertFalse(socket.isOpen(), "closing a stream closes the socket");
        final SocketException ex = assertThrows(SocketException.class, () -> out.write(1));
        assertEquals("Socket closed", ex.getMessage());
        assertEquals("Socket closed", assertThrows(SocketException.class, in::read).getMessage());
    }

    @Test
    void dataPastTheCreditIsAProtocolErrorThatResetsOnlyThatSocket() throws Exception
    {
        final XtsSocket bad = stack.connect(PEER, PROMPT);
        final XtsSocket good = stack.connect(PEER, PROMPT);
        final int id = bad.id();
        proxy.run(p ->
        {
            // Two full windows at once: the second is past the app's credit.
            p.sendData(id, new byte[RECEIVE_WINDOW]);
            p.sendData(id, new byte[RECEIVE_WINDOW]);
        });
        assertEquals(RECEIVE_WINDOW, readFully(bad, RECEIVE_WINDOW).length, "bytes within the credit are kept");
        final SocketException ex = assertThrows(SocketException.class, () -> bad.read(ByteBuffer.allocate(1)));
        assertTrue(ex.getMessage().contains("past the credit"), ex.getMessage());
        awaitMessages(id, List.of(TYPE_SOCKET_CONNECT, TYPE_SOCKET_RESET));
        assertEquals(1, stack.counters().protocolErrors());
        good.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertArrayEquals(new byte[] {1, 2, 3}, readFully(good, 3));
    }

    @Test
    void socketIdsCountUpFromOne() throws Exception
    {
        assertEquals(0, stack.openSocket().id(), "no id before connect");
        assertEquals(1, stack.connect(PEER, PROMPT).id());
        assertEquals(2, stack.connect(PEER, PROMPT).id());
    }

    /** Wait until the proxy has seen exactly these message types for the id, in this order. */
    void awaitMessages(final int id, final List<Integer> expected) throws InterruptedException
    {
        final long deadline = System.nanoTime() + PROMPT.toNanos();
        List<Integer> seen = proxy.messagesFor(id);
        while (!dedupData(seen).equals(expected) && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
            seen = proxy.messagesFor(id);
        }
        assertEquals(expected, dedupData(seen), "messages the proxy saw for socket " + id);
    }

    /** Runs of DATA collapse to one, so the expected list can say "some DATA". */
    private static List<Integer> dedupData(final List<Integer> seen)
    {
        final ArrayList<Integer> out = new ArrayList<>();
        for (final Integer type : seen)
        {
            if (type == TYPE_SOCKET_DATA && !out.isEmpty() && out.getLast() == TYPE_SOCKET_DATA)
            {
                continue;
            }
            out.add(type);
        }
        return out;
    }
}
