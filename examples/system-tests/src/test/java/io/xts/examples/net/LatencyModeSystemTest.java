package io.xts.examples.net;

import io.xts.sockets.XtsSocket;
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

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Latency mode changes how both ends wait and acknowledge, never what they deliver: the same request/response
 * exchange (messages of random sizes from one seed, closed loop, one in flight) runs through the proxy to a hashing
 * echo server in the peer namespace, once with the default (frugal) client and proxy and once with both in latency
 * mode ({@link XtsStack.Builder#latency}, {@code xts proxy --latency}). At both ends of each run the bytes are hashed
 * (SHA-256): what the client sent against what the peer received, what the peer sent back against what the client
 * received; and the two modes' hashes must be the same. No timing is asserted. Needs root; see {@link Privileged}.
 */
@Tag("privileged")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LatencyModeSystemTest
{
    private static final Path LOGS = Path.of("target", "latency-mode-system-test").toAbsolutePath();
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final int PORT = 7100;
    private static final long SEED = 0x14L;
    private static final int MESSAGES = 3_000;
    /** Message sizes are 1..MAX_MESSAGE bytes: from less than a frame to many frames. */
    private static final int MAX_MESSAGE = 20_000;

    private static TestNetwork net;
    private static int children;

    /** Hashes and byte counts of one run, at both ends. */
    private record Ends(String clientSent, String peerReceived, String peerSent, String clientReceived, long bytes)
    {
    }

    @BeforeAll
    static void createNetwork() throws Exception
    {
        Privileged.require("the latency mode system test");
        net = TestNetwork.create("--mtu", "3506", "--peer");
        Files.createDirectories(LOGS);
    }

    @AfterAll
    static void removeNetwork() throws Exception
    {
        if (null != net)
        {
            net.close();
        }
    }

    @Test
    void shouldDeliverTheSameBytesInTheSameOrderInLatencyModeAsByDefault() throws Exception
    {
        final Ends frugal = exchange(false);
        final Ends latency = exchange(true);
        for (final Ends ends : List.of(frugal, latency))
        {
            assertEquals(ends.clientSent(), ends.peerReceived(), "what the client sent is what the peer received");
            assertEquals(ends.peerSent(), ends.clientReceived(), "what the peer sent is what the client received");
            assertEquals(ends.clientSent(), ends.clientReceived(), "the echo is the request stream");
        }
        assertEquals(frugal, latency, "latency mode delivers the same bytes, in the same order, as the default");
        assertTrue(frugal.bytes() > (long)MESSAGES * MAX_MESSAGE / 4, "bytes exchanged: " + frugal.bytes());
    }

    /** One run: a proxy in the mode, a hashing echo server in the peer, a stack in the mode, the exchange. */
    private static Ends exchange(final boolean latency) throws Exception
    {
        final List<String> proxyArgs = new ArrayList<>(List.of("proxy", "--iface", net.get("IF_PRX"),
            "--counters", "none"));
        if (latency)
        {
            proxyArgs.add("--latency");
        }
        final ServerSocketChannel listener = NetworkNamespace.run(net.get("NS_PEER"), "listen", () ->
        {
            final ServerSocketChannel s = ServerSocketChannel.open();
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(new InetSocketAddress(InetAddress.getByName(net.get("IP_PEER")), PORT));
            return s;
        }).get(30, TimeUnit.SECONDS);
        final CompletableFuture<String[]> peer = CompletableFuture.supplyAsync(() -> echo(listener));
        try (ChildProcess proxy = xts("proxy-" + (latency ? "latency" : "default"), proxyArgs))
        {
            proxy.awaitLine(line -> line.contains("proxy-event ready"), STARTUP);
            assertTrue(proxy.anyLine(line -> line.contains("latency=" + latency)), proxy.describe("proxy"));
            final Ends ends;
            try (XtsStack stack = NetworkNamespace.run(net.get("NS_APP"), "open-stack", () -> XtsStack.builder()
                .iface(net.get("IF_APP"))
                .latency(latency)
                .linkTimeout(Duration.ofSeconds(20))
                .build()).get(30, TimeUnit.SECONDS))
            {
                assertEquals(latency, stack.latency());
                ends = requestResponse(stack, peer);
            }
            listener.close();
            return ends;
        }
    }

    /** Closed loop: send a message of a random size, read its echo in full, next; hashes of both directions. */
    private static Ends requestResponse(final XtsStack stack, final CompletableFuture<String[]> peer)
        throws Exception
    {
        final MessageDigest sent = MessageDigest.getInstance("SHA-256");
        final MessageDigest received = MessageDigest.getInstance("SHA-256");
        final Random random = new Random(SEED);
        final ByteBuffer out = ByteBuffer.allocate(MAX_MESSAGE);
        final ByteBuffer in = ByteBuffer.allocate(MAX_MESSAGE);
        long bytes = 0;
        try (XtsSocket socket = stack.connect(new InetSocketAddress(InetAddress.getByName(net.get("IP_PEER")), PORT),
            Duration.ofSeconds(10)))
        {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            for (int i = 0; i < MESSAGES; i++)
            {
                final int size = 1 + random.nextInt(MAX_MESSAGE);
                out.clear().limit(size);
                random.nextBytes(out.array());
                sent.update(out.array(), 0, size);
                while (out.hasRemaining())
                {
                    socket.write(out);
                }
                in.clear().limit(size);
                while (in.hasRemaining())
                {
                    if (socket.read(in) < 0)
                    {
                        throw new AssertionError("the peer closed after " + bytes + " bytes");
                    }
                }
                received.update(in.array(), 0, size);
                bytes += size;
            }
            socket.shutdownOutput();
            in.clear();
            assertEquals(-1, socket.read(in), "nothing after the last echo");
        }
        final String[] atPeer = peer.get(60, TimeUnit.SECONDS);
        assertEquals(Long.toString(bytes), atPeer[2], "bytes the peer received");
        return new Ends(hex(sent), atPeer[0], atPeer[1], hex(received), bytes);
    }

    /** The peer: accept one connection, echo everything until the client's FIN; hashes of what it read and wrote. */
    private static String[] echo(final ServerSocketChannel listener)
    {
        try (SocketChannel c = listener.accept())
        {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            final MessageDigest read = MessageDigest.getInstance("SHA-256");
            final MessageDigest written = MessageDigest.getInstance("SHA-256");
            final ByteBuffer buffer = ByteBuffer.allocate(65_536);
            long bytes = 0;
            while (c.read(buffer.clear()) >= 0)
            {
                buffer.flip();
                read.update(buffer.array(), 0, buffer.limit());
                written.update(buffer.array(), 0, buffer.limit());
                bytes += buffer.limit();
                while (buffer.hasRemaining())
                {
                    c.write(buffer);
                }
            }
            return new String[] {hex(read), hex(written), Long.toString(bytes)};
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("echo peer: " + ex, ex);
        }
    }

    private static String hex(final MessageDigest digest)
    {
        return HexFormat.of().formatHex(digest.digest());
    }

    private static ChildProcess xts(final String name, final List<String> args) throws Exception
    {
        return ChildProcess.start(++children + "-" + name, LOGS, net.xtsCommand("NS_PRX",
            args.toArray(String[]::new)));
    }
}
