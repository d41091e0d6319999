package io.xts.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of one {@code scripts/bench-nvme} run: for each block size, {@code xts nvme-bench} in offload and in
 * software mode, and the raw AF_XDP link rate of the C reference measured in the same run; with the ratios the issue
 * asks for ({@code cpu_ratio} = offload host CPU per 1000 IOs / software's, {@code link_ratio} = offload Gbit/s / raw
 * link Gbit/s). Written to and read from JSON ({@code results.json}); {@link NvmeChart} draws it.
 * <p>
 * Host CPU is what the app host pays (docs: TESTBED.md, "Counting what the application host pays"): software mode,
 * over kernel TCP, the nvme-bench process plus its veth's NAPI thread (GRO and TCP receive); offload mode the process
 * plus the XDP program's own run time, with the app-host veth's NAPI thread (the copy into the UMEM, which a
 * zero-copy NIC does by DMA) shown apart and counted in {@code all_cpu_ratio}, the conservative one. The script
 * samples those beside each run ({@code MODE-BS.host.json}); without that file a mode has no host figures.
 * <p>
 * A mode that did not produce a successful run is {@link Mode#unavailable(String) unavailable} with the reason, and
 * every figure and ratio that would need it is null (JSON null, "nan" in the last line): nothing is made up.
 *
 * @param benchmark "bench-nvme".
 * @param date      when it ran (free text, ISO 8601 from the script).
 * @param settings  how it ran (workload, topology, runtime), free-form.
 * @param rawLink   the raw link measurement.
 * @param rows      one per block size, in the order run.
 */
public record NvmeResults(String benchmark, String date, Map<String, Object> settings, RawLink rawLink, List<Row> rows)
{
    /** The block size whose figures make the last line (the targets are at 128 KiB). */
    public static final String KEY_BS = "128k";

    static final ObjectMapper JSON = new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The C reference's AF_XDP rate over the app-proxy veth.
     *
     * @param gbps       the median of the runs, or null when not measured.
     * @param runs       every run's Gbit/s.
     * @param frameBytes the frame size, the link's (MTU + 14).
     */
    public record RawLink(Double gbps, List<Double> runs, int frameBytes)
    {
    }

    /**
     * One mode's run at one block size.
     *
     * @param available    whether it ran and succeeded.
     * @param reason       why not, when not available.
     * @param gbps         read bandwidth, Gbit/s.
     * @param iops         I/Os per second.
     * @param cpuSeconds   the app-host process's utime + stime over the measured time.
     * @param cpuPerKio    that per 1000 I/Os.
     * @param ios          I/Os completed in the measured time.
     * @param digestErrors data digest errors seen.
     * @param p99Us        99th percentile completion latency, microseconds.
     * @param host         what the app host paid beside the process, or null when not sampled.
     */
    public record Mode(boolean available, String reason, Double gbps, Double iops, Double cpuSeconds, Double cpuPerKio,
        Long ios, Long digestErrors, Double p99Us, Host host)
    {
        /**
         * @param reason why there are no figures.
         * @return a mode without figures.
         */
        public static Mode unavailable(final String reason)
        {
            return new Mode(false, reason, null, null, null, null, null, null, null, null);
        }

        /**
         * @param h the app host's other counters of this run.
         * @return this mode with them.
         */
        public Mode withHost(final Host h)
        {
            return new Mode(available, reason, gbps, iops, cpuSeconds, cpuPerKio, ios, digestErrors, p99Us, h);
        }

        /** @return the host CPU seconds per 1000 IOs (see {@link Host#cpuPerKio}), or null. */
        public Double hostCpuPerKio()
        {
            return null == host ? null : host.cpuPerKio();
        }

        /** @return the process plus the whole NAPI thread per 1000 IOs (see {@link Host#allCpuPerKio}), or null. */
        public Double allCpuPerKio()
        {
            return null == host ? null : host.allCpuPerKio();
        }

        /**
         * Read the figures from {@code xts nvme-bench --output-format json}.
         *
         * @param json its output.
         * @return the mode: available when the run's result is "ok" with I/Os and CPU figures.
         */
        public static Mode fromNvmeBench(final JsonNode json)
        {
            if (null == json || !json.isObject())
            {
                return unavailable("no JSON result");
            }
            if (!"ok".equals(json.path("result").asText()))
            {
                final String failure = json.path("failure").asText("");
                return unavailable("run failed" + (failure.isEmpty() ? "" : ": " + failure));
            }
            final JsonNode read = json.path("read");
            final JsonNode cpu = json.path("cpu");
            final long ios = read.path("ios").asLong(0);
            if (ios <= 0 || !read.path("bw_gbit_s").isNumber())
            {
                return unavailable("no I/O completed");
            }
            final JsonNode offload = json.path("offload");
            if ("offload".equals(json.path("options").path("mode").asText()) && offload.isObject() &&
                offload.path("queues_offloaded").asInt(0) < offload.path("queues").asInt(1))
            {
                // Ran, but not offloaded: the proxy refused the ULP and the queues framed in software over XTS.
                return unavailable("the proxy did not take the ULP: " + offload.path("queues_offloaded").asInt(0) +
                    " of " + offload.path("queues").asInt(1) + " queues offloaded (software fallback over XTS, " +
                    json.path("read").path("bw_gbit_s").asDouble() + " Gbit/s)");
            }
            final Double perKio = cpu.path("per_1000_ios_s").isNumber() ? cpu.path("per_1000_ios_s").asDouble() : null;
            final Double total = cpu.path("total_s").isNumber() ? cpu.path("total_s").asDouble() : null;
            final JsonNode p99 = read.path("clat_ns").path("percentile").path("99");
            return new Mode(true, null, read.path("bw_gbit_s").asDouble(), read.path("iops").asDouble(), total, perKio,
                ios, json.path("digest_errors").asLong(0), p99.isNumber() ? p99.asDouble() / 1e3 : null, null);
        }
    }

    /**
     * What the app host paid over a run's measured window beside the benchmark process, sampled by the script, and
     * the sums that make host CPU.
     *
     * @param napiIface           the app-host veth whose NAPI thread was counted.
     * @param napiSeconds         CPU seconds of that NAPI thread.
     * @param xdpSeconds          the XDP program's own run time on the app host (offload; 0 in software mode).
     * @param xdpRuns             its runs.
     * @param voluntaryCs         the process's voluntary context switches (all threads).
     * @param nonvoluntaryCs      and nonvoluntary ones.
     * @param cpuSeconds          host CPU: the process plus, in software mode, the NAPI thread (kernel TCP's receive
     *                            work), in offload mode the XDP program.
     * @param cpuPerKio           that per 1000 IOs.
     * @param allCpuSeconds       the process plus the whole NAPI thread (offload: the copy into the UMEM too).
     * @param allCpuPerKio        that per 1000 IOs.
     * @param napiPerKio          the NAPI thread per 1000 IOs (offload: the NIC's share, apart).
     * @param xdpPerKio           the XDP program per 1000 IOs.
     * @param voluntaryCsPerGb    voluntary context switches per GB read.
     * @param nonvoluntaryCsPerGb nonvoluntary ones per GB.
     */
    public record Host(String napiIface, Double napiSeconds, Double xdpSeconds, Long xdpRuns, Long voluntaryCs,
        Long nonvoluntaryCs, Double cpuSeconds, Double cpuPerKio, Double allCpuSeconds, Double allCpuPerKio,
        Double napiPerKio, Double xdpPerKio, Double voluntaryCsPerGb, Double nonvoluntaryCsPerGb)
    {
        /**
         * @param sample  the script's {@code MODE-BS.host.json}: napi_iface, napi_s, xdp_s, xdp_runs, voluntary_cs,
         *                nonvoluntary_cs (a missing or non-numeric figure is null).
         * @param offload whether the run was offload (host CPU takes the XDP program, not the NAPI thread).
         * @param m       the run's figures from nvme-bench (process CPU, IOs).
         * @param bsBytes the block size.
         * @return the host figures.
         */
        public static Host of(final JsonNode sample, final boolean offload, final Mode m, final long bsBytes)
        {
            final Double napi = number(sample, "napi_s");
            final Double xdp = number(sample, "xdp_s");
            final Double vcs = number(sample, "voluntary_cs");
            final Double nvcs = number(sample, "nonvoluntary_cs");
            final Double xdpRuns = number(sample, "xdp_runs");
            final Double app = m.cpuSeconds();
            final Double host = sum(app, offload ? xdp : napi);
            final Double all = sum(app, napi);
            final double kio = null == m.ios() ? 0 : m.ios() / 1000.0;
            final double gb = null == m.ios() ? 0 : m.ios() * (double)bsBytes / 1e9;
            return new Host(sample.path("napi_iface").asText(null), napi, xdp,
                null == xdpRuns ? null : xdpRuns.longValue(), null == vcs ? null : vcs.longValue(),
                null == nvcs ? null : nvcs.longValue(), host, per(host, kio), all, per(all, kio), per(napi, kio),
                per(xdp, kio), per(vcs, gb), per(nvcs, gb));
        }

        private static Double number(final JsonNode n, final String field)
        {
            final JsonNode v = n.path(field);
            return v.isNumber() ? v.asDouble() : null;
        }

        private static Double sum(final Double a, final Double b)
        {
            return null == a || null == b ? null : a + b;
        }

        private static Double per(final Double v, final double unit)
        {
            return null == v || !(unit > 0) ? null : v / unit;
        }
    }

    /**
     * One block size.
     *
     * @param bs          as given to nvme-bench (4k, 128k, ...).
     * @param bsBytes     in bytes.
     * @param offload     the offload run.
     * @param software    the software run.
     * @param cpuRatio    offload host CPU per kIO / software's, or null.
     * @param allCpuRatio offload (process + whole NAPI thread) per kIO / software's host CPU per kIO, or null.
     * @param appCpuRatio the benchmark processes' CPU alone, offload / software, or null.
     * @param linkRatio   offload Gbit/s / raw link Gbit/s, or null.
     * @param bwRatio     offload Gbit/s / software's, or null.
     * @param bwGain      bwRatio - 1 (the seeds' "higher BW"), or null.
     */
    public record Row(String bs, long bsBytes, Mode offload, Mode software, Double cpuRatio, Double allCpuRatio,
        Double appCpuRatio, Double linkRatio, Double bwRatio, Double bwGain)
    {
        /**
         * @param bs       the block size as written.
         * @param offload  the offload run.
         * @param software the software run.
         * @param rawGbps  the raw link rate, or null.
         * @return the row with its ratios.
         */
        public static Row of(final String bs, final Mode offload, final Mode software, final Double rawGbps)
        {
            final boolean both = offload.available() && software.available();
            final Double cpuRatio = both ? ratio(offload.hostCpuPerKio(), software.hostCpuPerKio()) : null;
            final Double allRatio = both ? ratio(offload.allCpuPerKio(), software.allCpuPerKio()) : null;
            final Double appRatio = both ? ratio(offload.cpuPerKio(), software.cpuPerKio()) : null;
            final Double linkRatio = offload.available() ? ratio(offload.gbps(), rawGbps) : null;
            final Double bw = both ? ratio(offload.gbps(), software.gbps()) : null;
            return new Row(bs, parseSize(bs), offload, software, cpuRatio, allRatio, appRatio, linkRatio, bw,
                null == bw ? null : bw - 1);
        }
    }

    /**
     * Assemble the results from a run directory where the script left, per block size {@code BS} and mode
     * {@code M} (offload, software), {@code M-BS.json} (nvme-bench's JSON output), {@code M-BS.err} (its
     * stderr) and {@code M-BS.host.json} (the app host's other counters, see {@link Host#of}). A missing or failed
     * run is unavailable, with the reason taken from its stderr.
     *
     * @param runs     the directory.
     * @param sizes    the block sizes, in order.
     * @param rawLink  the raw link measurement.
     * @param date     when.
     * @param settings how.
     * @return the results.
     */
    public static NvmeResults collect(final Path runs, final List<String> sizes, final RawLink rawLink,
        final String date, final Map<String, Object> settings)
    {
        final List<Row> rows = new ArrayList<>();
        for (final String bs : sizes)
        {
            rows.add(Row.of(bs, mode(runs, "offload", bs), mode(runs, "software", bs), rawLink.gbps()));
        }
        return new NvmeResults("bench-nvme", date, settings, rawLink, rows);
    }

    static Mode mode(final Path runs, final String mode, final String bs)
    {
        final Path json = runs.resolve(mode + "-" + bs + ".json");
        final Path err = runs.resolve(mode + "-" + bs + ".err");
        JsonNode node = null;
        String problem = "not run";
        if (Files.isRegularFile(json))
        {
            try
            {
                final String text = Files.readString(json);
                node = text.isBlank() ? null : JSON.readTree(text);
                problem = "no JSON result";
            }
            catch (final IOException e)
            {
                problem = "unreadable JSON result: " + e.getMessage();
            }
        }
        final Mode m = null == node ? Mode.unavailable(problem) : Mode.fromNvmeBench(node);
        if (m.available())
        {
            final Path host = runs.resolve(mode + "-" + bs + ".host.json");
            if (Files.isRegularFile(host))
            {
                try
                {
                    final JsonNode sample = JSON.readTree(Files.readString(host));
                    if (null != sample && sample.isObject())
                    {
                        return m.withHost(Host.of(sample, "offload".equals(mode), m, parseSize(bs)));
                    }
                }
                catch (final IOException e)
                {
                    // No host figures: the ratios that need them stay null.
                }
            }
            return m;
        }
        final String why = reason(err);
        return null == why ? m : Mode.unavailable(null == node ? why : m.reason() + "; " + why);
    }

    /** @return the first line of a stderr file that names the problem, without its "nvme-bench: " prefix. */
    static String reason(final Path err)
    {
        if (!Files.isRegularFile(err))
        {
            return null;
        }
        try
        {
            String first = null;
            for (final String line : Files.readAllLines(err))
            {
                final String l = line.strip();
                if (l.startsWith("nvme-bench: ") && !l.startsWith("nvme-bench: note:"))
                {
                    return l.substring("nvme-bench: ".length());
                }
                if (null == first && !l.isEmpty() && !l.startsWith("WARNING"))
                {
                    first = l;
                }
            }
            return first;
        }
        catch (final IOException e)
        {
            return null;
        }
    }

    /**
     * @param path a results.json.
     * @return the results in it.
     * @throws IOException when it cannot be read or is not results.
     */
    public static NvmeResults read(final Path path) throws IOException
    {
        final NvmeResults r = JSON.readValue(path.toFile(), NvmeResults.class);
        if (null == r.rows() || null == r.rawLink())
        {
            throw new IOException(path + ": not bench-nvme results (no rows or raw_link)");
        }
        return r;
    }

    /**
     * @param path where to write the JSON.
     * @throws IOException when it cannot be written.
     */
    public void write(final Path path) throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        Files.writeString(path, JSON.writeValueAsString(this) + "\n");
    }

    /** @return the row of {@link #KEY_BS}, else the last row, else null. */
    public Row keyRow()
    {
        for (final Row r : rows)
        {
            if (KEY_BS.equalsIgnoreCase(r.bs()))
            {
                return r;
            }
        }
        return rows.isEmpty() ? null : rows.getLast();
    }

    /**
     * Print the table (one row per block size), the CPU details per mode, the raw link and, last, the summary line of
     * {@link #keyRow()}: {@code nvme-bench bs=128k offload_host_cpu_per_kio= sw_host_cpu_per_kio= cpu_ratio=
     * all_cpu_ratio= offload_gbps= sw_gbps= raw_link_gbps= link_ratio= bw_ratio=}; unavailable figures are "nan"
     * there and "n/a" in the tables, and the reasons are printed between the two.
     *
     * @param out where.
     */
    public void printTable(final PrintWriter out)
    {
        final String row = "%-6s %12s %8s %8s %10s %16s %12s %9s %13s%n";
        out.printf(Locale.ROOT, row, "bs", "offload_gbps", "sw_gbps", "bw_ratio", "link_ratio", "offload_host/kIO",
            "sw_host/kIO", "cpu_ratio", "all_cpu_ratio");
        for (final Row r : rows)
        {
            out.printf(Locale.ROOT, row, r.bs(), fmt(r.offload().gbps(), 3, "n/a"), fmt(r.software().gbps(), 3, "n/a"),
                fmt(r.bwRatio(), 3, "n/a"), fmt(r.linkRatio(), 3, "n/a"), fmt(r.offload().hostCpuPerKio(), 4, "n/a"),
                fmt(r.software().hostCpuPerKio(), 4, "n/a"), fmt(r.cpuRatio(), 3, "n/a"),
                fmt(r.allCpuRatio(), 3, "n/a"));
        }
        out.println("CPU seconds per 1000 IOs over the measured window. app: the nvme-bench process; host: what the " +
            "app host pays\n(software: app + its veth's NAPI thread; offload: app + XDP program); NAPI: the app-host " +
            "veth's NAPI thread\n(offload: the NIC's share, apart); all: app + NAPI. cs/GB: the process's context " +
            "switches, voluntary/nonvoluntary.");
        final String detail = "%-6s %-8s %10s %9s %9s %9s %9s %9s %17s %10s %9s%n";
        out.printf(Locale.ROOT, detail, "bs", "mode", "Gbit/s", "app", "XDP", "NAPI", "host", "all",
            "cs/GB vol/nonvol", "IOPS", "p99_us");
        for (final Row r : rows)
        {
            for (final Mode m : List.of(r.offload(), r.software()))
            {
                if (!m.available())
                {
                    continue;
                }
                final Host h = m.host();
                out.printf(Locale.ROOT, detail, r.bs(), m == r.offload() ? "offload" : "software",
                    fmt(m.gbps(), 3, "n/a"), fmt(m.cpuPerKio(), 4, "n/a"),
                    null == h ? "n/a" : m == r.offload() ? fmt(h.xdpPerKio(), 4, "n/a") : "-",
                    null == h ? "n/a" : fmt(h.napiPerKio(), 4, "n/a"), fmt(m.hostCpuPerKio(), 4, "n/a"),
                    fmt(m.allCpuPerKio(), 4, "n/a"),
                    null == h ? "n/a" : fmt(h.voluntaryCsPerGb(), 0, "n/a") + "/" +
                        fmt(h.nonvoluntaryCsPerGb(), 0, "n/a"),
                    fmt(m.iops(), 0, "n/a"), fmt(m.p99Us(), 0, "n/a"));
            }
        }
        out.printf(Locale.ROOT, "raw AF_XDP link (C reference, %d-byte frames): %s Gbit/s%s%n", rawLink.frameBytes(),
            fmt(rawLink.gbps(), 3, "n/a"), null == rawLink.runs() || rawLink.runs().isEmpty() ? "" :
                " (median of " + rawLink.runs().size() + ": " + String.join(" ",
                    rawLink.runs().stream().map(v -> fmt(v, 3, "n/a")).toList()) + ")");
        for (final Row r : rows)
        {
            if (!r.offload().available())
            {
                out.println("offload " + r.bs() + ": unavailable (" + r.offload().reason() + ")");
            }
            if (!r.software().available())
            {
                out.println("software " + r.bs() + ": unavailable (" + r.software().reason() + ")");
            }
        }
        out.println(lastLine());
        out.flush();
    }

    /** @return the summary line of {@link #keyRow()}. */
    public String lastLine()
    {
        final Row r = keyRow();
        if (null == r)
        {
            return "nvme-bench bs=" + KEY_BS + " offload_host_cpu_per_kio=nan sw_host_cpu_per_kio=nan cpu_ratio=nan " +
                "all_cpu_ratio=nan offload_gbps=nan sw_gbps=nan raw_link_gbps=" + fmt(rawLink.gbps(), 3, "nan") +
                " link_ratio=nan bw_ratio=nan";
        }
        return "nvme-bench bs=" + r.bs() +
            " offload_host_cpu_per_kio=" + fmt(r.offload().hostCpuPerKio(), 4, "nan") +
            " sw_host_cpu_per_kio=" + fmt(r.software().hostCpuPerKio(), 4, "nan") +
            " cpu_ratio=" + fmt(r.cpuRatio(), 3, "nan") +
            " all_cpu_ratio=" + fmt(r.allCpuRatio(), 3, "nan") +
            " offload_gbps=" + fmt(r.offload().gbps(), 3, "nan") +
            " sw_gbps=" + fmt(r.software().gbps(), 3, "nan") +
            " raw_link_gbps=" + fmt(rawLink.gbps(), 3, "nan") +
            " link_ratio=" + fmt(r.linkRatio(), 3, "nan") +
            " bw_ratio=" + fmt(r.bwRatio(), 3, "nan");
    }

    static String fmt(final Double v, final int decimals, final String missing)
    {
        return null == v || !Double.isFinite(v) ? missing : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static Double ratio(final Double a, final Double b)
    {
        return null == a || null == b || !(b > 0) || !Double.isFinite(a) ? null : a / b;
    }

    /**
     * @param bs 4k, 128K, 512k, 1m, 4096.
     * @return bytes.
     * @throws IllegalArgumentException when it is not a size.
     */
    static long parseSize(final String bs)
    {
        final String t = bs.strip().toLowerCase(Locale.ROOT);
        if (t.isEmpty())
        {
            throw new IllegalArgumentException("empty block size");
        }
        final char last = t.charAt(t.length() - 1);
        final int shift = switch (last)
        {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        final String digits = 0 == shift ? t : t.substring(0, t.length() - 1);
        try
        {
            final long v = Long.parseLong(digits);
            if (v <= 0)
            {
                throw new IllegalArgumentException("block size must be positive: " + bs);
            }
            return v << shift;
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException("not a block size: '" + bs + "'");
        }
    }
}
