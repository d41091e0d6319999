package io.xts.tools.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code xts bench-nvme-report}: the end of {@code scripts/bench-nvme}. Reads the runs the script left in
 * {@code --runs DIR} ({@code offload-BS.json}/{@code .err}/{@code .host.json}, {@code software-BS.json}/{@code .err}/
 * {@code .host.json}, see {@link NvmeResults#collect}), adds the raw link rate, writes results.json, optionally the
 * chart, and prints the table with, as its last line, {@code nvme-bench bs=128k offload_host_cpu_per_kio=..
 * sw_host_cpu_per_kio=.. cpu_ratio=.. all_cpu_ratio=.. offload_gbps=.. sw_gbps=.. raw_link_gbps=.. link_ratio=..
 * bw_ratio=..}.
 */
@Command(name = "bench-nvme-report", mixinStandardHelpOptions = true,
    description = {"Collect scripts/bench-nvme's runs into results.json (and a chart), print the table and the "
        + "summary line."})
public final class NvmeBenchReport implements Callable<Integer>
{
    @Option(names = "--runs", required = true, paramLabel = "DIR",
        description = "directory of MODE-BS.json (nvme-bench --output-format json), MODE-BS.err and MODE-BS.host.json "
            + "files")
    Path runs;

    @Option(names = "--bs", required = true, paramLabel = "BS[,BS...]", split = ",",
        description = "block sizes, in order, as named in the file names (e.g. 4k,128k,512k)")
    List<String> sizes;

    @Option(names = "--raw-link-runs", paramLabel = "GBPS[,GBPS...]", split = ",",
        description = "Gbit/s of each raw link run (C reference); the median is the raw link rate")
    List<Double> rawRuns = new ArrayList<>();

    @Option(names = "--frame", paramLabel = "BYTES", defaultValue = "3520",
        description = "frame size of the raw link runs (default ${DEFAULT-VALUE})")
    int frame;

    @Option(names = "--setting", paramLabel = "KEY=VALUE",
        description = "recorded in results.json's settings (numbers stay numbers)")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--date", paramLabel = "TEXT", description = "when the run was (default: now)")
    String date;

    @Option(names = "--json", required = true, paramLabel = "FILE", description = "results.json to write")
    Path json;

    @Option(names = "--chart", paramLabel = "FILE", description = "PNG chart to write (optional)")
    Path chart;

    @Override
    public Integer call() throws Exception
    {
        BenchChart.headless();
        final Map<String, Object> s = new LinkedHashMap<>();
        settings.forEach((k, v) -> s.put(k, value(v)));
        final NvmeResults.RawLink raw = new NvmeResults.RawLink(median(rawRuns), List.copyOf(rawRuns), frame);
        final NvmeResults results = NvmeResults.collect(runs, sizes, raw,
            null != date ? date : OffsetDateTime.now().withNano(0).toString(), s);
        results.write(json);
        if (null != chart)
        {
            NvmeChart.render(results, chart);
        }
        results.printTable(new PrintWriter(System.out, true));
        return 0;
    }

    /**
     * @param values the runs.
     * @return the median (the lower middle one of an even count), or null without any.
     */
    static Double median(final List<Double> values)
    {
        if (null == values || values.isEmpty())
        {
            return null;
        }
        final double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v[(v.length - 1) / 2];
    }

    static Object value(final String v)
    {
        if (v.matches("-?\\d{1,18}"))
        {
            return Long.parseLong(v);
        }
        if (v.matches("-?\\d+\\.\\d+"))
        {
            return Double.parseDouble(v);
        }
        if ("true".equals(v) || "false".equals(v))
        {
            return Boolean.parseBoolean(v);
        }
        return v;
    }
}
