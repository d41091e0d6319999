package io.xts.sockets;

import io.xts.protocol.SocketMessages;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_LISTEN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_RESET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link XtsServerSocket} against the fake proxy: listen, accept of connections the proxy announces, data on an
 * accepted socket, backlog overflow, accept timeout, non-blocking accept, listen errors, close.
 */
class XtsServerSocketTest extends StackFixture
{
    private static final InetSocketAddress ANY = new InetSocketAddress("0.0.0.0", 0);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("198.18.0.2", 51000);

    @Test
    void acceptsWhatTheProxyAcceptedAndCarriesDataBothWays() throws Exception
    {
        final XtsServerSocket server = stack.listen(ANY, 4);
        assertEquals(45678, server.getLocalAddress().getPort(), "the port the proxy bound");
        final int listenerId = server.id();
        final int id = proxy.call(p -> p.accept(listenerId, CLIENT));
        final XtsSocket socket = server.accept();
        assertEquals(id, socket.id());
        assertTrue(socket.isConnected());
        assertEquals(CLIENT, socket.getRemoteAddress());
        assertEquals(FakeProxy.PROXY_LOCAL, socket.getLocalAddress());

        final byte[] request = randomBytes(RECEIVE_WINDOW - 100, 11);
        proxy.run(p -> p.sendData(id, request));
        assertArrayEquals(request, readFully(socket, request.length));
        // Written on the accepted socket, echoed by the fake: the window from ACCEPTED and LISTEN is honoured.
        final byte[] reply = randomBytes(40_000, 12);
        final var writer = CompletableFuture.runAsync(() ->
        {
            try
            {
                socket.write(ByteBuffer.wrap(reply));
            }
            catch (final IOException ex)
            {
                throw new RuntimeException(ex);
            }
        });
        assertArrayEquals(reply, readFully(socket, reply.length));
        writer.get(30, TimeUnit.SECONDS);
        assertEquals(0L, (long)proxy.<Long>call(p -> p.creditViolations));
        assertEquals(1, stack.counters().accepted());
    }

    @Test
    void connectionsBeyondTheBacklogAreResetAndCounted() throws Exception
    {
        final XtsServerSocket server = stack.listen(ANY, 2);
        final int listenerId = server.id();
        final int first = proxy.call(p -> p.accept(listenerId, CLIENT));
        final int second = proxy.call(p -> p.accept(listenerId, CLIENT));
        final int third = proxy.call(p -> p.accept(listenerId, CLIENT));
        final long deadline = System.nanoTime() + PROMPT.toNanos();
        while (!proxy.messagesFor(third).contains(TYPE_SOCKET_RESET) && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        assertTrue(proxy.messagesFor(third).contains(TYPE_SOCKET_RESET), "the third connection is reset");
        assertEquals(1, stack.counters().acceptOverflows());
        assertEquals(first, server.accept().id());
        assertEquals(second, server.accept().id());
    }

    @Test
    void acceptTimesOutAndNonBlockingAcceptReturnsNull() throws Exception
    {
        final XtsServerSocket server = stack.listen(ANY, 4);
        final SocketTimeoutException ex = assertThrows(SocketTimeoutException.class,
            () -> server.accept(Duration.ofMillis(100)));
        assertEquals("Accept timed out", ex.getMessage());
        server.configureBlocking(false);
        assertNull(server.accept());
    }

    @Test
    void listenErrorsBecomeBindOrPolicyExceptions()
    {
        proxy.run(p ->
        {
            p.errnoByPort.put(80, SocketMessages.EADDRINUSE);
            p.errnoByPort.put(81, SocketMessages.EACCES);
        });
        final BindException inUse = assertThrows(BindException.class,
            () -> stack.listen(new InetSocketAddress("0.0.0.0", 80), 1));
        assertTrue(inUse.getMessage().startsWith("Address already in use") &&
            inUse.getMessage().contains("EADDRINUSE"), inUse.getMessage());
        final XtsPolicyException refused = assertThrows(XtsPolicyException.class,
            () -> stack.listen(new InetSocketAddress("0.0.0.0", 81), 1));
        assertEquals(SocketMessages.EACCES, refused.errno());
    }

    @Test
    void closeSendsCloseAndResetsConnectionsNeverAccepted() throws Exception
    {
        final XtsServerSocket server = stack.listen(ANY, 4);
        final int listenerId = server.id();
        final int pending = proxy.call(p -> p.accept(listenerId, CLIENT));
        final long deadline = System.nanoTime() + PROMPT.toNanos();
        while (0 == stack.counters().accepted() && System.nanoTime() < deadline)
        {
            Thread.sleep(1);
        }
        server.close();
        while ((!proxy.messagesFor(pending).contains(TYPE_SOCKET_RESET) ||
            !proxy.messagesFor(listenerId).contains(TYPE_SOCKET_CLOSE)) && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        assertEquals(List.of(TYPE_SOCKET_LISTEN, TYPE_SOCKET_CLOSE), proxy.messagesFor(listenerId));
        assertTrue(proxy.messagesFor(pending).contains(TYPE_SOCKET_RESET));
        assertThrows(ClosedChannelException.class, server::accept);
    }
}
