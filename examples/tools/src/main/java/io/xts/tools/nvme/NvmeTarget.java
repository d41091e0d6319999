package io.xts.tools.nvme;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code xts nvme-target}: a real NVMe/TCP controller over kernel TCP, with one namespace held in memory or in
 * nothing at all, for tests and benchmarks of NVMe/TCP hosts and of the offload proxy. See {@link NvmeTargetServer}.
 */
@Command(name = "nvme-target", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "An NVMe/TCP target over kernel TCP for tests and benchmarks: one subsystem with one namespace (NSID 1, "
            + "512-byte blocks). Speaks ICReq/ICResp (digests as the host asks), Fabrics Connect (dynamic "
            + "controllers), Property Get/Set, Identify, Set/Get Features, Keep Alive, Get Log Page (zeros), Read, "
            + "Write (in-capsule or R2T), Write Zeroes and Flush.",
        "Prints 'nvme-target listening on ADDR:PORT nqn=.. backend=.. size=..' once listening and one line per "
            + "connection start and end; stops cleanly (exit 0) on SIGTERM or Ctrl-C.",
        "SIZE and BYTES take K, M, G or T suffixes (binary: 1K = 1024).", ""})
public final class NvmeTarget implements Callable<Integer>
{
    @Option(names = "--listen", required = true, paramLabel = "ADDR:PORT",
        description = "address and TCP port to listen on, e.g. 127.0.0.1:4420 or 0.0.0.0:4420 (port 0: any free port)")
    String listen;

    @Option(names = "--backend", required = true, paramLabel = "null|ram",
        description = "null: reads return zeros and writes are discarded (transport only); ram: the namespace is kept "
            + "in --size bytes of off-heap memory, so data written reads back")
    String backend;

    @Option(names = "--size", required = true, paramLabel = "SIZE",
        description = "namespace size, a multiple of 512 (e.g. 64M, 1G); NSZE = NCAP = NUSE = SIZE / 512")
    String size;

    @Option(names = "--nqn", paramLabel = "NQN", defaultValue = TargetConfig.DEFAULT_NQN,
        description = "subsystem NQN a host's Connect must name (default ${DEFAULT-VALUE})")
    String nqn;

    @Option(names = "--max-c2h-data", paramLabel = "BYTES", defaultValue = "128K",
        description = "split reads (and Identify/log data) into C2HData PDUs of at most this many bytes, "
            + "LAST_PDU on the last (default ${DEFAULT-VALUE})")
    String maxC2hData;

    @Option(names = "--max-h2c-data", paramLabel = "BYTES", defaultValue = "128K",
        description = "MAXH2CDATA announced in ICResp: most bytes per H2CData PDU; at least 4K (default "
            + "${DEFAULT-VALUE})")
    String maxH2cData;

    @Option(names = "--r2t-size", paramLabel = "BYTES", defaultValue = "0",
        description = "bytes asked for per R2T for writes without in-capsule data; 0 asks for the whole transfer in "
            + "one R2T (default ${DEFAULT-VALUE}). At most MAXR2T+1 (from the host's ICReq, up to 16) are "
            + "outstanding per command")
    String r2tSize;

    @Option(names = "--in-capsule", paramLabel = "BYTES", defaultValue = "8K",
        description = "in-capsule data limit of I/O queues, a multiple of 16, advertised as IOCCSZ = (64 + BYTES) "
            + "/ 16; writes that fit may carry their data in the command capsule, larger ones go through R2T. "
            + "Admin and Fabrics commands always accept 8K (default ${DEFAULT-VALUE})")
    String inCapsule;

    @Option(names = "--success-flag",
        description = "end every successful Read with SUCCESS on its last C2HData and send no CapsuleResp (the "
            + "specification allows it only when the host disabled SQ flow control; this target does it regardless, "
            + "for testing)")
    boolean successFlag;

    @Option(names = "--fault", paramLabel = "data-digest|header",
        description = "corrupt on purpose, to test a host's error paths: data-digest spoils the DDGST of every Nth "
            + "C2HData (only on connections with data digests); header spoils every Nth CapsuleResp, C2HData or R2T "
            + "header: its HDGST with header digests on, else its HLEN")
    String fault;

    @Option(names = "--fault-every", paramLabel = "N", defaultValue = "1",
        description = "with --fault, corrupt every Nth eligible PDU of each connection (default ${DEFAULT-VALUE})")
    int faultEvery;

    PrintStream out = System.out;

    /**
     * Parse the options into a configuration.
     *
     * @return the configuration.
     * @throws Exception when an option is wrong.
     */
    TargetConfig config() throws Exception
    {
        final int colon = listen.lastIndexOf(':');
        if (colon < 0)
        {
            throw new IllegalArgumentException("--listen must be ADDR:PORT, got '" + listen + "'");
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port = Integer.parseInt(listen.substring(colon + 1));
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("--listen port must be 0-65535, got " + port);
        }
        final Backend.Kind kind = switch (backend.toLowerCase(Locale.ROOT))
        {
            case "null" -> Backend.Kind.NULL;
            case "ram" -> Backend.Kind.RAM;
            default -> throw new IllegalArgumentException("--backend must be null or ram, got '" + backend + "'");
        };
        final TargetConfig.Fault f = null == fault ? TargetConfig.Fault.NONE :
            switch (fault.toLowerCase(Locale.ROOT))
            {
                case "data-digest" -> TargetConfig.Fault.DATA_DIGEST;
                case "header" -> TargetConfig.Fault.HEADER;
                case "none" -> TargetConfig.Fault.NONE;
                default -> throw new IllegalArgumentException("--fault must be data-digest or header, got '" + fault +
                    "'");
            };
        return new TargetConfig(new InetSocketAddress(InetAddress.getByName(host), port), kind, Sizes.parse(size), nqn,
            intSize("--max-c2h-data", maxC2hData), intSize("--max-h2c-data", maxH2cData),
            intSize("--r2t-size", r2tSize), intSize("--in-capsule", inCapsule), successFlag, f, faultEvery);
    }

    private static int intSize(final String option, final String text)
    {
        final long v = Sizes.parse(text);
        if (v > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(option + " too large: " + text);
        }
        return (int)v;
    }

    @Override
    public Integer call() throws Exception
    {
        final TargetConfig config = config();
        final NvmeTargetServer server = new NvmeTargetServer(config, out);
        server.start();
        final CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM / Ctrl-C: close the listener and every connection, free the backend, then exit 0 (a JVM stopped by
        // a signal otherwise exits 143; the stop is orderly, so the status says success).
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            server.close();
            stopped.countDown();
            out.flush();
            Runtime.getRuntime().halt(0);
        }, "nvme-target-stop"));
        stopped.await();
        return 0;
    }
}
