package io.xts.tools;

import io.xts.examples.net.EchoServer;
import io.xts.examples.net.HttpGet;
import io.xts.examples.net.HttpServer;
import io.xts.examples.net.Nc;
import io.xts.examples.nvme.NvmeReadWrite;
import io.xts.proxy.ProxyCommand;
import io.xts.tools.bench.BenchChart;
import io.xts.tools.bench.NvmeBenchReport;
import io.xts.tools.bench.RttClient;
import io.xts.tools.bench.StreamClient;
import io.xts.tools.link.LinkStream;
import io.xts.tools.nvme.NvmeBench;
import io.xts.tools.nvme.NvmeTarget;
import io.xts.tools.stat.Stat;
import io.xts.tools.xsk.XskBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one launcher for every command-line tool of XTS-J ({@code scripts/xts <command> ...}). Each command is a
 * picocli subcommand; {@code xts --help} lists them: the proxy, the examples (io.xts.examples) and the tools.
 */
@Command(name = "xts", mixinStandardHelpOptions = true, version = "XTS-J 0.1.0",
    description = "XTS-J: TCP and NVMe/TCP offload through AF_XDP, in Java.",
    subcommands = {XskBench.class, LinkStream.class, Stat.class, Nc.class, EchoServer.class, HttpServer.class,
        HttpGet.class, StreamClient.class, RttClient.class, CommandLine.HelpCommand.class,
        ProxyCommand.class, NvmeTarget.class,
        NvmeBench.class, NvmeBenchReport.class, NvmeReadWrite.class,
        BenchChart.class})
public final class Xts implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * @param args the command and its arguments.
     */
    public static void main(final String[] args)
    {
        final CommandLine commandLine = new CommandLine(new Xts());
        commandLine.setExecutionExceptionHandler((ex, cmd, parsed) ->
        {
            cmd.getErr().println("xts " + cmd.getCommandName() + ": " + ex.getMessage());
            return 1;
        });
        System.exit(commandLine.execute(args));
    }

    @Override
    public void run()
    {
        spec.commandLine().usage(System.out);
    }
}
