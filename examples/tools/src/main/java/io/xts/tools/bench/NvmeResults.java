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
 * asks for ({@code cpu_ratio} = offload CPU per 1000 IOs / software's, {@code link_ratio} = offload Gbit/s / raw link
 * Gbit/s). Written to and read from JSON ({@code results.json}); {@link NvmeChart} draws it.
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
     */
    public record Mode(boolean available, String reason, Double gbps, Double iops, Double cpuSeconds, Double cpuPerKio,
        Long ios, Long digestErrors, Double p99Us)
    {
        /**
         * @param reason why there are no figures.
         * @return a mode without figures.
         */
        public static Mode unavailable(final String reason)
        {
            return new Mode(false, reason, null, null, null, null, null, null, null);
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
                ios, json.path("digest_errors").asLong(0), p99.isNumber() ? p99.asDouble() / 1e3 : null);
        }
    }

    /**
     * One block size.
     *
     * @param bs        as given to nvme-bench (4k, 128k, ...).
     * @param bsBytes   in bytes.
     * @param offload   the offload run.
     * @param software  the software run.
     * @param cpuRatio  offload CPU per kIO / software's, or null.
     * @param linkRatio offload Gbit/s / raw link Gbit/s, or null.
     * @param bwGain    offload Gbit/s / software's - 1 (the seeds' "higher BW"), or null.
     */
    public record Row(String bs, long bsBytes, Mode offload, Mode software, Double cpuRatio, Double linkRatio,
        Double bwGain)
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
            final Double cpuRatio = offload.available() && software.available() ?
                ratio(offload.cpuPerKio(), software.cpuPerKio()) : null;
            final Double linkRatio = offload.available() ? ratio(offload.gbps(), rawGbps) : null;
            final Double gain = offload.available() && software.available() ? ratio(offload.gbps(), software.gbps()) :
                null;
            return new Row(bs, parseSize(bs), offload, software, cpuRatio, linkRatio, null == gain ? null : gain - 1);
        }
    }

    /**
     * Assemble the results from a run directory where the script left, per block size {@code BS} and mode
     * {@code M} (offload, software), {@code M-BS.json} (nvme-bench's JSON output) and {@code M-BS.err} (its
     * stderr). A missing or failed run is unavailable, with the reason taken from its stderr.
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
     * Print the table (one row per block size) and, last, the summary line of {@link #keyRow()}:
     * {@code nvme-bench bs=128k offload_cpu_per_kio= sw_cpu_per_kio= cpu_ratio= offload_gbps= sw_gbps=
     * raw_link_gbps= link_ratio=}; unavailable figures are "nan" there and "n/a" in the table, and the reasons are
     * printed between the two.
     *
     * @param out where.
     */
    public void printTable(final PrintWriter out)
    {
        out.printf(Locale.ROOT, "%-6s %12s %10s %14s %12s %10s %11s %9s %10s %10s%n", "bs", "offload_gbps", "sw_gbps",
            "offload_cpu/kIO", "sw_cpu/kIO", "cpu_ratio", "link_ratio", "bw_gain", "offload_iops", "sw_iops");
        for (final Row r : rows)
        {
            out.printf(Locale.ROOT, "%-6s %12s %10s %14s %12s %10s %11s %9s %10s %10s%n", r.bs(),
                fmt(r.offload().gbps(), 3, "n/a"), fmt(r.software().gbps(), 3, "n/a"),
                fmt(r.offload().cpuPerKio(), 4, "n/a"), fmt(r.software().cpuPerKio(), 4, "n/a"),
                fmt(r.cpuRatio(), 3, "n/a"), fmt(r.linkRatio(), 3, "n/a"),
                null == r.bwGain() ? "n/a" : String.format(Locale.ROOT, "%+.0f%%", 100 * r.bwGain()),
                fmt(r.offload().iops(), 0, "n/a"), fmt(r.software().iops(), 0, "n/a"));
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
            return "nvme-bench bs=" + KEY_BS + " offload_cpu_per_kio=nan sw_cpu_per_kio=nan cpu_ratio=nan " +
                "offload_gbps=nan sw_gbps=nan raw_link_gbps=" + fmt(rawLink.gbps(), 4, "nan") + " link_ratio=nan";
        }
        return "nvme-bench bs=" + r.bs() +
            " offload_cpu_per_kio=" + fmt(r.offload().cpuPerKio(), 4, "nan") +
            " sw_cpu_per_kio=" + fmt(r.software().cpuPerKio(), 4, "nan") +
            " cpu_ratio=" + fmt(r.cpuRatio(), 3, "nan") +
            " offload_gbps=" + fmt(r.offload().gbps(), 3, "nan") +
            " sw_gbps=" + fmt(r.software().gbps(), 3, "nan") +
            " raw_link_gbps=" + fmt(rawLink.gbps(), 3, "nan") +
            " link_ratio=" + fmt(r.linkRatio(), 3, "nan");
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
