package io.xts.tools.nvme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xts.test.ChildProcess;
import io.xts.examples.CounterSums;
import io.xts.test.Privileged;
import io.xts.test.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, NVMe/TCP through the proxy in the three-namespace topology: {@code xts nvme-target} (RAM) in the peer
 * namespace, {@code xts proxy} in the proxy namespace, {@code xts nvme-bench} in the app namespace, either through
 * the proxy ({@code --mode offload}: the proxy delineates PDUs, checks and computes digests and has read data placed)
 * or over the direct veth with kernel TCP ({@code --mode software}). Shown: 1 GiB written and read back byte-exact
 * ({@code --verify}) at 4 KiB, 128 KiB and 512 KiB with 128 commands in flight, digests off and on, in both modes;
 * the same read back as scatter reads ({@code --read-mode scatter}) with digests on, checked through the views of the
 * link frames the data arrived in, nothing copied on the app host; a corrupted data digest fails the command with a
 * digest error that the application sees, and the proxy counts it; a corrupted PDU header ends that queue's
 * connection (EBADMSG, counted) while the proxy keeps serving; resync when the ULP is pushed mid-stream; the software
 * fallback when the proxy refuses the ULP or a registration; tshark decodes the proxy-to-target traffic with every
 * digest good. Needs root; see {@link Privileged}.
 */
@Tag("privileged")
@Tag("long")
@Timeout(value = 1800, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NvmeOffloadSystemTest
{
    private static final Path LOGS = Path.of("target", "nvme-offload-system-test").toAbsolutePath();
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final long GIB = 1L << 30;
    private static final int PORT = 4420;
    private static final int FAULT_PORT = 4421;
    private static final int HEADER_FAULT_PORT = 4422;
    private static final int ONE_PDU_PORT = 4423;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestNetwork net;
    private static ChildProcess target;
    private static ChildProcess faultTarget;
    private static ChildProcess headerFaultTarget;
    private static ChildProcess onePduTarget;
    private static ChildProcess proxy;
    private static Path proxyCounters;
    private static int children;

    @BeforeAll
    static void startTopology() throws Exception
    {
        Privileged.require("the NVMe/TCP offload system test");
        Files.createDirectories(LOGS);
        net = TestNetwork.create("--mtu", "3506", "--peer", "--direct");
        target = startTarget("target", PORT, "1100M");
        faultTarget = startTarget("target-ddgst-fault", FAULT_PORT, "64M", "--fault", "data-digest",
            "--fault-every", "50");
        headerFaultTarget = startTarget("target-header-fault", HEADER_FAULT_PORT, "64M", "--fault", "header",
            "--fault-every", "200");
        // Reads in one C2HData of up to 1 MiB, as Linux's nvmet-tcp sends them.
        onePduTarget = startTarget("target-one-pdu", ONE_PDU_PORT, "64M", "--max-c2h-data", "1M");
        proxy = startProxy("{}");
    }

    @AfterAll
    static void stopTopology() throws Exception
    {
        for (final ChildProcess p : new ChildProcess[]{proxy, target, faultTarget, headerFaultTarget, onePduTarget})
        {
            if (null != p)
            {
                p.close();
            }
        }
        if (null != net)
        {
            net.close();
        }
    }

    @AfterEach
    void proxyStillServes()
    {
        assertTrue(proxy.process().isAlive(), proxy.describe("the proxy is still running"));
    }

    @Test
    @Order(1)
    void offloadWritesAndReadsBackAGibibyteByteExact() throws Exception
    {
        for (final String bs : List.of("4K", "128K", "512K"))
        {
            for (final boolean digests : List.of(false, true))
            {
                final long placedBefore = counter("nvme-offload-bytes");
                final long txDigestsBefore = counter("nvme-tx-digests");
                final JsonNode r = verifiedGibibyte("offload", bs, digests);
                final long placed = counter("nvme-offload-bytes") - placedBefore;
                System.out.printf(Locale.ROOT, "offload bs=%s digests=%s: %d bytes placed by the proxy%n", bs,
                    digests, placed);
                assertTrue(placed >= GIB, "the proxy placed at least the 1 GiB read back, placed " + placed);
                if (digests)
                {
                    assertTrue(counter("nvme-tx-digests") - txDigestsBefore > 0, "the proxy computed tx digests");
                }
                assertEquals(0, r.path("digest_errors").asLong(), "digest errors");
            }
        }
        assertEquals(0, counter("nvme-ddgst-errors"), "no data digest errors on a clean run");
        assertEquals(0, counter("nvme-drop"), "no queue dropped on a clean run");
        assertTrue(counter("nvme-queue-init") >= 6, "queues offloaded");
    }

    @Test
    @Order(2)
    void offloadScatterReadsReadBackAGibibyteInPlaceByteExact() throws Exception
    {
        for (final String bs : List.of("4K", "128K", "512K"))
        {
            final long placedBefore = counter("nvme-offload-bytes");
            final JsonNode r = verifiedGibibyte("offload", bs, true, "--read-mode", "scatter");
            final JsonNode host = r.path("host");
            System.out.printf(Locale.ROOT, "offload scatter bs=%s: %d bytes handed over in place, %d copied on the " +
                "app host, scatter window %d%n", bs, host.path("in_place_bytes").asLong(),
                host.path("copied_bytes").asLong(), host.path("scatter_window").asLong());
            assertEquals("scatter", host.path("read_mode").asText());
            assertTrue(host.path("in_place_bytes").asLong() >= GIB, "the read-back stayed in the frames: " + host);
            assertEquals(0, host.path("copied_bytes").asLong(), "nothing copied on the app host: " + host);
            assertTrue(counter("nvme-offload-bytes") - placedBefore >= GIB, "placed by the proxy");
            assertEquals(0, r.path("digest_errors").asLong(), "digest errors");
        }
    }

    @Test
    @Order(3)
    void softwareWritesAndReadsBackAGibibyteByteExact() throws Exception
    {
        for (final String bs : List.of("4K", "128K", "512K"))
        {
            for (final boolean digests : List.of(false, true))
            {
                verifiedGibibyte("software", bs, digests);
            }
        }
    }

    @Test
    @Order(4)
    void corruptedDataDigestFailsTheCommandVisiblyAndIsCounted() throws Exception
    {
        final long before = counter("nvme-ddgst-errors");
        final Run run = bench("ddgst-fault", "--mode", "offload", "--target", net.get("IP_PEER") + ":" + FAULT_PORT,
            "--rw", "randread", "--bs", "128K", "--iodepth", "32", "--runtime", "2", "--size", "32M", "--ddgst");
        assertNotEquals(0, run.exit, "nvme-bench must fail when reads fail their data digest");
        assertTrue(run.json.path("digest_errors").asLong() > 0, "the application saw digest errors: " + run.json);
        assertTrue(counter("nvme-ddgst-errors") > before, "the proxy counted the data digest errors");
    }

    @Test
    @Order(5)
    void corruptedHeaderEndsOnlyThatConnectionAndIsCounted() throws Exception
    {
        final long drops = counter("nvme-drop");
        final Run bad = bench("header-fault", "--mode", "offload", "--target",
            net.get("IP_PEER") + ":" + HEADER_FAULT_PORT, "--rw", "randread", "--bs", "4K", "--iodepth", "32",
            "--runtime", "2", "--size", "32M", "--hdgst");
        assertNotEquals(0, bad.exit, "nvme-bench must fail when its queue is ended");
        assertTrue(bad.output.contains("EBADMSG") || bad.output.contains("Bad message") ||
            bad.output.toLowerCase(Locale.ROOT).contains("malformed"), "a clear error reached the app: " + bad.output);
        assertTrue(counter("nvme-drop") > drops, "the proxy counted the dropped queue");
        // The proxy carries on: a clean run right after.
        final Run good = bench("after-header-fault", "--mode", "offload", "--target", net.get("IP_PEER") + ":" + PORT,
            "--rw", "randread", "--bs", "4K", "--iodepth", "32", "--runtime", "1", "--size", "32M", "--hdgst");
        assertEquals(0, good.exit, good.output);
    }

    @Test
    @Order(6)
    void pushingTheUlpMidStreamResynchronises() throws Exception
    {
        // --verify writes the 64 MiB first (512 writes); the push comes among the reads, with C2HData streaming, so
        // the proxy has forwarded bytes past the app's position and must search.
        final long requests = counter("nvme-resync-requests");
        final long confirmed = counter("nvme-resync-confirmed");
        final Run run = bench("resync", "--mode", "offload", "--target", net.get("IP_PEER") + ":" + PORT,
            "--rw", "randread", "--bs", "128K", "--iodepth", "128", "--runtime", "3", "--size", "64M", "--verify",
            "--ddgst", "--ulp-push-after", "900");
        assertEquals(0, run.exit, run.output);
        System.out.printf(Locale.ROOT, "resync: %d requests, %d confirmed%n",
            counter("nvme-resync-requests") - requests, counter("nvme-resync-confirmed") - confirmed);
        assertTrue(counter("nvme-resync-requests") > requests, "the proxy searched and asked the app to confirm");
        assertTrue(counter("nvme-resync-confirmed") > confirmed, "the app confirmed and offload resumed");
    }

    @Test
    @Order(7)
    void refusedRegistrationsFallBackToSoftwarePlacement() throws Exception
    {
        restartProxy("{\"nvmeOffload\": {\"maxRegistrationsPerQueue\": 4}}");
        final Run run = bench("refused-registrations", "--mode", "offload", "--target",
            net.get("IP_PEER") + ":" + PORT, "--rw", "randread", "--bs", "128K", "--iodepth", "128", "--runtime", "2",
            "--size", "256M", "--verify", "--ddgst");
        assertEquals(0, run.exit, run.output);
        assertTrue(counter("nvme-ddp-setup-fail") > 0, "registrations were refused");
        assertTrue(counter("nvme-unregistered-bytes") > 0, "data went the fallback way");
        assertTrue(counter("nvme-offload-bytes") > 0, "and the registered commands were still placed");
    }

    @Test
    @Order(8)
    void refusedUlpKeepsTheQueueInSoftware() throws Exception
    {
        restartProxy("{\"nvmeOffload\": {\"enabled\": false}}");
        final Run run = bench("refused-ulp", "--mode", "offload", "--target", net.get("IP_PEER") + ":" + PORT,
            "--rw", "randread", "--bs", "128K", "--iodepth", "128", "--runtime", "2", "--size", "256M", "--verify",
            "--ddgst", "--hdgst");
        assertEquals(0, run.exit, run.output);
        assertTrue(counter("nvme-ulp-refused") > 0, "the proxy refused the ULP");
        assertEquals(0, counter("nvme-offload-bytes"), "nothing was placed by the proxy");
        restartProxy("{}");
    }

    @Test
    @Order(9)
    void readsInOneC2HDataLargerThanTheReceiveWindowFlow() throws Exception
    {
        // 512 KiB reads as single C2HData PDUs through a 256 KiB receive window: placed bytes are credited as they
        // land, so the proxy never waits for a whole PDU's worth of credit.
        final Run run = bench("one-pdu-reads", "--mode", "offload", "--target",
            net.get("IP_PEER") + ":" + ONE_PDU_PORT, "--rw", "write", "--bs", "512K", "--iodepth", "16", "--runtime",
            "1", "--size", "64M", "--verify", "--hdgst", "--ddgst", "--receive-window", "262144");
        assertEquals(0, run.exit, run.output);
        assertEquals(0, run.json.path("verify").path("mismatches").asLong(), "verify mismatches");
        assertTrue(run.json.path("verify").path("checked_blocks").asLong() * 512 >= 64L << 20, run.output);
    }

    @Test
    @Order(10)
    void tsharkDecodesTheProxyToTargetTraffic() throws Exception
    {
        final Path pcap = LOGS.resolve("proxy-to-target.pcapng");
        Files.deleteIfExists(pcap);
        final Path err = LOGS.resolve("tshark-capture.err");
        final Process capture = new ProcessBuilder("ip", "netns", "exec", net.get("NS_PEER"), "tshark", "-i",
            net.get("IF_PEER"), "-f", "tcp port " + PORT, "-w", pcap.toString())
            .redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try
        {
            awaitCapturing(capture, pcap);
            final Run run = bench("tshark", "--mode", "offload", "--target", net.get("IP_PEER") + ":" + PORT,
                "--rw", "write", "--bs", "128K", "--iodepth", "16", "--runtime", "1", "--size", "8M", "--verify",
                "--hdgst", "--ddgst");
            assertEquals(0, run.exit, run.output);
            Thread.sleep(1000);
        }
        finally
        {
            capture.destroy();
            capture.waitFor(10, TimeUnit.SECONDS);
        }
        final String decoded = new String(new ProcessBuilder("tshark", "-r", pcap.toString(), "-d",
            "tcp.port==" + PORT + ",nvme-tcp", "-o", "nvme-tcp.check_hdgst:TRUE", "-o", "nvme-tcp.check_ddgst:TRUE",
            "-Y", "nvme-tcp", "-T", "fields", "-e", "nvme-tcp.type", "-e", "nvme-tcp.hdgst.status", "-e",
            "nvme-tcp.ddgst.status", "-e", "_ws.malformed", "-e", "_ws.expert.message")
            .redirectErrorStream(true).start().getInputStream().readAllBytes());
        Files.writeString(LOGS.resolve("tshark-decoded.txt"), decoded);
        final List<String> lines = decoded.lines().filter(l -> !l.isBlank()).toList();
        assertTrue(lines.size() > 50, "PDUs decoded: " + lines.size());
        final String lower = decoded.toLowerCase(Locale.ROOT);
        assertTrue(!lower.contains("malformed") && !lower.contains("bad"), "no malformed PDU and no bad digest:\n" +
            decoded.lines().filter(l -> l.toLowerCase(Locale.ROOT).contains("bad") ||
                l.toLowerCase(Locale.ROOT).contains("malformed")).limit(10).toList());
        for (final String type : List.of("0", "1", "4", "5", "6", "7", "9"))
        {
            assertTrue(lines.stream().anyMatch(l -> l.split("\t")[0].contains(type)), "PDU type " + type + " seen");
        }
    }

    // ---- helpers ----

    private record Run(int exit, JsonNode json, String output)
    {
    }

    private static JsonNode verifiedGibibyte(final String mode, final String bs, final boolean digests,
        final String... extra) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("--mode", mode, "--target",
            ("offload".equals(mode) ? net.get("IP_PEER") : net.get("IP_PEER_DIRECT")) + ":" + PORT,
            "--rw", "write", "--bs", bs, "--iodepth", "128", "--runtime", "1", "--size", "1G", "--verify"));
        if (digests)
        {
            args.addAll(List.of("--hdgst", "--ddgst"));
        }
        args.addAll(List.of(extra));
        final long start = System.nanoTime();
        final String name = mode + "-" + bs + (digests ? "-dg" : "") +
            (extra.length > 0 ? "-" + extra[extra.length - 1] : "");
        final Run run = bench(name, args.toArray(String[]::new));
        assertEquals(0, run.exit, run.output);
        final JsonNode verify = run.json.path("verify");
        final long checked = verify.path("checked_blocks").asLong() *
            run.json.path("controller").path("block_size").asLong();
        System.out.printf(Locale.ROOT, "%s bs=%s digests=%s: %d bytes read back and checked in %.1f s%n", mode, bs,
            digests, checked, (System.nanoTime() - start) / 1e9);
        assertTrue(checked >= GIB, "bytes read back and checked: " + checked);
        assertEquals(0, verify.path("mismatches").asLong(), "verify mismatches");
        assertEquals("ok", run.json.path("result").asText(), run.output);
        return run.json;
    }

    private static Run bench(final String name, final String... args) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of("nvme-bench", "--subnqn", TargetConfig.DEFAULT_NQN,
            "--output-format", "json"));
        all.addAll(List.of(args));
        if (all.contains("offload"))
        {
            all.addAll(List.of("--iface", net.get("IF_APP")));
            if (!all.contains("--receive-window"))
            {
                all.addAll(List.of("--receive-window", String.valueOf(4 << 20)));
            }
        }
        try (ChildProcess p = xts("bench-" + name, "NS_APP", all.toArray(String[]::new)))
        {
            final int exit = p.awaitExit(Duration.ofMinutes(10));
            final String out = String.join("\n", p.lines());
            final String err = p.stderr();
            JsonNode json = JSON.createObjectNode();
            final int at = out.indexOf('{');
            if (at >= 0)
            {
                json = JSON.readTree(out.substring(at));
            }
            return new Run(exit, json, out + "\n" + err);
        }
    }

    private static ChildProcess startTarget(final String name, final int port, final String size,
        final String... extra) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("nvme-target", "--listen", "0.0.0.0:" + port, "--backend",
            "ram", "--size", size));
        args.addAll(List.of(extra));
        final ChildProcess p = xts(name, "NS_PEER", args.toArray(String[]::new));
        p.awaitLine(line -> line.contains("listening"), STARTUP);
        return p;
    }

    private static ChildProcess startProxy(final String config) throws Exception
    {
        final Path file = LOGS.resolve("proxy-" + (children + 1) + ".json");
        Files.writeString(file, config);
        proxyCounters = LOGS.resolve("proxy-" + System.nanoTime() + ".counters");
        final ChildProcess p = xts("proxy", "NS_PRX", "proxy", "--iface", net.get("IF_PRX"), "--config",
            file.toString(), "--counters", proxyCounters.toString());
        p.awaitLine(line -> line.contains("proxy-event ready"), STARTUP);
        return p;
    }

    private static void restartProxy(final String config) throws Exception
    {
        assertEquals(0, proxy.terminate(Duration.ofSeconds(10)), proxy.describe("proxy exit after SIGTERM"));
        proxy.close();
        proxy = startProxyRetryingBusy(config);
    }

    /**
     * Start the proxy again on the queue the last one used: a quick rebind can be refused with EBUSY while the kernel
     * still releases the old socket (asynchronously), so a start that ends with EBUSY is retried with back-off.
     */
    private static ChildProcess startProxyRetryingBusy(final String config) throws Exception
    {
        long backoffMs = 50;
        for (int attempt = 1; ; attempt++)
        {
            final Path file = LOGS.resolve("proxy-" + (children + 1) + ".json");
            Files.writeString(file, config);
            proxyCounters = LOGS.resolve("proxy-" + System.nanoTime() + ".counters");
            final ChildProcess p = xts("proxy", "NS_PRX", "proxy", "--iface", net.get("IF_PRX"), "--config",
                file.toString(), "--counters", proxyCounters.toString());
            final long deadline = System.nanoTime() + STARTUP.toNanos();
            while (!p.anyLine(line -> line.contains("proxy-event ready")) && p.process().isAlive() &&
                System.nanoTime() - deadline < 0)
            {
                p.process().waitFor(50, TimeUnit.MILLISECONDS);
            }
            if (p.anyLine(line -> line.contains("proxy-event ready")))
            {
                return p;
            }
            final boolean busy = !p.process().isAlive() && (p.stderr().contains("EBUSY") ||
                p.anyLine(line -> line.contains("EBUSY")));
            if (!busy || attempt == 6)
            {
                final String why = p.describe("proxy restart, attempt " + attempt);
                p.close();
                throw new AssertionError(why);
            }
            p.close();
            Thread.sleep(backoffMs);
            backoffMs *= 2;
        }
    }

    private static void awaitCapturing(final Process capture, final Path pcap) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() - deadline < 0)
        {
            assertTrue(capture.isAlive(), "tshark is capturing");
            if (Files.exists(pcap) && Files.size(pcap) > 0)
            {
                Thread.sleep(500);
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("tshark did not start capturing within 20 s");
    }

    /** Sum of the proxy's counters named exactly {@code name} (after the "proxy IFACE qN " prefix). */
    private static long counter(final String name)
    {
        return CounterSums.sum(proxyCounters,
            Pattern.compile("(^|[^a-z-])" + Pattern.quote(name) + "($|[^a-z-])"));
    }

    private static ChildProcess xts(final String name, final String namespace, final String... args)
        throws IOException
    {
        return ChildProcess.start(++children + "-" + name, LOGS,
            net.xtsCommand(namespace, List.of("-Xmx2g"), args));
    }
}
