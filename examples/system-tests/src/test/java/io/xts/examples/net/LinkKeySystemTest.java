package io.xts.examples.net;

import io.xts.link.LinkKey;
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

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A proxy started with a link key (`xts proxy --link-key-file`) in the test topology: an app stack with the same key
 * brings the link up and echoes through socat in the peer namespace; a stack without a key, and one with another key,
 * are refused, and their error says why. Needs root; see {@link Privileged}.
 */
@Tag("privileged")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LinkKeySystemTest
{
    private static final Path LOGS = Path.of("target", "link-key-system-test").toAbsolutePath();
    private static final String KEY = "3f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    private static TestNetwork net;
    private static ChildProcess proxy;
    private static ChildProcess socat;

    @BeforeAll
    static void start() throws Exception
    {
        Privileged.require("the link key system test");
        net = TestNetwork.create("--mtu", "3506", "--peer");
        Files.createDirectories(LOGS);
        final Path keyFile = LOGS.resolve("link.key");
        Files.writeString(keyFile, KEY + "\n");
        proxy = ChildProcess.start("proxy", LOGS, xtsCommand("NS_PRX", "proxy", "--iface", net.get("IF_PRX"),
            "--link-key-file", keyFile.toString(), "--counters", "none"));
        proxy.awaitLine(line -> line.contains("proxy-event ready"), Duration.ofSeconds(30));
        socat = ChildProcess.start("socat", LOGS, List.of("ip", "netns", "exec", net.get("NS_PEER"), "socat",
            "TCP-LISTEN:9100,bind=" + net.get("IP_PEER") + ",reuseaddr,fork", "EXEC:cat"));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!net.exec(net.get("NS_PEER"), "ss", "-Htln", "sport = :9100").contains(":9100"))
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("socat does not listen");
            }
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void stop() throws Exception
    {
        for (final AutoCloseable c : new AutoCloseable[] {socat, proxy, net})
        {
            if (null != c)
            {
                c.close();
            }
        }
    }

    @Test
    void theSameKeyBringsTheLinkUpAndCarriesData() throws Exception
    {
        try (XtsStack stack = open(XtsStack.builder().linkKey(LinkKey.fromHex(KEY))))
        {
            final XtsSocket socket = stack.connect(new InetSocketAddress(InetAddress.getByName(net.get("IP_PEER")),
                9100), Duration.ofSeconds(5));
            socket.setSoTimeout(20_000);
            final byte[] sent = "authenticated link\n".getBytes(StandardCharsets.US_ASCII);
            socket.write(ByteBuffer.wrap(sent));
            final ByteBuffer back = ByteBuffer.allocate(sent.length);
            while (back.hasRemaining())
            {
                if (socket.read(back) < 0)
                {
                    fail("echo ended early");
                }
            }
            assertArrayEquals(sent, back.array());
            assertTrue(stack.linkCounters().authFailures() == 0, "no authentication failures on the app's link");
            socket.close();
        }
    }

    @Test
    void noKeyOrAnotherKeyIsRefusedWithAClearError()
    {
        final ExecutionException none = assertThrows(ExecutionException.class, () -> open(XtsStack.builder()));
        assertTrue(none.getCause() instanceof IOException && none.getCause().getMessage()
            .contains("authenticated by its key"), String.valueOf(none.getCause()));
        final ExecutionException other = assertThrows(ExecutionException.class, () -> open(XtsStack.builder()
            .linkKey(LinkKey.fromHex("00" + KEY.substring(2)))));
        assertTrue(other.getCause() instanceof IOException && other.getCause().getMessage()
            .contains("authentication"), String.valueOf(other.getCause()));
    }

    private static XtsStack open(final XtsStack.Builder builder) throws Exception
    {
        return NetworkNamespace.run(net.get("NS_APP"), "open-stack", () -> builder
            .iface(net.get("IF_APP"))
            .linkTimeout(Duration.ofSeconds(3))
            .build()).get(30, TimeUnit.SECONDS);
    }

    private static List<String> xtsCommand(final String namespace, final String... args)
    {
        return net.xtsCommand(namespace, args);
    }
}
