package io.xts.tools.bench;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The results of scripts/bench-nvme without the network: nvme-bench JSON read into figures, unavailable runs kept
 * unavailable (no made-up numbers), ratios, the table and its last line, results.json round trip, the median, and
 * the chart (a valid PNG of the expected size, headless).
 */
class NvmeResultsTest
{
    private static final String LAST = "nvme-bench bs=128k offload_host_cpu_per_kio=0.0612 " +
        "sw_host_cpu_per_kio=0.1704 cpu_ratio=0.359 all_cpu_ratio=0.513 offload_gbps=6.000 sw_gbps=8.000 " +
        "raw_link_gbps=10.000 link_ratio=0.600 bw_ratio=0.750";
    private static final byte[] PNG_MAGIC = {(byte)0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @TempDir
    Path dir;

    @BeforeAll
    static void headless()
    {
        System.setProperty("java.awt.headless", "true");
    }

    /** The shape of {@code xts nvme-bench --output-format json} (only the fields the report reads, and some more). */
    static String benchJson(final String mode, final long bs, final double gbps, final double iops, final long ios,
        final double cpuTotal, final double perKio)
    {
        return """
            {
              "program" : "xts nvme-bench",
              "options" : { "mode" : "%s", "bs" : %d, "iodepth" : 128, "ddgst" : true },
              "read" : { "io_bytes" : %d, "ios" : %d, "runtime_s" : 10.0, "iops" : %s, "bw_mib_s" : 1.0,
                         "bw_gbit_s" : %s, "errors" : 0,
                         "clat_ns" : { "min" : 1, "max" : 9, "mean" : 5.0, "stddev" : 1.0,
                                       "percentile" : { "50" : 1000, "99" : 250000 } } },
              "write" : { "ios" : 0, "bw_gbit_s" : 0.0 },
              "errors" : 0,
              "digest_errors" : 0,
              "cpu" : { "user_s" : 1.0, "sys_s" : 1.0, "total_s" : %s, "util_pct" : 20.0, "per_1000_ios_s" : %s },
              "result" : "ok",
              "failure" : null
            }
            """.formatted(mode, bs, ios * bs, ios, iops, gbps, cpuTotal, perKio);
    }

    /** The shape of scripts/bench-nvme's MODE-BS.host.json. */
    static String host(final String iface, final double napi, final double xdp, final long vcs, final long nvcs)
    {
        return """
            { "napi_iface" : "%s", "napi_s" : %s, "xdp_s" : %s, "xdp_runs" : 12345, "voluntary_cs" : %d,
              "nonvoluntary_cs" : %d, "pin" : "pinned" }
            """.formatted(iface, napi, xdp, vcs, nvcs);
    }

    private void write(final String name, final String text) throws Exception
    {
        Files.writeString(dir.resolve(name), text);
    }

    private NvmeResults sample(final boolean withOffload) throws Exception
    {
        write("software-4k.json", benchJson("software", 4096, 2.0, 61035.0, 610350, 9.0, 0.0147));
        write("software-128k.json", benchJson("software", 131072, 8.0, 7629.0, 76290, 10.0, 0.1311));
        write("software-512k.json", benchJson("software", 524288, 9.0, 2145.0, 21450, 9.5, 0.4429));
        if (withOffload)
        {
            write("offload-4k.json", benchJson("offload", 4096, 1.5, 45776.0, 457760, 4.0, 0.0087));
            write("offload-128k.json", benchJson("offload", 131072, 6.0, 5722.0, 57220, 3.0, 0.0524));
            write("offload-512k.json", benchJson("offload", 524288, 7.0, 1669.0, 16690, 2.5, 0.1498));
            write("offload-128k.host.json", host("xa-t", 2.0, 0.5, 5000, 1000));
        }
        else
        {
            for (final String bs : List.of("4k", "128k", "512k"))
            {
                write("offload-" + bs + ".json", "");
                write("offload-" + bs + ".err", "WARNING: something of the JVM\n" +
                    "nvme-bench: --mode offload is not available in this build: transport OFFLOAD is not " +
                    "implemented yet\n");
            }
        }
        write("software-128k.host.json", host("xd-t", 3.0, 0.0, 9000, 300));
        return NvmeResults.collect(dir, List.of("4k", "128k", "512k"),
            new NvmeResults.RawLink(10.0, List.of(9.0, 10.0, 11.0), 3520), "2026-11-23T10:00:00Z",
            Map.of("iodepth", 128, "ddgst", true));
    }

    @Test
    void readsFiguresAndComputesRatios() throws Exception
    {
        final NvmeResults r = sample(true);
        assertEquals(3, r.rows().size());
        final NvmeResults.Row row = r.keyRow();
        assertEquals("128k", row.bs());
        assertEquals(131072, row.bsBytes());
        assertTrue(row.offload().available());
        assertEquals(6.0, row.offload().gbps());
        assertEquals(0.0524, row.offload().cpuPerKio());
        assertEquals(250.0, row.offload().p99Us());
        assertEquals(76290L, row.software().ios());
        // Host CPU: offload = process + XDP program, software = process + its NAPI thread; "all" = process + NAPI.
        final double offHost = (3.0 + 0.5) / 57.220;
        final double swHost = (10.0 + 3.0) / 76.290;
        assertEquals(offHost, row.offload().hostCpuPerKio(), 1e-12);
        assertEquals(swHost, row.software().hostCpuPerKio(), 1e-12);
        assertEquals(swHost, row.software().allCpuPerKio(), 1e-12);
        assertEquals((3.0 + 2.0) / 57.220, row.offload().allCpuPerKio(), 1e-12);
        assertEquals(offHost / swHost, row.cpuRatio(), 1e-12);
        assertEquals((3.0 + 2.0) / 57.220 / swHost, row.allCpuRatio(), 1e-12);
        assertEquals(0.0524 / 0.1311, row.appCpuRatio(), 1e-12);
        assertEquals(2.0 / 57.220, row.offload().host().napiPerKio(), 1e-12);
        assertEquals(5000 / (57220.0 * 131072 / 1e9), row.offload().host().voluntaryCsPerGb(), 1e-9);
        assertEquals("xa-t", row.offload().host().napiIface());
        assertEquals(12345L, row.offload().host().xdpRuns());
        assertEquals(0.6, row.linkRatio(), 1e-12);
        assertEquals(0.75, row.bwRatio(), 1e-12);
        assertEquals(-0.25, row.bwGain(), 1e-12);
        // Without a host sample a mode has no host figures, and no ratio is made up from the process alone.
        assertNull(r.rows().get(0).offload().host());
        assertNull(r.rows().get(0).cpuRatio());
        assertEquals(0.0087 / 0.0147, r.rows().get(0).appCpuRatio(), 1e-12);
        assertEquals(LAST, r.lastLine());
        final StringWriter out = new StringWriter();
        r.printTable(new PrintWriter(out));
        final String[] lines = out.toString().split("\n");
        assertEquals(r.lastLine(), lines[lines.length - 1]);
        assertTrue(lines[0].startsWith("bs "), lines[0]);
        assertTrue(lines[2].startsWith("128k ") && lines[2].contains("0.359") && lines[2].contains("0.513") &&
            lines[2].contains("0.750"), lines[2]);
        assertTrue(out.toString().contains("667/133"), out.toString());
        assertTrue(out.toString().contains("median of 3: 9.000 10.000 11.000"), out.toString());
    }

    @Test
    void unavailableOffloadHasNoFigures() throws Exception
    {
        final NvmeResults r = sample(false);
        for (final NvmeResults.Row row : r.rows())
        {
            assertFalse(row.offload().available());
            assertEquals("--mode offload is not available in this build: transport OFFLOAD is not implemented yet",
                row.offload().reason());
            assertNull(row.offload().gbps());
            assertNull(row.cpuRatio());
            assertNull(row.linkRatio());
            assertNull(row.bwGain());
            assertTrue(row.software().available());
        }
        assertEquals("nvme-bench bs=128k offload_host_cpu_per_kio=nan sw_host_cpu_per_kio=0.1704 cpu_ratio=nan " +
            "all_cpu_ratio=nan offload_gbps=nan sw_gbps=8.000 raw_link_gbps=10.000 link_ratio=nan bw_ratio=nan",
            r.lastLine());
        final StringWriter out = new StringWriter();
        r.printTable(new PrintWriter(out));
        assertTrue(out.toString().contains("offload 128k: unavailable (--mode offload is not available"),
            out.toString());
    }

    @Test
    void failedOrMissingRunsAreUnavailable() throws Exception
    {
        write("software-4k.json", benchJson("software", 4096, 2.0, 1, 10, 1, 0.1).replace("\"result\" : \"ok\"",
            "\"result\" : \"failed\"").replace("\"failure\" : null", "\"failure\" : \"3 I/O errors\""));
        write("software-4k.err", "nvme-bench: FAILED: 3 I/O errors\n");
        write("offload-4k.json", "{ not json");
        final NvmeResults.Mode sw = NvmeResults.mode(dir, "software", "4k");
        assertFalse(sw.available());
        assertEquals("run failed: 3 I/O errors; FAILED: 3 I/O errors", sw.reason());
        final NvmeResults.Mode off = NvmeResults.mode(dir, "offload", "4k");
        assertFalse(off.available());
        assertTrue(off.reason().startsWith("unreadable JSON result"), off.reason());
        assertEquals("not run", NvmeResults.mode(dir, "offload", "512k").reason());
        // No I/O at all is no figure either.
        write("software-512k.json", benchJson("software", 524288, 0.0, 0, 0, 1, 0));
        assertEquals("no I/O completed", NvmeResults.mode(dir, "software", "512k").reason());
    }

    @Test
    void offloadThatFellBackToSoftwareIsNotOffload() throws Exception
    {
        final String ran = benchJson("offload", 131072, 3.0, 2861.0, 28610, 5.0, 0.17);
        write("offload-128k.json", ran.replace("\"digest_errors\" : 0,", "\"digest_errors\" : 0, \"offload\" : " +
            "{ \"queues\" : 1, \"queues_offloaded\" : 0, \"placed_bytes\" : 0, \"unregistered_bytes\" : 9 },"));
        final NvmeResults.Mode fell = NvmeResults.mode(dir, "offload", "128k");
        assertFalse(fell.available());
        assertTrue(fell.reason().startsWith("the proxy did not take the ULP: 0 of 1 queues offloaded"),
            fell.reason());
        assertNull(fell.gbps());
        write("offload-128k.json", ran.replace("\"digest_errors\" : 0,", "\"digest_errors\" : 0, \"offload\" : " +
            "{ \"queues\" : 1, \"queues_offloaded\" : 1, \"placed_bytes\" : 9, \"unregistered_bytes\" : 0 },"));
        final NvmeResults.Mode took = NvmeResults.mode(dir, "offload", "128k");
        assertTrue(took.available(), took.reason());
        assertEquals(3.0, took.gbps());
    }

    @Test
    void resultsRoundTripThroughJson() throws Exception
    {
        final NvmeResults r = sample(true);
        final Path json = dir.resolve("out/results.json");
        r.write(json);
        final NvmeResults back = NvmeResults.read(json);
        assertEquals(r, back);
        assertEquals(128, ((Number)back.settings().get("iodepth")).intValue());
        final String text = Files.readString(json);
        assertTrue(text.contains("\"raw_link\""), text);
        assertTrue(text.contains("\"cpu_per_kio\" : 0.1311"), text);
        assertTrue(text.contains("\"cpu_ratio\" : null"), text);
        assertTrue(text.contains("\"napi_per_kio\""), text);
        // A results.json of a run before host figures (no host, no all_cpu_ratio) still reads, without them.
        final String old = text.replaceAll("(?s),\\s*\"host\" : (null|\\{[^}]*\\})", "")
            .replaceAll(",\\s*\"(all_cpu_ratio|app_cpu_ratio|bw_ratio)\" : [^,}\\s]+", "");
        assertFalse(old.contains("\"host\""), old);
        Files.writeString(dir.resolve("old.json"), old);
        final NvmeResults before = NvmeResults.read(dir.resolve("old.json"));
        assertNull(before.keyRow().offload().host());
        assertNull(before.keyRow().allCpuRatio());
        NvmeChart.render(before, dir.resolve("old.png"));
        Files.writeString(dir.resolve("bad.json"), "{\"benchmark\":\"x\"}");
        assertThrows(IOException.class, () -> NvmeResults.read(dir.resolve("bad.json")));
    }

    @Test
    void parsesBlockSizesAndMedians()
    {
        assertEquals(4096, NvmeResults.parseSize("4k"));
        assertEquals(131072, NvmeResults.parseSize("128K"));
        assertEquals(1L << 20, NvmeResults.parseSize("1m"));
        assertEquals(512, NvmeResults.parseSize("512"));
        assertThrows(IllegalArgumentException.class, () -> NvmeResults.parseSize("4x"));
        assertThrows(IllegalArgumentException.class, () -> NvmeResults.parseSize("0k"));
        assertEquals(10.0, NvmeBenchReport.median(Arrays.asList(11.0, 9.0, 10.0)));
        assertEquals(9.0, NvmeBenchReport.median(Arrays.asList(11.0, 9.0)));
        assertNull(NvmeBenchReport.median(List.of()));
        assertEquals(128L, NvmeBenchReport.value("128"));
        assertEquals(2.5, NvmeBenchReport.value("2.5"));
        assertEquals(true, NvmeBenchReport.value("true"));
        assertEquals("xts nvme-target", NvmeBenchReport.value("xts nvme-target"));
    }

    private static void assertPng(final Path png, final int width, final int height) throws Exception
    {
        assertTrue(Files.size(png) > 1000, "PNG of " + Files.size(png) + " bytes");
        try (InputStream in = Files.newInputStream(png))
        {
            assertArrayEquals(PNG_MAGIC, in.readNBytes(8));
        }
        final BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "ImageIO cannot decode " + png);
        assertEquals(width, image.getWidth());
        assertEquals(height, image.getHeight());
        // Not blank: bars of more than one colour were drawn.
        final Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < height; y += 4)
        {
            for (int x = 0; x < width; x += 4)
            {
                colours.add(image.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 5, colours.size() + " colours");
    }

    @Test
    void drawsAPngWithBothModesAndWithOffloadUnavailable() throws Exception
    {
        final Path full = dir.resolve("charts/full.png");
        NvmeChart.render(sample(true), full);
        assertPng(full, 2 * NvmeChart.PANEL_WIDTH, NvmeChart.HEIGHT);
        final Path partial = dir.resolve("charts/partial.png");
        NvmeChart.render(sample(false), partial);
        assertPng(partial, 2 * NvmeChart.PANEL_WIDTH, NvmeChart.HEIGHT);
    }

    @Test
    void commandsWriteResultsChartAndLastLine() throws Exception
    {
        sample(true);
        final Path json = dir.resolve("results.json");
        final Path png = dir.resolve("chart.png");
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream saved = System.out;
        final int exit;
        try
        {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new NvmeBenchReport()).execute("--runs", dir.toString(), "--bs", "4k,128k,512k",
                "--raw-link-runs", "11.0,9.0,10.0", "--frame", "3520", "--setting", "iodepth=128", "--setting",
                "target=xts nvme-target --backend ram", "--json", json.toString(), "--chart", png.toString());
        }
        finally
        {
            System.setOut(saved);
        }
        assertEquals(0, exit);
        final String[] lines = bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(LAST, lines[lines.length - 1]);
        final NvmeResults r = NvmeResults.read(json);
        assertEquals(10.0, r.rawLink().gbps());
        assertEquals("xts nvme-target --backend ram", r.settings().get("target"));
        assertPng(png, 2 * NvmeChart.PANEL_WIDTH, NvmeChart.HEIGHT);

        final Path again = dir.resolve("again.png");
        assertEquals(0, new CommandLine(new BenchChart()).execute("--in", json.toString(), "--out", again.toString()));
        assertPng(again, 2 * NvmeChart.PANEL_WIDTH, NvmeChart.HEIGHT);
        assertEquals(1, new CommandLine(new BenchChart()).execute("--in", dir.resolve("none.json").toString(),
            "--out", again.toString()));
    }
}
