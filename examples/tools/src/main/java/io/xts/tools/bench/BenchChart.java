package io.xts.tools.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code xts bench-chart --in results.json --out chart.png}: draws the results of {@code scripts/bench-nvme}
 * ({@link NvmeResults}) as a PNG with XChart ({@link NvmeChart}), headless.
 */
@Command(name = "bench-chart", mixinStandardHelpOptions = true,
    description = {"Draw scripts/bench-nvme's results.json as a PNG: grouped bars per block size, offload against "
        + "software, bandwidth (with the raw link) and app-host CPU per 1000 IOs. Headless."})
public final class BenchChart implements Callable<Integer>
{
    @Option(names = "--in", required = true, paramLabel = "FILE", description = "results.json of scripts/bench-nvme")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the PNG to write")
    Path out;

    @Override
    public Integer call() throws Exception
    {
        headless();
        NvmeChart.render(NvmeResults.read(in), out);
        System.out.println("bench-chart: wrote " + out);
        return 0;
    }

    /** Make AWT headless (no display needed) unless the JVM was told otherwise; before any AWT class loads. */
    static void headless()
    {
        if (null == System.getProperty("java.awt.headless"))
        {
            System.setProperty("java.awt.headless", "true");
        }
    }
}
