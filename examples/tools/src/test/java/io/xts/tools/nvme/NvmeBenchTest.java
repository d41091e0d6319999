package io.xts.tools.nvme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code xts nvme-bench} in-process against an in-process {@link NvmeTargetServer} (RAM, 64 MiB) over loopback:
 * verified random reads at 4K and 128K with and without digests (both completion modes), verified writes and
 * sequential reads, scatter reads checked through their views, data digest faults and silently wrong data caught with
 * the first bad LBA, and the input checks.
 */
@Tag("long")
@Execution(ExecutionMode.SAME_THREAD)
class NvmeBenchTest
{
    private static final long SIZE = 64L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static NvmeTargetServer target;
    private static String address;

    @BeforeAll
    static void startTarget() throws Exception
    {
        target = start(TargetConfig.defaults(any(), Backend.Kind.RAM, SIZE));
        address = "127.0.0.1:" + target.address().getPort();
    }

    @AfterAll
    static void stopTarget()
    {
        target.close();
    }

    private static InetSocketAddress any()
    {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    private static NvmeTargetServer start(final TargetConfig config) throws Exception
    {
        final NvmeTargetServer server = new NvmeTargetServer(config, new PrintStream(OutputStream.nullOutputStream()));
        server.start();
        return server;
    }

    /** The exit status, stdout and stderr of one in-process run. */
    record Run(int exit, String out, String err)
    {
        JsonNode json() throws Exception
        {
            return JSON.readTree(out);
        }
    }

    static Run bench(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine cl = new CommandLine(new NvmeBench());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        final int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static String[] args(final String addr, final String... more)
    {
        final List<String> a = new ArrayList<>(List.of("--target", addr, "--subnqn", TargetConfig.DEFAULT_NQN));
        a.addAll(Arrays.asList(more));
        return a.toArray(String[]::new);
    }

    @ParameterizedTest(name = "randread --verify bs={0} digests={1} completion={2}")
    @CsvSource({"4k, false, thread", "4k, true, thread", "128k, false, thread", "128k, true, thread",
        "4k, false, poll", "128k, true, poll"})
    void verifiedRandomReads(final String bs, final boolean digests, final String completion) throws Exception
    {
        final List<String> a = new ArrayList<>(List.of("--rw", "randread", "--verify", "--bs", bs, "--iodepth", "32",
            "--numjobs", "2", "--runtime", "1", "--size", "32M", "--output-format", "json", "--completion",
            completion));
        if (digests)
        {
            a.add("--hdgst");
            a.add("--ddgst");
        }
        final Run r = bench(args(address, a.toArray(String[]::new)));
        assertEquals(0, r.exit(), () -> r.out() + r.err());
        final JsonNode j = r.json();
        assertEquals("ok", j.get("result").asText(), r.out());
        assertTrue(j.get("read").get("iops").asDouble() > 0, r.out());
        assertTrue(j.get("read").get("ios").asLong() > 0, r.out());
        assertEquals(0, j.get("read").get("errors").asLong());
        assertEquals(0, j.get("errors").asLong());
        assertEquals(0, j.get("digest_errors").asLong());
        assertEquals(0, j.get("verify").get("mismatches").asLong());
        assertTrue(j.get("verify").get("checked_blocks").asLong() >= j.get("read").get("ios").asLong());
        assertEquals(0, j.get("write").get("ios").asLong());
        final JsonNode clat = j.get("read").get("clat_ns");
        assertTrue(clat.get("min").asLong() > 0 && clat.get("min").asLong() <= clat.get("max").asLong(), r.out());
        assertTrue(clat.get("percentile").get("50").asLong() <= clat.get("percentile").get("99.99").asLong());
        assertTrue(j.get("read").get("bw_mib_s").asDouble() > 0);
        assertTrue(j.get("cpu").get("total_s").asDouble() >= 0);
        assertTrue(j.get("cpu").get("per_1000_ios_s").isNumber(), r.out());
    }

    @ParameterizedTest(name = "randread --read-mode scatter --verify bs={0} completion={1}")
    @CsvSource({"4k, thread", "128k, thread", "512k, poll"})
    void verifiedScatterReads(final String bs, final String completion) throws Exception
    {
        final Run r = bench(args(address, "--rw", "randread", "--verify", "--bs", bs, "--iodepth", "32", "--numjobs",
            "2", "--runtime", "1", "--size", "32M", "--output-format", "json", "--completion", completion, "--hdgst",
            "--ddgst", "--read-mode", "scatter", "--scatter-window", "2M"));
        assertEquals(0, r.exit(), () -> r.out() + r.err());
        final JsonNode j = r.json();
        assertEquals("ok", j.get("result").asText(), r.out());
        assertEquals("scatter", j.get("options").get("read_mode").asText());
        assertEquals(2L << 20, j.get("host").get("scatter_window").asLong());
        assertTrue(j.get("read").get("ios").asLong() > 0, r.out());
        assertEquals(0, j.get("verify").get("mismatches").asLong());
        assertTrue(j.get("verify").get("checked_blocks").asLong() >= j.get("read").get("ios").asLong());
        // Over kernel TCP a scatter read's data is in the queue's bounce memory: copied once, nothing in place.
        assertTrue(j.get("host").get("copied_bytes").asLong() > 0, r.out());
        assertEquals(0, j.get("host").get("in_place_bytes").asLong());
    }

    @Test
    void scatterReadsFindWrongDataThroughTheirViews() throws Exception
    {
        try (NvmeTargetServer nul = start(TargetConfig.defaults(any(), Backend.Kind.NULL, SIZE)))
        {
            final Run r = bench(args("127.0.0.1:" + nul.address().getPort(), "--rw", "randread", "--verify", "--bs",
                "16k", "--iodepth", "4", "--runtime", "1", "--size", "1M", "--output-format", "json", "--read-mode",
                "scatter"));
            assertEquals(NvmeBench.EXIT_FAILED, r.exit(), () -> r.out() + r.err());
            assertTrue(r.json().get("verify").get("mismatches").asLong() > 0, r.out());
        }
        final Run bad = bench(args(address, "--read-mode", "gather"));
        assertEquals(NvmeBench.EXIT_USAGE, bad.exit());
        assertTrue(bad.err().contains("--read-mode must be copy or scatter"), bad.err());
        final Run small = bench(args(address, "--read-mode", "scatter", "--bs", "128k", "--scatter-window", "64k"));
        assertEquals(NvmeBench.EXIT_USAGE, small.exit());
        assertTrue(small.err().contains("--scatter-window must hold one command"), small.err());
    }

    @Test
    void patternChecksPiecesAtAnyOffset()
    {
        final BenchPattern p = new BenchPattern(7, 512);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buf = arena.allocate(8192);
            p.fill(buf, 0, 40, 16);
            // Pieces of odd sizes at odd offsets, as DDP_PLACE cuts them, copied elsewhere.
            final MemorySegment other = arena.allocate(8192);
            long at = 0;
            for (final int piece : new int[] {1, 7, 1900, 13, 3000, 3271})
            {
                MemorySegment.copy(buf, at, other, 8192 - at - piece, piece);
                assertEquals(-1, p.check(other, 8192 - at - piece, piece, 40, at), "piece at " + at);
                at += piece;
            }
            assertEquals(8192, at);
            // Corrupt data byte 1902: byte 1894 of the 1900-byte piece that starts at data offset 8.
            final long start = 8192 - 8 - 1900;
            final byte was = other.get(ValueLayout.JAVA_BYTE, start + 1894);
            other.set(ValueLayout.JAVA_BYTE, start + 1894, (byte)(was ^ 0x10));
            assertEquals(1902, p.check(other, start, 1900, 40, 8), "the bad byte, counted from the first block");
        }
    }

    @ParameterizedTest(name = "{0} --verify")
    @CsvSource({"randwrite", "write", "read"})
    void verifiedWritesAndSequentialReads(final String rw) throws Exception
    {
        final Run r = bench(args(address, "--rw", rw, "--verify", "--bs", "64k", "--iodepth", "16", "--numjobs", "2",
            "--runtime", "500ms", "--size", "8M", "--output-format", "json"));
        assertEquals(0, r.exit(), () -> r.out() + r.err());
        final JsonNode j = r.json();
        final String dir = rw.contains("write") ? "write" : "read";
        assertTrue(j.get(dir).get("ios").asLong() > 0, r.out());
        if (rw.contains("write"))
        {
            // The read-back covers the whole region: 8M / 512 blocks.
            assertEquals((8L << 20) / 512, j.get("verify").get("checked_blocks").asLong(), r.out());
        }
    }

    @Test
    void normalOutputLooksLikeFio()
    {
        final Run r = bench(args(address, "--rw", "randread", "--bs", "4k", "--iodepth", "8", "--runtime", "300ms",
            "--size", "4M"));
        assertEquals(0, r.exit(), () -> r.out() + r.err());
        assertTrue(r.out().contains("read: IOPS="), r.out());
        assertTrue(r.out().contains("clat percentiles (usec): p50="), r.out());
        assertTrue(r.out().contains("p99.99="), r.out());
        assertTrue(r.out().contains("CPU s per 1000 IOs"), r.out());
        assertTrue(r.out().contains("result: ok"), r.out());
    }

    @Test
    void dataDigestFaultsFailTheRun() throws Exception
    {
        try (NvmeTargetServer faulty = start(TargetConfig.defaults(any(), Backend.Kind.RAM, SIZE)
            .withFault(TargetConfig.Fault.DATA_DIGEST, 50)))
        {
            final Run r = bench(args("127.0.0.1:" + faulty.address().getPort(), "--rw", "randread", "--verify",
                "--ddgst", "--bs", "4k", "--iodepth", "8", "--numjobs", "2", "--runtime", "1", "--size", "4M",
                "--output-format", "json"));
            assertEquals(NvmeBench.EXIT_FAILED, r.exit(), () -> r.out() + r.err());
            final JsonNode j = r.json();
            assertEquals("failed", j.get("result").asText());
            assertTrue(j.get("digest_errors").asLong() > 0 || j.get("read").get("errors").asLong() > 0, r.out());
            assertTrue(r.err().contains("FAILED"), r.err());
        }
    }

    @Test
    void patternFindsTheFirstBadByte()
    {
        final BenchPattern one = new BenchPattern(1, 512);
        final BenchPattern two = new BenchPattern(2, 512);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buf = arena.allocate(4096);
            one.fill(buf, 0, 100, 8);
            assertEquals(-1, one.check(buf, 0, 100, 8));
            assertNotEquals(-1, two.check(buf, 0, 100, 8), "another seed");
            assertNotEquals(-1, one.check(buf, 0, 101, 7), "a block read from the wrong LBA");
            buf.set(ValueLayout.JAVA_BYTE, 3 * 512 + 77, (byte)(buf.get(
                ValueLayout.JAVA_BYTE, 3 * 512 + 77) ^ 0x10));
            assertEquals(3 * 512 + 77, one.check(buf, 0, 100, 8), "first bad byte, counted from the first block");
        }
    }

    @Test
    void verifyReportsFirstMismatchingLbaThroughTheCommand() throws Exception
    {
        // Corruption the digests cannot see: a NULL backend discards the pre-fill and reads back zeros, so the first
        // read checked must mismatch (randread), and so must the read-back of a write workload.
        try (NvmeTargetServer nul = start(TargetConfig.defaults(any(), Backend.Kind.NULL, SIZE)))
        {
            final Run r = bench(args("127.0.0.1:" + nul.address().getPort(), "--rw", "randread", "--verify", "--bs",
                "4k", "--iodepth", "4", "--runtime", "1", "--size", "1M", "--output-format", "json"));
            assertEquals(NvmeBench.EXIT_FAILED, r.exit(), () -> r.out() + r.err());
            final JsonNode j = r.json();
            assertTrue(j.get("verify").get("mismatches").asLong() > 0, r.out());
            final long lba = j.get("verify").get("first_mismatch_lba").asLong();
            final long offset = j.get("verify").get("first_mismatch_offset").asLong();
            assertTrue(lba >= 0 && lba < (1L << 20) / 512, r.out());
            assertTrue(offset >= lba * 512 && offset < (lba + 1) * 512, r.out());
            assertTrue(r.err().contains("first mismatching LBA " + lba), r.err());
        }
        try (NvmeTargetServer nul = start(TargetConfig.defaults(any(), Backend.Kind.NULL, SIZE)))
        {
            final Run r = bench(args("127.0.0.1:" + nul.address().getPort(), "--rw", "randwrite", "--verify", "--bs",
                "4k", "--iodepth", "4", "--runtime", "200ms", "--size", "1M"));
            assertEquals(NvmeBench.EXIT_FAILED, r.exit(), () -> r.out() + r.err());
            assertTrue(r.out().contains("first mismatching LBA"), r.out());
        }
    }

    @Test
    void offloadModeNeedsAnInterface()
    {
        // An empty --iface is no interface, whatever XTS_IFACE says.
        final Run empty = bench(args(address, "--mode", "offload", "--iface", ""));
        assertEquals(NvmeBench.EXIT_USAGE, empty.exit(), () -> empty.out() + empty.err());
        assertTrue(empty.err().contains("--mode offload needs --iface IF (or XTS_IFACE)"), empty.err());
        assertFalse(empty.err().contains("cannot connect"), empty.err());
        final String env = System.getenv("XTS_IFACE");
        if (null == env || env.isBlank())
        {
            final Run none = bench(args(address, "--mode", "offload"));
            assertEquals(NvmeBench.EXIT_USAGE, none.exit(), () -> none.out() + none.err());
            assertTrue(none.err().contains("--mode offload needs --iface IF (or XTS_IFACE)"), none.err());
        }
    }

    @Test
    void softwareModeIsNamedInTheReport() throws Exception
    {
        final Run r = bench(args(address, "--bs", "4k", "--iodepth", "4", "--runtime", "200ms", "--size", "1M",
            "--output-format", "json"));
        assertEquals(0, r.exit(), () -> r.out() + r.err());
        assertEquals("software", r.json().get("options").get("mode").asText(), r.out());
        assertTrue(r.json().get("cpu").get("per_1000_ios_s").isNumber(), r.out());
        final Run text = bench(args(address, "--bs", "4k", "--iodepth", "4", "--runtime", "200ms", "--size", "1M"));
        assertEquals(0, text.exit(), () -> text.out() + text.err());
        assertTrue(text.out().contains(" mode=software "), text.out());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--iodepth 0|--iodepth must be 1..128",
        "--iodepth 129|--iodepth must be 1..128",
        "--numjobs 0|--numjobs must be",
        "--rw randrw|--rw must be randread, randwrite, read or write",
        "--bs 1000|--bs must be a positive multiple of 512",
        "--bs 4x|not a size",
        "--size 100K --bs 64k|--size must be a positive multiple of --bs",
        "--size 128M|is more than the capacity of namespace 1",
        "--bs 64M|maximum transfer",
        "--runtime 0|--runtime must be more than 0",
        "--runtime abc|--runtime must be seconds",
        "--ramp -1|--ramp must be 0..604800 seconds",
        "--mode hardware|--mode must be offload or software",
        "--output-format xml|--output-format must be normal or json",
        "--nsid 0|--nsid must be",
        "--nsid 7|--nsid 7",
        "--iface no-such-if0|no network interface named",
        "--mode offload --iface no-such-if0|no network interface named",
        "--mode offload --iface lo --poll busy|--poll must be thread or app",
        "--mode offload --iface lo --queue -1|--queue must be >= 0",
        "--mode offload --iface lo --attach xdp|attach mode must be native or skb",
        "--ulp-push-after 100|--ulp-push-after is for --mode offload only",
        "--mode offload --iface lo --ulp-push-after 0|--ulp-push-after must be at least 1",
        "--completion irq|--completion must be poll or thread"})
    void rejectsBadInput(final String options, final String message)
    {
        final Run r = bench(args(address, options.split(" ")));
        assertEquals(2, r.exit(), () -> r.out() + r.err());
        assertTrue(r.err().contains(message), () -> "expected '" + message + "' in: " + r.err());
    }

    @Test
    void rejectsBadTargets()
    {
        for (final String t : new String[] {"localhost", "127.0.0.1:0", "127.0.0.1:x", "127.0.0.1:70000"})
        {
            final Run r = bench(args(t));
            assertEquals(2, r.exit(), t);
            assertTrue(r.err().contains("--target"), r.err());
        }
        final Run missing = bench("--subnqn", "x");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("--target"), missing.err());
    }

    @Test
    void connectionFailureExitsOne()
    {
        final Run r = bench(args(address.replace(String.valueOf(target.address().getPort()), "1"), "--runtime",
            "100ms"));
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("cannot connect"), r.err());
        final Run nqn = bench("--target", address, "--subnqn", "nqn.wrong", "--runtime", "100ms");
        assertEquals(1, nqn.exit(), nqn.err());
        assertFalse(nqn.err().isEmpty());
    }

    @Test
    void everyOptionHasHelp()
    {
        final CommandLine cl = new CommandLine(new NvmeBench());
        cl.getCommandSpec().options().forEach(o ->
            assertTrue(o.description().length > 0 && !o.description()[0].isBlank(), o.longestName()));
        final StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        assertEquals(0, cl.execute("--help"));
        assertTrue(out.toString().contains("--iodepth"));
    }
}
