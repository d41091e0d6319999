package io.xts.proxy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.channels.SocketChannel;

import static io.xts.protocol.SocketMessages.EADDRINUSE;
import static io.xts.protocol.SocketMessages.EADDRNOTAVAIL;
import static io.xts.protocol.SocketMessages.ECONNREFUSED;
import static io.xts.protocol.SocketMessages.ECONNRESET;
import static io.xts.protocol.SocketMessages.EHOSTUNREACH;
import static io.xts.protocol.SocketMessages.ENETUNREACH;
import static io.xts.protocol.SocketMessages.EPIPE;
import static io.xts.protocol.SocketMessages.ETIMEDOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The errno the app host is told for each way the JDK reports a socket failure, including the exceptions a real
 * kernel socket throws on loopback.
 */
class ErrnoTest
{
    @Test
    void exceptionTypesAndMessagesMapToTheKernelsErrno()
    {
        assertEquals(ECONNREFUSED, Errno.of(new ConnectException("Connection refused"), 0));
        assertEquals(ECONNREFUSED, Errno.of(new ConnectException(), 0), "the type alone says refused");
        assertEquals(EHOSTUNREACH, Errno.of(new NoRouteToHostException("No route to host"), 0));
        assertEquals(ENETUNREACH, Errno.of(new SocketException("Network is unreachable"), 0));
        assertEquals(ENETUNREACH, Errno.of(new ConnectException("Network is unreachable"), 0),
            "the message wins over the type");
        assertEquals(ETIMEDOUT, Errno.of(new ConnectException("Connection timed out"), 0));
        assertEquals(ECONNRESET, Errno.of(new SocketException("Connection reset by peer"), 0));
        assertEquals(EPIPE, Errno.of(new IOException("Broken pipe"), 0));
        assertEquals(EADDRINUSE, Errno.of(new BindException("Address already in use"), 0));
        assertEquals(EADDRNOTAVAIL, Errno.of(new BindException("Cannot assign requested address"), 0));
        assertEquals(ECONNRESET, Errno.ofStream(new IOException("something new")), "stream fallback");
    }

    @Test
    void aRealRefusedConnectAndARealBindConflictMap() throws Exception
    {
        final InetSocketAddress closed;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            closed = new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
            final IOException inUse = assertThrows(IOException.class,
                () -> new ServerSocket(server.getLocalPort(), 1, server.getInetAddress()).close());
            assertEquals(EADDRINUSE, Errno.of(inUse, 0));
        }
        final IOException refused = assertThrows(IOException.class, () ->
        {
            try (SocketChannel channel = SocketChannel.open(closed))
            {
                channel.isConnected();
            }
        });
        assertEquals(ECONNREFUSED, Errno.of(refused, 0));
    }
}
