package io.xts.sockets;

import io.xts.link.LockedTransport;
import io.xts.link.LinkConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link XtsStack} as a whole: a dead proxy fails blocked and later calls promptly, the app-driven mode without a
 * poller thread, closing the stack, the environment builder, and a link that never comes up.
 */
class XtsStackTest extends StackFixture
{
    @Test
    void deadProxyWakesABlockedReaderAndFailsLaterCallsWithLinkDown() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final CompletableFuture<Throwable> reader = blockedRead(socket);
        proxy.goSilent();
        // The link's dead-peer timeout is 500 ms; the bound only guards against a hang.
        final Throwable ex = reader.get(PROMPT.toSeconds(), TimeUnit.SECONDS);
        assertInstanceOf(SocketException.class, ex);
        assertTrue(ex.getMessage().startsWith("XTS link down: peer dead"), ex.getMessage());
        assertFalse(stack.isLinkUp());
        assertTrue(stack.linkFailure().contains("peer dead"));
        final SocketException onWrite = assertThrows(SocketException.class,
            () -> socket.write(ByteBuffer.wrap(new byte[1])));
        assertTrue(onWrite.getMessage().startsWith("XTS link down"), onWrite.getMessage());
        final SocketException onConnect = assertThrows(SocketException.class, () -> stack.connect(PEER, PROMPT));
        assertTrue(onConnect.getMessage().startsWith("XTS link down"), onConnect.getMessage());
        socket.close();
    }

    @Test
    void withoutAPollerThreadBlockingCallsDriveTheLinkThemselves() throws Exception
    {
        stack.close();
        stack = null;
        stopStack();
        startFresh();
        try (XtsStack manual = builder().ownPoller(false).build())
        {
            final XtsSocket socket = manual.connect(PEER, PROMPT);
            final byte[] sent = randomBytes(10_000, 21);
            socket.write(ByteBuffer.wrap(sent));
            assertArrayEquals(sent, readFully(socket, sent.length));
            assertTrue(manual.poll() >= 0);
            socket.close();
        }
    }

    @Test
    void closeClosesEverySocketAndLaterCallsFail() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final XtsServerSocket server = stack.listen(new InetSocketAddress("0.0.0.0", 0), 1);
        final XtsSocket unconnected = stack.openSocket();
        stack.close();
        assertFalse(socket.isOpen());
        assertFalse(server.isOpen());
        assertThrows(ClosedChannelException.class, () -> socket.read(ByteBuffer.allocate(1)));
        final SocketException ex = assertThrows(SocketException.class, () -> unconnected.connect(PEER, PROMPT));
        assertEquals("XTS stack closed", ex.getMessage());
        stack.close();
    }

    @Test
    void environmentNamesTheInterfaceAndAMissingOneIsAClearError()
    {
        final IllegalStateException missing = assertThrows(IllegalStateException.class,
            () -> XtsStack.fromEnvironment(Map.of()));
        assertTrue(missing.getMessage().contains("XTS_IFACE"), missing.getMessage());
        final IllegalStateException badQueue = assertThrows(IllegalStateException.class,
            () -> XtsStack.fromEnvironment(Map.of("XTS_IFACE", "xts0", "XTS_QUEUE", "x")));
        assertTrue(badQueue.getMessage().contains("XTS_QUEUE"), badQueue.getMessage());
        XtsStack.fromEnvironment(Map.of("XTS_IFACE", "xts0", "XTS_QUEUE", "3"));
        assertThrows(IllegalArgumentException.class, () -> XtsStack.builder().receiveWindow(0));
        assertThrows(IllegalArgumentException.class, () -> XtsStack.builder().ring(1000));
    }

    @Test
    void aLinkThatDoesNotComeUpFailsBuildWithWhereAndWhy() throws Exception
    {
        proxy.goSilent();
        final var lonely = LockedTransport.pair();
        try
        {
            final IOException ex = assertThrows(IOException.class, () -> XtsStack.builder().transport(lonely[0])
                .linkConfig(LinkConfig.defaults()).linkTimeout(Duration.ofMillis(200)).build());
            assertTrue(ex.getMessage().contains("not up after 200 ms"), ex.getMessage());
        }
        finally
        {
            lonely[0].close();
            lonely[1].close();
        }
    }

    private void startFresh() throws IOException
    {
        pair = LockedTransport.pair();
        proxy = new FakeProxy(pair[1]);
    }
}
