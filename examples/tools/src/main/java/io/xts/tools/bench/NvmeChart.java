package io.xts.tools.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Draws {@link NvmeResults} as one PNG of two bar charts side by side, in the style of the seeds' "DDP (+ CRC
 * offload) vs SW (+ SW CRC)" slides: grouped bars per block size, offload against software; left the bandwidth
 * (with the raw AF_XDP link rate of the same run as a third bar), right the app host's CPU seconds per 1000 IOs
 * (offload: the process plus the XDP program, and beside it plus the whole NAPI thread, the conservative figure;
 * software: the process plus its veth's NAPI thread; results without host figures: the processes alone).
 * A mode with no figures is left out of the group and named in the chart's title as unavailable. Headless: the
 * caller sets {@code java.awt.headless=true} before AWT loads ({@link BenchChart} does).
 */
public final class NvmeChart
{
    /** Width of one panel, pixels. */
    static final int PANEL_WIDTH = 760;
    /** Height of the image, pixels. */
    static final int HEIGHT = 520;

    private static final Color OFFLOAD = new Color(0x76, 0xB9, 0x00);
    private static final Color OFFLOAD_ALL = new Color(0xB5, 0xD9, 0x80);
    private static final Color SOFTWARE = new Color(0x4A, 0x6F, 0xA5);
    private static final Color RAW = new Color(0xA0, 0xA0, 0xA0);

    private NvmeChart()
    {
    }

    /**
     * @param results what to draw.
     * @param png     the file to write (parent directories are made).
     * @throws IOException when it cannot be written.
     */
    public static void render(final NvmeResults results, final Path png) throws IOException
    {
        final Path parent = png.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        try (OutputStream out = Files.newOutputStream(png))
        {
            render(results, out);
        }
    }

    /**
     * @param results what to draw.
     * @param out     where the PNG goes.
     * @throws IOException when it cannot be written.
     */
    public static void render(final NvmeResults results, final OutputStream out) throws IOException
    {
        final List<CategoryChart> charts = List.of(bandwidth(results), cpu(results));
        BitmapEncoder.saveBitmap(charts, 1, charts.size(), out, BitmapEncoder.BitmapFormat.PNG);
    }

    static CategoryChart bandwidth(final NvmeResults r)
    {
        final CategoryChart chart = chart(r, "read bandwidth", "Gbit/s");
        final List<String> x = labels(r, true);
        add(chart, "offload (proxy: framing, CRC, DDP)", x, r, NvmeResults.Mode::gbps, true, OFFLOAD);
        add(chart, "software (app: framing, CRC)", x, r, NvmeResults.Mode::gbps, false, SOFTWARE);
        if (null != r.rawLink().gbps())
        {
            final List<Double> raw = new ArrayList<>();
            x.forEach(b -> raw.add(r.rawLink().gbps()));
            chart.addSeries("raw AF_XDP link, C (" + r.rawLink().frameBytes() + " B frames)", x, raw)
                .setFillColor(RAW);
            headroom(chart, raw);
        }
        chart.getStyler().setDecimalPattern("#0.0#");
        return chart;
    }

    static CategoryChart cpu(final NvmeResults r)
    {
        final boolean host = r.rows().stream().anyMatch(row -> null != row.offload().hostCpuPerKio() ||
            null != row.software().hostCpuPerKio());
        if (!host)
        {
            // Results of a run that did not sample the host (older results.json): the benchmark processes alone.
            final CategoryChart chart = chart(r, "app process CPU per 1000 IOs (lower is better)",
                "CPU seconds per 1000 IOs");
            final List<String> x = labels(r, false);
            add(chart, "offload", x, r, NvmeResults.Mode::cpuPerKio, true, OFFLOAD);
            add(chart, "software", x, r, NvmeResults.Mode::cpuPerKio, false, SOFTWARE);
            chart.getStyler().setDecimalPattern("#0.0###");
            return chart;
        }
        final CategoryChart chart = chart(r, "app-host CPU per 1000 IOs (lower is better)",
            "CPU seconds per 1000 IOs");
        final List<String> x = labels(r, false);
        add(chart, "offload: app + XDP program", x, r, NvmeResults.Mode::hostCpuPerKio, true, OFFLOAD);
        add(chart, "offload + whole NAPI thread", x, r, NvmeResults.Mode::allCpuPerKio, true, OFFLOAD_ALL);
        add(chart, "software: app + NAPI (kernel TCP)", x, r, NvmeResults.Mode::hostCpuPerKio, false, SOFTWARE);
        chart.getStyler().setDecimalPattern("#0.0###");
        return chart;
    }

    private static CategoryChart chart(final NvmeResults r, final String what, final String yTitle)
    {
        final List<String> missing = new ArrayList<>();
        if (r.rows().stream().noneMatch(row -> row.offload().available()))
        {
            missing.add("offload");
        }
        if (r.rows().stream().noneMatch(row -> row.software().available()))
        {
            missing.add("software");
        }
        final String title = "NVMe/TCP randread + data digest: " + what +
            (missing.isEmpty() ? "" : " [" + String.join(", ", missing) + ": unavailable]");
        final CategoryChart chart = new CategoryChartBuilder().width(PANEL_WIDTH).height(HEIGHT).title(title)
            .xAxisTitle("block size" + depth(r)).yAxisTitle(yTitle).build();
        final var styler = chart.getStyler();
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setLabelsVisible(true);
        styler.setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        styler.setLabelsPosition(0.92);
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setPlotGridVerticalLinesVisible(false);
        styler.setAvailableSpaceFill(0.8);
        styler.setYAxisMin(0.0);
        return chart;
    }

    private static void add(final CategoryChart chart, final String name, final List<String> x, final NvmeResults r,
        final Function<NvmeResults.Mode, Double> value, final boolean offload, final Color color)
    {
        if (r.rows().stream().noneMatch(row -> (offload ? row.offload() : row.software()).available()))
        {
            return;
        }
        final List<Double> y = new ArrayList<>();
        for (final NvmeResults.Row row : r.rows())
        {
            final NvmeResults.Mode m = offload ? row.offload() : row.software();
            final Double v = m.available() ? value.apply(m) : null;
            // A block size one mode has no figure for draws no bar there (0 would read as a measurement).
            y.add(null == v || !Double.isFinite(v) ? null : v);
        }
        chart.addSeries(name, x, y).setFillColor(color);
        headroom(chart, y);
    }

    /** Room above the tallest bar for its label. */
    private static void headroom(final CategoryChart chart, final List<Double> y)
    {
        final double max = y.stream().filter(v -> null != v).mapToDouble(Double::doubleValue).max().orElse(0);
        final Double current = chart.getStyler().getYAxisMax();
        if (max > 0 && (null == current || current < max * 1.12))
        {
            chart.getStyler().setYAxisMax(max * 1.12);
        }
    }

    /**
     * @return the block sizes, with gains "128K: offload +N%" like the seeds' "up to N% higher BW", else with the
     * CPU ratio "128K: offload/sw 0.45"; "offload n/a" where offload has no figures.
     */
    private static List<String> labels(final NvmeResults r, final boolean gains)
    {
        return r.rows().stream().map(row ->
        {
            final String bs = row.bs().toUpperCase(Locale.ROOT);
            if (!row.offload().available())
            {
                return bs + ": offload n/a";
            }
            if (gains)
            {
                return bs + (null != row.bwGain() ?
                    String.format(Locale.ROOT, ": offload %+.0f%%", 100 * row.bwGain()) : "");
            }
            return bs + (null != row.cpuRatio() ?
                String.format(Locale.ROOT, ": offload/sw %.2f", row.cpuRatio()) : "");
        }).toList();
    }

    private static String depth(final NvmeResults r)
    {
        final Object d = null == r.settings() ? null : r.settings().get("iodepth");
        final Object pin = null == r.settings() ? null : r.settings().get("pin");
        final String what = (null == d ? "" : "iodepth " + d) + (null == d || null == pin ? "" : ", ") +
            (null == pin ? "" : pin);
        return what.isEmpty() ? "" : " (" + what + ")";
    }
}
