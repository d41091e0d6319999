package io.xts.tools.xsk;

import io.xts.xsk.AttachMode;
import io.xts.xsk.BindMode;
import io.xts.xsk.Umem;
import io.xts.xsk.XdpProgram;
import io.xts.xsk.XskSocket;
import io.xts.tools.traffic.FrameGenerator;
import io.xts.tools.traffic.FrameSink;
import io.xts.tools.traffic.TestFrame;
import io.xts.tools.traffic.TrafficResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code xts xsk-bench rx|tx}: moves raw 0x88B5 frames through the Java AF_XDP driver as fast as it can, one
 * process per side, and prints one {@code xsk-bench role=... impl=java ...} line. Its options and output mirror the
 * C reference program (native-bindings/src/main/c/xsk_bench.c) so {@code scripts/bench-xsk} runs both the same way.
 */
@Command(name = "xsk-bench", mixinStandardHelpOptions = true,
    description = {
        "Send (tx) or receive (rx) raw EtherType 0x88B5 frames through the Java AF_XDP driver and print the rate.",
        "rx attaches the XTS steering program, prints 'ready' once its fill ring is stocked, and stops after",
        "--idle-timeout-ms without frames. tx sends for --duration seconds. Both print one result line."})
public final class XskBench implements Callable<Integer>
{
    @Parameters(index = "0", description = "rx or tx")
    String role;

    @Option(names = "--iface", required = true, description = "interface to bind")
    String iface;

    @Option(names = "--queue", defaultValue = "0", description = "queue id (default ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--attach", defaultValue = "native", description = "XDP attach mode for rx: native or skb")
    String attach;

    @Option(names = "--size", defaultValue = "64", description = "frame length in bytes (default ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--duration", defaultValue = "5", description = "tx seconds (default ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--batch", defaultValue = "64", description = "descriptors per batch (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--ring", defaultValue = "8192", description = "entries of every ring (default ${DEFAULT-VALUE})")
    int ring;

    @Option(names = "--frame-size", defaultValue = "4096", description = "UMEM frame size (default ${DEFAULT-VALUE})")
    int frameSize;

    @Option(names = "--frames", defaultValue = "16384", description = "UMEM frames (default ${DEFAULT-VALUE})")
    int frames;

    @Option(names = "--idle-timeout-ms", defaultValue = "1000",
        description = "rx stops after this long without frames (default ${DEFAULT-VALUE})")
    long idleTimeoutMs;

    @Option(names = "--max-wait", defaultValue = "-1",
        description = "rx overall limit in seconds (default duration+20)")
    double maxWait;

    @Option(names = "--dst-mac", defaultValue = "ff:ff:ff:ff:ff:ff", description = "destination MAC for tx")
    String dstMac;

    @Option(names = "--check-payload", description = "write (tx) or verify (rx) every payload byte")
    boolean checkPayload;

    @Option(names = "--count", defaultValue = "-1", description = "tx: stop after this many frames")
    long count;

    /**
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new XskBench()).execute(args));
    }

    @Override
    public Integer call()
    {
        final AttachMode mode = AttachMode.parse(attach);
        final AtomicBoolean running = new AtomicBoolean(true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> running.set(false)));
        final Umem.Config umemConfig = new Umem.Config(frames, frameSize, 0, ring, ring);
        final long wait = (long)((maxWait > 0 ? maxWait : duration + 20) * 1e9);
        switch (role)
        {
            case "rx" ->
            {
                try (XdpProgram program = XdpProgram.steering(iface, mode, false);
                    Umem umem = new Umem(umemConfig);
                    XskSocket socket = XskSocket.open(new XskSocket.Config(
                        iface, queue, ring, 0, BindMode.COPY, true, false, 20), umem, program))
                {
                    final FrameSink sink = new FrameSink(socket, batch, checkPayload);
                    System.out.println("ready");
                    System.out.flush();
                    final TrafficResult result = sink.run(Long.MAX_VALUE, idleTimeoutMs * 1_000_000L, wait,
                        running::get);
                    System.out.println(result.line());
                    return 0;
                }
            }
            case "tx" ->
            {
                try (Umem umem = new Umem(umemConfig);
                    XskSocket socket = XskSocket.open(new XskSocket.Config(
                        iface, queue, 0, ring, BindMode.COPY, true, false, 20), umem, null))
                {
                    final FrameGenerator generator = new FrameGenerator(socket, size, batch,
                        TestFrame.parseMac(dstMac), sourceMac(), checkPayload);
                    final TrafficResult result = generator.run(count > 0 ? count : Long.MAX_VALUE,
                        (long)(duration * 1e9), Long.MAX_VALUE, null, running::get);
                    System.out.println(result.line());
                    return 0;
                }
            }
            default -> throw new CommandLine.ParameterException(new CommandLine(this),
                "role must be rx or tx, got '" + role + "'");
        }
    }

    private byte[] sourceMac()
    {
        try
        {
            return TestFrame.interfaceMac(iface);
        }
        catch (final RuntimeException ex)
        {
            // Outside `ip netns exec` sysfs may show another namespace; any unicast MAC will do on veth.
            return TestFrame.parseMac("02:00:00:00:00:01");
        }
    }
}
