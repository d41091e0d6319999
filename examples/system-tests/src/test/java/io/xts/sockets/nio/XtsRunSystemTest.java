package io.xts.sockets.nio;

import io.xts.test.ChildProcess;
import io.xts.test.Privileged;
import io.xts.test.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Unmodified Java programs over XTS through {@code scripts/xts run}, in the test topology: the JDK HttpServer file
 * server and the Netty file server on the app host serve 1 KiB, 1 MiB and 100 MiB to curl in the peer namespace
 * (SHA-256 exact) and take {@code ab -k -c 100 -t 10} with no failed request; the HttpClient program fetches 100 MiB
 * from python's http.server in the peer namespace (SHA-256 exact); a missing interface and a link without a proxy
 * fail with their clear errors. The programs run on a class path of their own classes and Netty only: nothing of
 * XTS-J. The app namespace's interface carries one link at a time, so the programs run one after another. Needs
 * root; see {@link Privileged}.
 */
@Tag("privileged")
@Tag("long")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class XtsRunSystemTest
{
    private static final Path LOGS = Path.of("target", "xts-run-system-test").toAbsolutePath();
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final List<String> FILES = List.of("1k", "1m", "100m");

    private static TestNetwork net;
    private static ChildProcess proxy;
    private static Path files;
    private static String programClassPath;
    private static int children;

    @BeforeAll
    static void start() throws Exception
    {
        Privileged.require("the xts run system test");
        net = TestNetwork.create("--mtu", "3506", "--peer", "--direct");
        Files.createDirectories(LOGS);
        files = Files.createTempDirectory(LOGS, "files");
        writeRandom(files.resolve("1k"), 1024);
        writeRandom(files.resolve("1m"), 1 << 20);
        writeRandom(files.resolve("100m"), 100 << 20);
        // The programs' own class path: their classes and Netty, nothing of XTS-J.
        programClassPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> entry.contains("examples" + File.separator + "unmodified") ||
                entry.contains("xts-unmodified-examples") || entry.contains("io" + File.separator + "netty"))
            .collect(Collectors.joining(File.pathSeparator));
        assertFalse(programClassPath.contains("xts-sockets") || programClassPath.contains("agrona"),
            programClassPath);
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
    }

    @AfterAll
    static void stop() throws Exception
    {
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
    @Order(1)
    void jdkHttpServerServesCurlAndAb() throws Exception
    {
        servesCurlAndAb("jdk-http-server", "io.xts.examples.unmodified.JdkFileServer", 8080);
    }

    @Test
    @Order(2)
    void nettyServesCurlAndAb() throws Exception
    {
        servesCurlAndAb("netty-server", "io.xts.examples.unmodified.NettyFileServer", 8081);
    }

    private static void servesCurlAndAb(final String name, final String mainClass, final int port) throws Exception
    {
        try (ChildProcess server = xtsRun(name, net.get("IF_APP"), mainClass, String.valueOf(port),
            files.toString()))
        {
            server.awaitLine(line -> line.startsWith("listening on"), STARTUP);
            final String url = "http://" + net.get("IP_PRX_PEER") + ":" + port + "/";
            for (final String file : FILES)
            {
                final Path out = LOGS.resolve(name + "-curl-" + file);
                final long start = System.nanoTime();
                net.exec(net.get("NS_PEER"), "curl", "-sS", "--fail", "--max-time", "120", "-o", out.toString(),
                    url + file);
                System.out.printf(Locale.ROOT, "%s: curl %s: %d bytes in %.3f s%n", name, file, Files.size(out),
                    (System.nanoTime() - start) / 1e9);
                assertEquals(sha256(files.resolve(file)), sha256(out), "SHA-256 of " + file + " from " + name);
            }
            final String ab = net.exec(net.get("NS_PEER"), "ab", "-k", "-q", "-c", "100", "-t", "10", "-n",
                "10000000", "-s", "30", url + "1k");
            System.out.println(name + ":\n" + ab);
            assertTrue(field(ab, "Complete requests:\\s+(\\d+)") > 100, "ab completed requests");
            assertEquals(0, field(ab, "Failed requests:\\s+(\\d+)"), "ab failed requests");
            assertFalse(ab.contains("Non-2xx responses"), "ab saw non-2xx responses");
            assertTrue(server.process().isAlive(), server.describe(name + " still serving"));
            assertEquals(1, server.lines().size(), server.describe("only the program's own line on stdout"));
        }
    }

    @Test
    @Order(3)
    void httpClientFetchesFromPythonByteExact() throws Exception
    {
        try (ChildProcess python = ChildProcess.start(++children + "-python-http", LOGS, List.of("ip", "netns",
            "exec", net.get("NS_PEER"), "python3", "-u", "-m", "http.server", "8000", "--bind", net.get("IP_PEER"),
            "--directory", files.toString())))
        {
            python.awaitLine(line -> line.contains("Serving HTTP"), STARTUP);
            final Path out = LOGS.resolve("http-client-100m");
            try (ChildProcess fetch = xtsRun("http-client", net.get("IF_APP"),
                "io.xts.examples.unmodified.HttpClientFetch", "http://" + net.get("IP_PEER") + ":8000/100m",
                out.toString()))
            {
                assertEquals(0, fetch.awaitExit(Duration.ofSeconds(180)), fetch.describe("HttpClientFetch exit"));
                System.out.println("http-client: " + fetch.lines());
                assertEquals(1, fetch.lines().size(), fetch.describe("only the program's own line on stdout"));
                assertTrue(fetch.lines().getFirst().startsWith("status 200, 104857600 bytes"), fetch.describe("line"));
            }
            assertEquals(sha256(files.resolve("100m")), sha256(out), "SHA-256 of 100m fetched by HttpClient");
        }
    }

    @Test
    @Order(4)
    void clearErrorsWithoutInterfaceOrProxy() throws Exception
    {
        try (ChildProcess missing = xtsRun("no-iface", "xts-no-such0", "io.xts.examples.unmodified.HttpClientFetch",
            "http://" + net.get("IP_PEER") + ":8000/1k", LOGS.resolve("never").toString()))
        {
            assertEquals(69, missing.awaitExit(STARTUP), missing.describe("exit without the interface"));
            assertTrue(missing.stderr().contains("interface 'xts-no-such0' does not exist"), missing.stderr());
        }
        // The direct link's interface has no proxy at its other end: the stack cannot come up.
        try (ChildProcess noProxy = xtsRun("no-proxy", net.get("IF_APP_DIRECT"),
            "io.xts.examples.unmodified.HttpClientFetch", "http://" + net.get("IP_PEER") + ":8000/1k",
            LOGS.resolve("never").toString()))
        {
            assertEquals(70, noProxy.awaitExit(STARTUP), noProxy.describe("exit without a proxy"));
            assertTrue(noProxy.stderr().contains("xts run: cannot open the XTS stack"), noProxy.stderr());
            assertTrue(noProxy.lines().isEmpty(), noProxy.describe("the program never ran"));
        }
    }

    private static ChildProcess xtsRun(final String name, final String iface, final String... program)
        throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", net.get("NS_APP"), "env",
            "XTS_NO_BUILD=1", TestNetwork.repoRoot().resolve("scripts").resolve("xts").toString(), "run", "--iface",
            iface, "--", "java", "-cp", programClassPath));
        command.addAll(List.of(program));
        return ChildProcess.start(++children + "-" + name, LOGS, command);
    }

    private static long field(final String text, final String regex)
    {
        final Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find())
        {
            fail("no match for " + regex + " in:\n" + text);
        }
        return Long.parseLong(m.group(1));
    }

    private static void writeRandom(final Path path, final long size) throws IOException
    {
        final Random random = new Random(size);
        final byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(path))
        {
            for (long left = size; left > 0; left -= block.length)
            {
                random.nextBytes(block);
                out.write(block, 0, (int)Math.min(block.length, left));
            }
        }
    }

    private static String sha256(final Path path) throws Exception
    {
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(path))
        {
            final byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) > 0)
            {
                sha.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
