package io.xts.sockets.nio;

import io.xts.sockets.XtsStack;
import io.xts.test.ChildProcess;
import io.xts.test.Privileged;
import io.xts.test.TestNetwork;
import io.xts.xsk.NetworkNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The XTS SelectorProvider over the real link, in the test topology: the stack opened in the app namespace, the
 * proxy in its own, and in the peer namespace a JDK echo server (bytes back until EOF, then FIN) and a python one
 * for the server side. It checks the selector contract (OP_CONNECT, OP_READ, OP_WRITE, OP_ACCEPT readiness; wakeup
 * before and during a select; cancel, then blocking mode and re-registration; close while selecting), blocking
 * channels and their exceptions, half-close, 200 channels on one selector, and XTS, JDK (loopback) TCP and a JDK
 * DatagramChannel served by one select loop. Needs root; see {@link Privileged}.
 */
@Tag("privileged")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class XtsSelectorProviderSystemTest
{
    private static final Path LOGS = Path.of("target", "nio-provider-system-test").toAbsolutePath();
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final int ECHO_PORT = 9100;
    private static final int CLOSED_PORT = 9101;

    private static TestNetwork net;
    private static ChildProcess proxy;
    private static ServerSocketChannel echo;
    private static XtsStack stack;
    private static XtsSelectorProvider provider;
    private static InetSocketAddress echoAddress;

    @BeforeAll
    static void start() throws Exception
    {
        Privileged.require("the XTS SelectorProvider system test");
        net = TestNetwork.create("--mtu", "3506", "--peer");
        Files.createDirectories(LOGS);
        final Path config = LOGS.resolve("proxy.json");
        Files.writeString(config, """
            {"allow": {"connect": [{"cidr": "198.18.0.0/15", "ports": "1-65535"}],
                       "listen": {"ports": "1024-65535"}},
             "limits": {"socketsPerLink": 4096, "listenersPerLink": 16, "sendWindow": 65536,
                        "bytesInFlightPerLink": 1073741824, "connectTimeoutMs": 10000}}
            """);
        proxy = ChildProcess.start("proxy", LOGS, net.xtsCommand("NS_PRX", "proxy", "--iface", net.get("IF_PRX"),
            "--config", config.toString()));
        proxy.awaitLine(line -> line.contains("proxy-event ready"), STARTUP);
        echoAddress = new InetSocketAddress(InetAddress.getByName(net.get("IP_PEER")), ECHO_PORT);
        echo = NetworkNamespace.run(net.get("NS_PEER"), "peer-echo-bind",
            () -> ServerSocketChannel.open().bind(echoAddress, 1024)).get(30, TimeUnit.SECONDS);
        Thread.ofPlatform().daemon().name("peer-echo").start(XtsSelectorProviderSystemTest::echoLoop);
        // The JDK's provider: this JVM runs without the system property, so provider() is the JDK's own.
        provider = new XtsSelectorProvider(Selector.open().provider(), BypassPolicy.parse(null),
            () -> openStack(), false);
    }

    private static XtsStack openStack() throws IOException
    {
        try
        {
            stack = NetworkNamespace.run(net.get("NS_APP"), "open-stack", () -> XtsStack.builder()
                .iface(net.get("IF_APP"))
                .linkTimeout(Duration.ofSeconds(20))
                .build()).get(30, TimeUnit.SECONDS);
            return stack;
        }
        catch (final Exception ex)
        {
            throw new IOException("cannot open the stack in the app namespace", ex);
        }
    }

    private static void echoLoop()
    {
        while (echo.isOpen())
        {
            try
            {
                final SocketChannel peer = echo.accept();
                Thread.ofVirtual().start(() ->
                {
                    final ByteBuffer buffer = ByteBuffer.allocate(65536);
                    try (peer)
                    {
                        while (peer.read(buffer.clear()) >= 0)
                        {
                            buffer.flip();
                            while (buffer.hasRemaining())
                            {
                                peer.write(buffer);
                            }
                        }
                        peer.shutdownOutput();
                    }
                    catch (final IOException ex)
                    {
                        // The client reset or went away: its test says what it expected.
                    }
                });
            }
            catch (final IOException ex)
            {
                return;
            }
        }
    }

    @AfterAll
    static void stop() throws Exception
    {
        if (null != echo)
        {
            echo.close();
        }
        if (null != stack)
        {
            stack.close();
        }
        if (null != proxy)
        {
            proxy.close();
        }
        if (null != net)
        {
            net.close();
        }
    }

    @Test
    void nonBlockingConnectReadWriteThroughOneSelector() throws Exception
    {
        try (Selector selector = provider.openSelector(); SocketChannel channel = provider.openSocketChannel())
        {
            assertInstanceOf(XtsNioSelector.class, selector);
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            final SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
            assertFalse(channel.connect(echoAddress), "a non-blocking connect through the proxy is pending");
            assertTrue(channel.isConnectionPending());
            assertEquals(1, selectUntil(selector, key, SelectionKey.OP_CONNECT));
            assertTrue(channel.finishConnect());
            assertTrue(channel.isConnected());
            assertEquals(echoAddress, channel.getRemoteAddress());
            assertEquals(Boolean.TRUE, channel.getOption(StandardSocketOptions.TCP_NODELAY));
            selector.selectedKeys().clear();
            key.interestOps(SelectionKey.OP_WRITE);
            final byte[] message = "hello through the XTS provider".getBytes(StandardCharsets.US_ASCII);
            final ByteBuffer out = ByteBuffer.wrap(message);
            while (out.hasRemaining())
            {
                assertEquals(1, selectUntil(selector, key, SelectionKey.OP_WRITE));
                selector.selectedKeys().clear();
                channel.write(out);
            }
            key.interestOps(SelectionKey.OP_READ);
            final ByteBuffer back = ByteBuffer.allocate(message.length);
            while (back.hasRemaining())
            {
                selectUntil(selector, key, SelectionKey.OP_READ);
                selector.selectedKeys().clear();
                assertTrue(channel.read(back) >= 0, "no EOF before the echo");
            }
            assertArrayEquals(message, back.array());
            // Half-close: the echo server answers our FIN with its own, which is OP_READ and then -1.
            channel.shutdownOutput();
            selectUntil(selector, key, SelectionKey.OP_READ);
            assertEquals(-1, channel.read(ByteBuffer.allocate(16)));
        }
    }

    @Test
    void blockingChannelsAndTheirExceptions() throws Exception
    {
        try (SocketChannel channel = provider.openSocketChannel())
        {
            assertTrue(channel.connect(echoAddress));
            final byte[] data = new byte[1 << 20];
            new Random(7).nextBytes(data);
            final CompletableFuture<Void> writer = CompletableFuture.runAsync(() ->
            {
                try
                {
                    channel.write(ByteBuffer.wrap(data));
                    channel.shutdownOutput();
                }
                catch (final IOException ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            final ByteBuffer back = ByteBuffer.allocate(data.length + 1);
            while (channel.read(back) >= 0)
            {
                assertTrue(back.hasRemaining(), "more bytes echoed than sent");
            }
            writer.get(60, TimeUnit.SECONDS);
            assertArrayEquals(data, Arrays.copyOf(back.array(), back.position()), "1 MiB echoed byte-exact");
            assertTrue(channel.socket().isOutputShutdown());
            channel.close();
            assertThrows(ClosedChannelException.class, () -> channel.read(ByteBuffer.allocate(1)));
        }
        try (SocketChannel refused = provider.openSocketChannel())
        {
            assertThrows(ConnectException.class, () -> refused.connect(
                new InetSocketAddress(echoAddress.getAddress(), CLOSED_PORT)));
            assertFalse(refused.isOpen(), "a failed connect closes the channel");
        }
        try (Selector selector = provider.openSelector(); SocketChannel refused = provider.openSocketChannel())
        {
            refused.configureBlocking(false);
            final SelectionKey key = refused.register(selector, SelectionKey.OP_CONNECT);
            refused.connect(new InetSocketAddress(echoAddress.getAddress(), CLOSED_PORT));
            selectUntil(selector, key, SelectionKey.OP_CONNECT);
            assertThrows(ConnectException.class, refused::finishConnect);
        }
    }

    @Test
    void wakeupCancelAndCloseWhileSelecting() throws Exception
    {
        final Selector selector = provider.openSelector();
        final SocketChannel channel = provider.openSocketChannel();
        channel.connect(echoAddress);
        channel.configureBlocking(false);
        final SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
        // A wakeup before select makes the next select return at once; selectNow clears it.
        selector.wakeup();
        assertEquals(0, selector.select());
        // A wakeup from another thread ends a select that has nothing to report.
        final CountDownLatch selecting = new CountDownLatch(1);
        final CompletableFuture<Integer> select = CompletableFuture.supplyAsync(() ->
        {
            selecting.countDown();
            try
            {
                return selector.select();
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        selecting.await();
        while (!select.isDone())
        {
            selector.wakeup();
            Thread.onSpinWait();
        }
        assertEquals(0, select.get());
        // Cancel: the key leaves the key set at the next select; then the channel may block and register again.
        key.cancel();
        assertFalse(key.isValid());
        assertThrows(CancelledKeyException.class, key::interestOps);
        selector.selectNow();
        assertFalse(selector.keys().contains(key));
        channel.configureBlocking(true);
        channel.write(ByteBuffer.wrap(new byte[] {42}));
        channel.configureBlocking(false);
        final SelectionKey again = channel.register(selector, SelectionKey.OP_READ);
        selectUntil(selector, again, SelectionKey.OP_READ);
        selector.selectedKeys().clear();
        assertEquals(1, channel.read(ByteBuffer.allocate(8)));
        // Close while another thread selects: its select returns, the keys are invalid, the selector refuses.
        final CountDownLatch blocked = new CountDownLatch(1);
        final CompletableFuture<Integer> pending = CompletableFuture.supplyAsync(() ->
        {
            blocked.countDown();
            try
            {
                return selector.select();
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        blocked.await();
        selector.close();
        assertEquals(0, pending.get(30, TimeUnit.SECONDS));
        assertFalse(again.isValid());
        assertThrows(ClosedSelectorException.class, selector::selectNow);
        assertTrue(channel.isOpen(), "closing a selector leaves its channels open");
        channel.close();
    }

    @Test
    void acceptsThroughTheProxy() throws Exception
    {
        try (Selector selector = provider.openSelector();
            ServerSocketChannel server = provider.openServerSocketChannel())
        {
            server.bind(new InetSocketAddress(9102));
            server.configureBlocking(false);
            final SelectionKey key = server.register(selector, SelectionKey.OP_ACCEPT);
            final String address = net.get("IP_PRX_PEER");
            final CompletableFuture<String> client = CompletableFuture.supplyAsync(() -> net.exec(
                net.get("NS_PEER"), "python3", "-c", "import socket; s = socket.create_connection(('" + address +
                "', 9102)); s.sendall(b'from the peer'); s.shutdown(socket.SHUT_WR); print(s.recv(100).decode())"));
            selectUntil(selector, key, SelectionKey.OP_ACCEPT);
            final SocketChannel accepted = server.accept();
            assertInstanceOf(XtsSocketChannel.class, accepted);
            assertTrue(accepted.isBlocking(), "accepted channels start blocking");
            final ByteBuffer in = ByteBuffer.allocate(100);
            while (accepted.read(in) >= 0)
            {
                assertTrue(in.hasRemaining());
            }
            assertEquals("from the peer", new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII));
            accepted.write(ByteBuffer.wrap("and back".getBytes(StandardCharsets.US_ASCII)));
            accepted.close();
            assertEquals("and back", client.get(60, TimeUnit.SECONDS).trim());
            assertEquals(9102, server.socket().getLocalPort());
        }
    }

    @Test
    void manyChannelsOnOneSelector() throws Exception
    {
        final int count = 200;
        final Map<SocketChannel, ByteBuffer> expected = new HashMap<>();
        final Map<SocketChannel, ByteBuffer> received = new HashMap<>();
        final Map<SocketChannel, ByteBuffer> toSend = new HashMap<>();
        try (Selector selector = provider.openSelector())
        {
            for (int i = 0; i < count; i++)
            {
                final SocketChannel channel = provider.openSocketChannel();
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_CONNECT);
                channel.connect(echoAddress);
                final byte[] message = ("channel " + i + " says hello").getBytes(StandardCharsets.US_ASCII);
                expected.put(channel, ByteBuffer.wrap(message));
                toSend.put(channel, ByteBuffer.wrap(message));
                received.put(channel, ByteBuffer.allocate(message.length));
            }
            int done = 0;
            while (done < count)
            {
                selector.select();
                for (final Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); )
                {
                    final SelectionKey key = it.next();
                    it.remove();
                    final SocketChannel channel = (SocketChannel)key.channel();
                    if (key.isConnectable())
                    {
                        assertTrue(channel.finishConnect());
                        key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
                    }
                    if (key.isValid() && key.isWritable())
                    {
                        // A non-blocking write takes what the credit and the link have room for, maybe nothing.
                        final ByteBuffer out = toSend.get(channel);
                        channel.write(out);
                        if (!out.hasRemaining())
                        {
                            key.interestOps(SelectionKey.OP_READ);
                        }
                    }
                    if (key.isValid() && key.isReadable())
                    {
                        final ByteBuffer in = received.get(channel);
                        assertTrue(channel.read(in) >= 0);
                        if (!in.hasRemaining())
                        {
                            assertEquals(expected.get(channel), in.flip());
                            channel.close();
                            done++;
                        }
                    }
                }
            }
            selector.selectNow();
            assertTrue(selector.keys().isEmpty(), "closed channels leave the selector");
        }
    }

    @Test
    void xtsAndJdkChannelsInOneSelectLoop() throws Exception
    {
        try (Selector selector = provider.openSelector();
            ServerSocketChannel loopback = provider.openServerSocketChannel();
            DatagramChannel udp = provider.openDatagramChannel();
            SocketChannel xts = provider.openSocketChannel();
            SocketChannel local = provider.openSocketChannel())
        {
            loopback.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            assertEquals(RoutedChannel.Carrier.JDK, ((RoutedChannel)loopback).carrier());
            udp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            xts.connect(echoAddress);
            assertEquals(RoutedChannel.Carrier.XTS, ((RoutedChannel)xts).carrier());
            local.connect(loopback.getLocalAddress());
            assertEquals(RoutedChannel.Carrier.JDK, ((RoutedChannel)local).carrier());
            final SocketChannel served = loopback.accept();
            for (final var channel : List.of(xts, local, udp))
            {
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ);
            }
            xts.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            served.write(ByteBuffer.wrap(new byte[] {4, 5}));
            try (DatagramChannel sender = DatagramChannel.open())
            {
                sender.send(ByteBuffer.wrap(new byte[] {6}), udp.getLocalAddress());
            }
            final List<Object> ready = new ArrayList<>();
            while (ready.size() < 3)
            {
                selector.select();
                for (final Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); )
                {
                    final SelectionKey key = it.next();
                    it.remove();
                    assertTrue(key.isReadable());
                    final ByteBuffer in = ByteBuffer.allocate(16);
                    if (key.channel() instanceof DatagramChannel datagram)
                    {
                        datagram.receive(in);
                    }
                    else
                    {
                        ((SocketChannel)key.channel()).read(in);
                    }
                    if (in.position() > 0 && !ready.contains(key.channel()))
                    {
                        ready.add(key.channel());
                    }
                }
            }
            assertEquals(3, ready.size(), "the XTS, the loopback TCP and the UDP channel were each ready");
            assertSame(provider, xts.provider());
            served.close();
        }
    }

    /**
     * Select until the key is selected with the operation (other keys may come and go).
     */
    private static int selectUntil(final Selector selector, final SelectionKey key, final int op) throws IOException
    {
        while (true)
        {
            selector.select();
            if (selector.selectedKeys().contains(key) && 0 != (key.readyOps() & op))
            {
                return 1;
            }
        }
    }
}
