package io.xts.tools.nvme;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.xts.examples.net.StackOptions;
import io.xts.nvme.host.Namespace;
import io.xts.nvme.host.NvmeController;
import io.xts.nvme.host.NvmeException;
import io.xts.nvme.host.NvmeQueue;
import io.xts.sockets.XtsStack;
import io.xts.tools.bench.WindowMarks;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code xts nvme-bench}: an fio-like load generator for NVMe/TCP controllers on the {@link io.xts.nvme.host} library.
 * <p>
 * Each of {@code --numjobs} jobs owns one I/O queue and one platform thread and keeps {@code --iodepth} commands of
 * {@code --bs} bytes in flight over the region {@code [0, --size)} of the namespace: random {@code bs}-aligned offsets
 * for randread/randwrite (uniform, with repetition, like fio's {@code norandommap}), sequential and wrapping for
 * read/write (job j starts at j/numjobs of the region). After {@code --ramp} seconds the completions of
 * {@code --runtime} seconds are counted and their latency (submission to completion, fio's clat) recorded in an
 * HdrHistogram per job (3 significant digits), merged at the end. Any I/O error stops that job.
 * <p>
 * Completions: THREAD mode with re-submission from the completion handler, by default, because it is the cheaper of
 * the two. The queue's reader thread blocks in read(2) (no CPU while waiting), wakes with a batch of PDUs, and runs
 * for each command the latency recording, the pattern check and the next submission itself, so the data path is
 * still one thread per job with no hand-off; the job's own thread only starts the phase and waits for it to end
 * (checking every 5 ms). POLL mode ({@code --completion poll}) makes the job thread spin on a non-blocking
 * {@link NvmeQueue#poll()}: it burns a whole core per job whether or not data is there, and on a machine that also
 * runs the target (or more jobs than cores) it takes the CPU the other side needs. Measured on the 2-core development
 * machine against {@code xts nvme-target --backend ram} on loopback (randread, iodepth 32, 2 jobs, 3 s): 4K thread
 * 77k IOPS at 0.014 CPU s per 1000 IOs vs poll 47k at 0.027; 128K thread 16.6k IOPS at 0.082 vs poll 13.7k at 0.095.
 * Polling may still win latency on a host with idle cores to spare, hence the option.
 * <p>
 * {@code --verify}: first the pattern of {@link BenchPattern} (a function of the LBA and {@code --seed}) is written
 * over the whole region by all jobs; then every completed read of the workload is checked byte for byte; for write
 * workloads the writes carry the pattern and the whole region is read back and checked at the end. The first
 * mismatching LBA and byte offset are printed and the command fails.
 * <p>
 * {@code --mode offload}: the queues' TCP connections go through the XTS proxy, over an {@link XtsStack} built from
 * the options every XTS example shares ({@link StackOptions}: {@code --iface} (required here, or {@code XTS_IFACE}),
 * {@code --queue}, {@code --attach}, {@code --poll app|thread}, {@code --receive-window}, {@code --link-timeout});
 * the proxy frames the PDUs, checks and computes the digests and places read data straight into the command's
 * buffer ({@link NvmeController.Transport#OFFLOAD}). The stack is opened before the controller connects and closed
 * after it. The hidden testing option {@code --ulp-push-after N} starts the offloaded queues in software and has
 * them push the ULP to the proxy after N commands, mid-stream, which exercises the proxy's resync.
 * <p>
 * {@code --read-mode scatter}: reads are {@link NvmeQueue#readScatter scatter reads}, which complete with their data
 * where it arrived (with {@code --mode offload}, the link frames the proxy's DDP_PLACE pieces came in: no copy on this
 * host; over kernel TCP, the queue's bounce memory) and are released before the slot's next command; {@code --verify}
 * checks the data through the list's views. Reads beyond the queue's scatter window ({@code --scatter-window}, by
 * default half of {@code --receive-window} through the proxy) wait in the queue until lists are released. The default,
 * {@code copy}, reads into the job's buffers: one copy on this host (from the frame or the receive buffer; over kernel
 * TCP, payloads of 16 KiB or more come straight from the socket, the kernel's copy). The report gives the bytes copied
 * on this host and the bytes handed over in place.
 * <p>
 * CPU: utime + stime of the whole process (every thread: the jobs, the queues' reader threads, the XTS stack's poller
 * if it has one, the JIT and GC) from /proc/self/stat, over the measured {@code --runtime} only.
 * <p>
 * Exit status: 0 success; 1 an I/O error, a verify mismatch, a digest error, a failed connection or a link to the
 * proxy that did not come up; 2 invalid input (including {@code --mode offload} without an interface).
 */
@Command(name = "nvme-bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "fio-like benchmark of an NVMe/TCP controller through the XTS-J host library: --numjobs I/O queues, each "
            + "driven by its own thread with --iodepth commands of --bs bytes in flight over [0, --size) of the "
            + "namespace, for --runtime seconds after --ramp seconds.",
        "Prints IOPS, bandwidth, completion latency (min/avg/max, p50..p99.99), errors, digest errors and the "
            + "process CPU (utime+stime) per 1000 I/Os; --output-format json prints one JSON object instead.",
        "SIZE takes K, M, G or T suffixes (binary: 1K = 1024). Exit status: 0 ok, 1 I/O error, verify mismatch, "
            + "digest error or connection failure, 2 invalid input.", ""})
public final class NvmeBench implements Callable<Integer>
{
    /** Exit status of a failed run. */
    static final int EXIT_FAILED = 1;
    /** Exit status of invalid input. */
    static final int EXIT_USAGE = 2;
    /** Percentiles reported, in percent. */
    static final double[] PERCENTILES = {50, 90, 99, 99.9, 99.99};
    /** USER_HZ: the unit of utime and stime in /proc/self/stat (100 on every Linux architecture in use). */
    private static final long CLOCK_TICKS = 100;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--target", required = true, paramLabel = "ADDR:PORT",
        description = "the NVMe/TCP controller, e.g. 192.168.1.2:4420 or [fe80::1]:4420")
    String target;

    @Option(names = "--subnqn", required = true, paramLabel = "NQN", description = "subsystem NQN to connect to")
    String subnqn;

    @Option(names = "--nsid", paramLabel = "N", defaultValue = "1",
        description = "namespace to run against (default ${DEFAULT-VALUE})")
    long nsid;

    /** --iface, --queue, --attach, --poll, --receive-window, --link-timeout: the XTS stack of --mode offload. */
    @Mixin
    StackOptions stack = new StackOptions();

    @Option(names = "--rw", paramLabel = "randread|randwrite|read|write", defaultValue = "randread",
        description = "workload: random or sequential reads or writes (default ${DEFAULT-VALUE})")
    String rw;

    @Option(names = "--bs", paramLabel = "SIZE", defaultValue = "4K",
        description = "bytes per command: a multiple of the namespace block size, at most the controller's maximum "
            + "transfer (MDTS) (default ${DEFAULT-VALUE})")
    String bs;

    @Option(names = "--iodepth", paramLabel = "N", defaultValue = "32",
        description = "commands in flight per job, 1.." + NvmeController.MAX_QUEUE_DEPTH +
            " (default ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--numjobs", paramLabel = "N", defaultValue = "1",
        description = "jobs: I/O queues, one thread each (default ${DEFAULT-VALUE})")
    int numjobs;

    @Option(names = "--runtime", paramLabel = "S", defaultValue = "10",
        description = "seconds measured, after --ramp; also 500ms, 2m (default ${DEFAULT-VALUE})")
    String runtime;

    @Option(names = "--ramp", paramLabel = "S", defaultValue = "0",
        description = "seconds of load before measuring starts (default ${DEFAULT-VALUE})")
    String ramp;

    @Option(names = "--size", paramLabel = "SIZE",
        description = "region [0, SIZE) of the namespace to use: a multiple of --bs, at most the namespace "
            + "capacity (default: the whole namespace, rounded down to --bs)")
    String size;

    @Option(names = "--mode", paramLabel = "offload|software", defaultValue = "software",
        description = "software: PDUs framed and digests computed in this JVM over kernel TCP; offload: through the "
            + "XTS proxy on the AF_XDP link of --iface, which frames PDUs, checks and computes digests and places "
            + "read data (needs --iface or XTS_IFACE) (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--ulp-push-after", paramLabel = "N", hidden = true,
        description = "testing, --mode offload only: start the queues in software and push the ULP to the proxy "
            + "after N commands, mid-stream (exercises the proxy's resync)")
    Integer ulpPushAfter;

    @Option(names = "--read-mode", paramLabel = "copy|scatter", defaultValue = "copy",
        description = "copy: reads into the job's buffers (one copy on this host); scatter: reads complete with their "
            + "data where it arrived, as views checked in place and then released (no copy with --mode offload) "
            + "(default ${DEFAULT-VALUE})")
    String readMode;

    @Option(names = "--scatter-window", paramLabel = "SIZE",
        description = "--read-mode scatter: bytes of read data each queue holds at most, in flight and unreleased "
            + "(default: half of --receive-window with --mode offload, 4M with --mode software)")
    String scatterWindow;

    @Option(names = "--hdgst", description = "ask for PDU header digests (CRC32C)")
    boolean hdgst;

    @Option(names = "--ddgst", description = "ask for PDU data digests (CRC32C)")
    boolean ddgst;

    @Option(names = "--verify",
        description = "write a pattern derived from each LBA and --seed over the whole region first, check every "
            + "byte of every read against it (write workloads: write the pattern, read all back at the end); a "
            + "mismatch prints the first bad LBA and offset and fails the run")
    boolean verify;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0x58545321",
        description = "seed of the --verify pattern (default ${DEFAULT-VALUE})", converter = LongConverter.class)
    long seed;

    @Option(names = "--mark-window", description = {"print 'xts-window start' and 'xts-window end' on stderr at the "
        + "edges of the measured window, the end with this process's context switches over it (scripts/bench-nvme "
        + "samples the app host's other counters there)"})
    boolean markWindow;

    @Option(names = "--output-format", paramLabel = "normal|json", defaultValue = "normal",
        description = "normal: fio-style text; json: one JSON object with the same figures (default ${DEFAULT-VALUE})")
    String outputFormat;

    @Option(names = "--completion", paramLabel = "poll|thread", defaultValue = "thread",
        description = "thread: the queue's reader thread blocks in read, completes and re-submits (cheaper in CPU per "
            + "I/O); poll: each job's thread spins polling its queue and completes on it, one busy core per job "
            + "(default ${DEFAULT-VALUE})")
    String completion;

    /** Invalid input: exit {@link #EXIT_USAGE} with the message. */
    static final class UsageException extends Exception
    {
        private static final long serialVersionUID = 1L;

        UsageException(final String message)
        {
            super(message);
        }
    }

    /** Parses 123, 0x7B. */
    static final class LongConverter implements CommandLine.ITypeConverter<Long>
    {
        @Override
        public Long convert(final String value)
        {
            final String v = value.trim().toLowerCase(Locale.ROOT);
            return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
        }
    }

    /** The options, checked. */
    record Settings(InetSocketAddress address, boolean random, boolean write, long bs, double runtimeS, double rampS,
        long size, boolean json, boolean polled, boolean offload, String iface, boolean scatter, long scatterWindow)
    {
        /** @return "offload" or "software". */
        String modeName()
        {
            return offload ? "offload" : "software";
        }
    }

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try
        {
            final Settings s = check();
            if (!s.offload() && null != s.iface() && !s.json())
            {
                err.println("nvme-bench: note: --iface " + s.iface() + " is for --mode offload; the software " +
                    "transport uses kernel TCP routing");
            }
            return run(s, out, err);
        }
        catch (final UsageException e)
        {
            err.println("nvme-bench: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
        finally
        {
            out.flush();
            err.flush();
        }
    }

    /**
     * Check everything that can be checked before connecting.
     *
     * @return the settings.
     * @throws UsageException naming the option that is wrong.
     */
    Settings check() throws UsageException
    {
        final boolean offload = switch (mode.toLowerCase(Locale.ROOT))
        {
            case "offload" -> true;
            case "software" -> false;
            default -> throw new UsageException("--mode must be offload or software, got '" + mode + "'");
        };
        // The interface: for offload it must be named (--iface or XTS_IFACE) and valid; for software only an
        // explicit --iface is looked at (a stray XTS_IFACE in the environment must not fail a kernel-TCP run).
        final boolean ifaceGiven = null != spec && spec.commandLine().getParseResult().hasMatchedOption("--iface");
        final String iface = offload || ifaceGiven ? stack.iface() : null;
        if (offload)
        {
            if (null == iface)
            {
                throw new UsageException("--mode offload needs --iface IF (or XTS_IFACE): the interface of the AF_XDP "
                    + "link to the XTS proxy");
            }
            try
            {
                stack.validate();
            }
            catch (final IllegalArgumentException e)
            {
                throw new UsageException(e.getMessage());
            }
        }
        if (null != ulpPushAfter)
        {
            if (!offload)
            {
                throw new UsageException("--ulp-push-after is for --mode offload only");
            }
            if (ulpPushAfter < 1)
            {
                throw new UsageException("--ulp-push-after must be at least 1 command, got " + ulpPushAfter);
            }
        }
        final InetSocketAddress address = parseTarget(target);
        if (subnqn.isEmpty() || subnqn.length() > 223 || !subnqn.chars().allMatch(c -> c >= 0x20 && c <= 0x7E))
        {
            throw new UsageException("--subnqn must be 1..223 printable ASCII characters");
        }
        if (nsid < 1 || nsid > 0xFFFF_FFFEL)
        {
            throw new UsageException("--nsid must be 1..4294967294, got " + nsid);
        }
        if (null != iface)
        {
            try
            {
                if (null == NetworkInterface.getByName(iface))
                {
                    throw new UsageException("--iface: no network interface named '" + iface + "'");
                }
            }
            catch (final SocketException e)
            {
                throw new UsageException("--iface: cannot look up '" + iface + "': " + e.getMessage());
            }
        }
        final boolean random;
        final boolean write;
        switch (rw.toLowerCase(Locale.ROOT))
        {
            case "randread" -> { random = true; write = false; }
            case "randwrite" -> { random = true; write = true; }
            case "read" -> { random = false; write = false; }
            case "write" -> { random = false; write = true; }
            default -> throw new UsageException("--rw must be randread, randwrite, read or write, got '" + rw + "'");
        }
        final long bsBytes = size("--bs", bs);
        if (bsBytes <= 0 || bsBytes > Integer.MAX_VALUE || 0 != bsBytes % 512)
        {
            throw new UsageException("--bs must be a positive multiple of 512 below 2G, got " + bs);
        }
        if (iodepth < 1 || iodepth > NvmeController.MAX_QUEUE_DEPTH)
        {
            throw new UsageException("--iodepth must be 1.." + NvmeController.MAX_QUEUE_DEPTH + ", got " + iodepth);
        }
        if (numjobs < 1 || numjobs > 65535)
        {
            throw new UsageException("--numjobs must be 1..65535, got " + numjobs);
        }
        final double runtimeS = seconds("--runtime", runtime);
        if (runtimeS <= 0)
        {
            throw new UsageException("--runtime must be more than 0 seconds, got " + runtime);
        }
        final double rampS = seconds("--ramp", ramp);
        long sizeBytes = -1;
        if (null != size)
        {
            sizeBytes = size("--size", size);
            if (sizeBytes <= 0 || 0 != sizeBytes % bsBytes)
            {
                throw new UsageException("--size must be a positive multiple of --bs (" + Sizes.format(bsBytes) +
                    "), got " + size);
            }
        }
        final long buffers = (long)numjobs * iodepth * bsBytes;
        if (buffers > (8L << 30))
        {
            throw new UsageException("--numjobs x --iodepth x --bs = " + Sizes.format(buffers) +
                " of buffers is more than 8G");
        }
        final boolean json = switch (outputFormat.toLowerCase(Locale.ROOT))
        {
            case "normal" -> false;
            case "json" -> true;
            default -> throw new UsageException("--output-format must be normal or json, got '" + outputFormat + "'");
        };
        final boolean polled = switch (completion.toLowerCase(Locale.ROOT))
        {
            case "poll" -> true;
            case "thread" -> false;
            default -> throw new UsageException("--completion must be poll or thread, got '" + completion + "'");
        };
        final boolean scatter = switch (readMode.toLowerCase(Locale.ROOT))
        {
            case "scatter" -> true;
            case "copy" -> false;
            default -> throw new UsageException("--read-mode must be copy or scatter, got '" + readMode + "'");
        };
        long window = 0;
        if (null != scatterWindow)
        {
            if (!scatter)
            {
                throw new UsageException("--scatter-window is for --read-mode scatter");
            }
            window = size("--scatter-window", scatterWindow);
            if (window < bsBytes)
            {
                throw new UsageException("--scatter-window must hold one command of --bs (" + Sizes.format(bsBytes) +
                    "), got " + scatterWindow);
            }
        }
        return new Settings(address, random, write, bsBytes, runtimeS, rampS, sizeBytes, json, polled, offload,
            iface, scatter, window);
    }

    private static InetSocketAddress parseTarget(final String text) throws UsageException
    {
        final int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1)
        {
            throw new UsageException("--target must be ADDR:PORT, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try
        {
            port = Integer.parseInt(text.substring(colon + 1));
        }
        catch (final NumberFormatException e)
        {
            throw new UsageException("--target port must be a number, got '" + text.substring(colon + 1) + "'");
        }
        if (port < 1 || port > 65535)
        {
            throw new UsageException("--target port must be 1..65535, got " + port);
        }
        try
        {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        }
        catch (final UnknownHostException e)
        {
            throw new UsageException("--target: unknown host '" + host + "'");
        }
    }

    private static long size(final String option, final String text) throws UsageException
    {
        try
        {
            return Sizes.parse(text);
        }
        catch (final IllegalArgumentException e)
        {
            throw new UsageException(option + ": " + e.getMessage());
        }
    }

    static double seconds(final String option, final String text) throws UsageException
    {
        String t = text.trim().toLowerCase(Locale.ROOT);
        double unit = 1;
        if (t.endsWith("ms"))
        {
            unit = 0.001;
            t = t.substring(0, t.length() - 2);
        }
        else if (t.endsWith("s"))
        {
            t = t.substring(0, t.length() - 1);
        }
        else if (t.endsWith("m"))
        {
            unit = 60;
            t = t.substring(0, t.length() - 1);
        }
        final double v;
        try
        {
            v = Double.parseDouble(t) * unit;
        }
        catch (final NumberFormatException e)
        {
            throw new UsageException(option + " must be seconds (e.g. 10, 2.5, 500ms, 1m), got '" + text + "'");
        }
        if (!Double.isFinite(v) || v < 0 || v > 7 * 24 * 3600)
        {
            throw new UsageException(option + " must be 0..604800 seconds, got '" + text + "'");
        }
        return v;
    }

    // ---- the run ----

    private int run(final Settings s, final PrintWriter out, final PrintWriter err) throws UsageException
    {
        if (!s.offload())
        {
            return run(s, null, out, err);
        }
        final XtsStack xts;
        try
        {
            xts = stack.open();
        }
        catch (final IOException | RuntimeException e)
        {
            err.println("nvme-bench: --mode offload: the XTS link on " + s.iface() + " did not come up: " +
                e.getMessage());
            return EXIT_FAILED;
        }
        try (xts)
        {
            return run(s, xts, out, err);
        }
    }

    /** Connect (through {@code xts} for offload, which outlives the controller), run, report. */
    private int run(final Settings s, final XtsStack xts, final PrintWriter out, final PrintWriter err)
        throws UsageException
    {
        final NvmeController controller;
        try
        {
            final NvmeController.Builder builder = NvmeController.builder()
                .address(s.address())
                .subsystemNqn(subnqn)
                .headerDigest(hdgst)
                .dataDigest(ddgst)
                .ioQueues(numjobs)
                .queueDepth(iodepth)
                .completionMode(s.polled() ? NvmeController.CompletionMode.POLL : NvmeController.CompletionMode.THREAD)
                .transport(s.offload() ? NvmeController.Transport.OFFLOAD : NvmeController.Transport.SOFTWARE)
                .scatterWindow(s.scatterWindow());
            if (null != xts)
            {
                builder.stack(xts);
                if (null != ulpPushAfter)
                {
                    builder.ulpPushAfter(ulpPushAfter);
                }
            }
            controller = builder.connect();
        }
        catch (final NvmeException | IllegalArgumentException | IllegalStateException e)
        {
            err.println("nvme-bench: cannot connect to " + target + " (" + subnqn + ") in " + s.modeName() +
                " mode: " + e.getMessage());
            return EXIT_FAILED;
        }
        catch (final UnsupportedOperationException e)
        {
            err.println("nvme-bench: --mode " + s.modeName() + " is not available in this build: " + e.getMessage());
            return EXIT_FAILED;
        }
        try (controller; Arena arena = Arena.ofShared())
        {
            final Namespace ns;
            try
            {
                ns = controller.namespace(nsid);
            }
            catch (final NvmeException e)
            {
                throw new UsageException("--nsid " + nsid + ": " + e.getMessage());
            }
            final long region = checkAgainst(s, controller, ns);
            final BenchPattern pattern = new BenchPattern(seed, ns.blockSize());
            final BenchJob.Control control = new BenchJob.Control();
            final List<BenchJob> jobs = new ArrayList<>();
            for (int j = 0; j < numjobs; j++)
            {
                jobs.add(new BenchJob(j, numjobs, controller.ioQueue(j), s.polled(), nsid, (int)s.bs(), iodepth,
                    region, s.random(), s.write(), verify, s.scatter(), pattern, control, arena));
            }
            final Report report = new Report(s, controller, ns, region);
            if (verify)
            {
                final long t0 = System.nanoTime();
                runAll(jobs, BenchJob.Phase.PREFILL, null, s, report);
                report.prefillSeconds = (System.nanoTime() - t0) / 1e9;
            }
            if (null == firstFailure(jobs))
            {
                runAll(jobs, BenchJob.Phase.WORKLOAD, control, s, report);
            }
            if (verify && s.write() && null == firstFailure(jobs))
            {
                final long t0 = System.nanoTime();
                runAll(jobs, BenchJob.Phase.READBACK, null, s, report);
                report.readbackSeconds = (System.nanoTime() - t0) / 1e9;
            }
            for (final NvmeQueue q : controller.ioQueues())
            {
                report.queuesOffloaded += q.isOffloaded() ? 1 : 0;
                report.placedBytes += q.placedBytes();
                report.unregisteredBytes += q.unregisteredBytes();
                report.digestErrors += q.dataDigestErrors();
                report.copiedBytes += q.copiedBytes();
                report.inPlaceBytes += q.inPlaceBytes();
                if (null != q.failure() && null == report.queueFailure)
                {
                    report.queueFailure = "queue " + q.qid() + ": " + q.failure().getMessage();
                }
            }
            report.collect(jobs, firstFailure(jobs));
            if (s.json())
            {
                out.println(report.json());
            }
            else
            {
                report.print(out);
            }
            if (!report.ok())
            {
                err.println("nvme-bench: FAILED: " + report.failureText());
                return EXIT_FAILED;
            }
            return 0;
        }
    }

    /** Check the options that depend on the controller and namespace; @return bytes of the region. */
    private long checkAgainst(final Settings s, final NvmeController controller, final Namespace ns)
        throws UsageException
    {
        if (0 != s.bs() % ns.blockSize())
        {
            throw new UsageException("--bs " + bs + " is not a multiple of the namespace block size " +
                ns.blockSize());
        }
        if (controller.maxTransfer() > 0 && s.bs() > controller.maxTransfer())
        {
            throw new UsageException("--bs " + bs + " is more than the controller's maximum transfer (MDTS) of " +
                Sizes.format(controller.maxTransfer()));
        }
        if (s.bs() / ns.blockSize() > 65536)
        {
            throw new UsageException("--bs " + bs + " is more than 65536 blocks of " + ns.blockSize());
        }
        final long capacity = ns.capacityBytes();
        final long region;
        if (s.size() < 0)
        {
            region = capacity / s.bs() * s.bs();
            if (0 == region)
            {
                throw new UsageException("--bs " + bs + " is larger than namespace " + nsid + " (" +
                    Sizes.format(capacity) + ")");
            }
        }
        else
        {
            if (s.size() > capacity)
            {
                throw new UsageException("--size " + size + " is more than the capacity of namespace " + nsid + " (" +
                    Sizes.format(capacity) + ")");
            }
            region = s.size();
        }
        if (controller.ioQueues().size() < numjobs)
        {
            throw new UsageException("--numjobs " + numjobs + ": the controller granted only " +
                controller.ioQueues().size() + " I/O queues");
        }
        final long window = controller.ioQueue(0).scatterWindow();
        if (s.scatter() && (!s.write() || verify) && s.bs() > window)
        {
            throw new UsageException("--bs " + bs + " is more than the queues' scatter window of " +
                Sizes.format(window) + (s.offload() ? " (half of --receive-window unless --scatter-window says)" :
                "") + ": a scatter read holds its bytes until released");
        }
        final int depth = controller.ioQueue(0).depth();
        if (depth < iodepth)
        {
            throw new UsageException("--iodepth " + iodepth + ": the controller allows only " + depth +
                " commands per queue (CAP.MQES / MAXCMD)");
        }
        return region;
    }

    private static String firstFailure(final List<BenchJob> jobs)
    {
        for (final BenchJob j : jobs)
        {
            if (null != j.failure())
            {
                return j.failure();
            }
        }
        return null;
    }

    /** Run a phase on one thread per job; for the workload, ramp, measure and stop. */
    private void runAll(final List<BenchJob> jobs, final BenchJob.Phase phase, final BenchJob.Control control,
        final Settings s, final Report report)
    {
        final List<Thread> threads = new ArrayList<>();
        for (int j = 0; j < jobs.size(); j++)
        {
            final BenchJob job = jobs.get(j);
            threads.add(Thread.ofPlatform().name("nvme-bench job " + j + " " + phase.name().toLowerCase(Locale.ROOT))
                .start(() -> job.run(phase)));
        }
        if (null != control)
        {
            sleepWhileAlive(threads, (long)(s.rampS() * 1e9));
            final WindowMarks marks = new WindowMarks(markWindow, System.err);
            marks.start();
            final long[] cpu0 = cpuTicks();
            final long t0 = System.nanoTime();
            control.recording = true;
            sleepWhileAlive(threads, (long)(s.runtimeS() * 1e9));
            control.stop = true;
            final long t1 = System.nanoTime();
            final long[] cpu1 = cpuTicks();
            marks.end();
            report.elapsedNanos = t1 - t0;
            if (null != cpu0 && null != cpu1)
            {
                report.userSeconds = (double)(cpu1[0] - cpu0[0]) / CLOCK_TICKS;
                report.systemSeconds = (double)(cpu1[1] - cpu0[1]) / CLOCK_TICKS;
            }
        }
        for (final Thread t : threads)
        {
            try
            {
                t.join();
            }
            catch (final InterruptedException e)
            {
                if (null != control)
                {
                    control.stop = true;
                }
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sleep for nanos, returning early when every job thread ended (all failed). */
    private static void sleepWhileAlive(final List<Thread> threads, final long nanos)
    {
        final long deadline = System.nanoTime() + nanos;
        long left;
        while ((left = deadline - System.nanoTime()) > 0)
        {
            if (threads.stream().noneMatch(Thread::isAlive))
            {
                return;
            }
            try
            {
                Thread.sleep(Duration.ofNanos(Math.min(left, 10_000_000)));
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** @return {utime, stime} of this process in clock ticks, or null without /proc. */
    static long[] cpuTicks()
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name (which may hold spaces) in parentheses: state is field 3, utime 14.
            final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
        }
        catch (final IOException | RuntimeException e)
        {
            return null;
        }
    }

    // ---- the report ----

    /** The figures of a run, printed as text or JSON. */
    final class Report
    {
        private final Settings s;
        private final NvmeController controller;
        private final Namespace ns;
        private final long region;
        private final Histogram latency = new Histogram(3);
        long elapsedNanos;
        double userSeconds = Double.NaN;
        double systemSeconds = Double.NaN;
        double prefillSeconds = -1;
        double readbackSeconds = -1;
        long digestErrors;
        int queuesOffloaded;
        long placedBytes;
        long unregisteredBytes;
        long copiedBytes;
        long inPlaceBytes;
        String queueFailure;
        private long ios;
        private long readErrors;
        private long writeErrors;
        private long mismatches;
        private long checkedBlocks;
        private long mismatchLba = -1;
        private long mismatchOffset = -1;
        private String failure;

        Report(final Settings s, final NvmeController controller, final Namespace ns, final long region)
        {
            this.s = s;
            this.controller = controller;
            this.ns = ns;
            this.region = region;
        }

        void collect(final List<BenchJob> jobs, final String firstFailure)
        {
            for (final BenchJob j : jobs)
            {
                latency.add(j.latency);
                ios += j.ios;
                readErrors += j.readErrors;
                writeErrors += j.writeErrors;
                mismatches += j.mismatches;
                checkedBlocks += j.checkedBlocks;
                if (mismatchLba < 0 && j.mismatchLba >= 0)
                {
                    mismatchLba = j.mismatchLba;
                    mismatchOffset = j.mismatchOffset;
                }
            }
            failure = null != firstFailure ? firstFailure : queueFailure;
        }

        boolean ok()
        {
            return null == failure && 0 == readErrors + writeErrors + mismatches + digestErrors;
        }

        String failureText()
        {
            if (null != failure)
            {
                return failure;
            }
            return (readErrors + writeErrors) + " I/O errors, " + digestErrors + " data digest errors, " + mismatches +
                " verify mismatches";
        }

        private double seconds()
        {
            return elapsedNanos / 1e9;
        }

        private double iops()
        {
            return elapsedNanos > 0 ? ios / seconds() : 0;
        }

        private double bytesPerSecond()
        {
            return elapsedNanos > 0 ? ios * (double)s.bs() / seconds() : 0;
        }

        private double cpuSeconds()
        {
            return userSeconds + systemSeconds;
        }

        Map<String, Object> direction(final boolean write)
        {
            final boolean active = write == s.write();
            final Map<String, Object> d = new LinkedHashMap<>();
            d.put("io_bytes", active ? ios * s.bs() : 0);
            d.put("ios", active ? ios : 0);
            d.put("runtime_s", active ? seconds() : 0);
            d.put("iops", active ? iops() : 0.0);
            d.put("bw_mib_s", active ? bytesPerSecond() / (1 << 20) : 0.0);
            d.put("bw_gbit_s", active ? bytesPerSecond() * 8 / 1e9 : 0.0);
            d.put("errors", write ? writeErrors : readErrors);
            final Map<String, Object> clat = new LinkedHashMap<>();
            final boolean any = active && latency.getTotalCount() > 0;
            clat.put("min", any ? latency.getMinValue() : 0);
            clat.put("max", any ? latency.getMaxValue() : 0);
            clat.put("mean", any ? latency.getMean() : 0.0);
            clat.put("stddev", any ? latency.getStdDeviation() : 0.0);
            final Map<String, Object> p = new LinkedHashMap<>();
            for (final double pct : PERCENTILES)
            {
                p.put(pctName(pct), any ? latency.getValueAtPercentile(pct) : 0);
            }
            clat.put("percentile", p);
            d.put("clat_ns", clat);
            return d;
        }

        String json()
        {
            final Map<String, Object> o = new LinkedHashMap<>();
            o.put("program", "xts nvme-bench");
            final Map<String, Object> opt = new LinkedHashMap<>();
            opt.put("target", target);
            opt.put("subnqn", subnqn);
            opt.put("nsid", nsid);
            opt.put("rw", rw.toLowerCase(Locale.ROOT));
            opt.put("bs", s.bs());
            opt.put("iodepth", iodepth);
            opt.put("numjobs", numjobs);
            opt.put("runtime_s", s.runtimeS());
            opt.put("ramp_s", s.rampS());
            opt.put("size", region);
            opt.put("mode", s.modeName());
            opt.put("iface", s.iface());
            if (s.offload())
            {
                opt.put("queue", stack.queue());
                opt.put("poll", stack.poll());
                opt.put("ulp_push_after", ulpPushAfter);
            }
            opt.put("completion", s.polled() ? "poll" : "thread");
            opt.put("read_mode", s.scatter() ? "scatter" : "copy");
            opt.put("hdgst", hdgst);
            opt.put("ddgst", ddgst);
            opt.put("verify", verify);
            o.put("options", opt);
            final Map<String, Object> t = new LinkedHashMap<>();
            t.put("model", controller.modelNumber());
            t.put("serial", controller.serialNumber());
            t.put("block_size", ns.blockSize());
            t.put("capacity", ns.capacityBytes());
            t.put("max_transfer", controller.maxTransfer());
            o.put("controller", t);
            o.put("read", direction(false));
            o.put("write", direction(true));
            o.put("errors", readErrors + writeErrors);
            o.put("digest_errors", digestErrors);
            if (s.offload())
            {
                final Map<String, Object> x = new LinkedHashMap<>();
                x.put("queues", controller.ioQueues().size());
                x.put("queues_offloaded", queuesOffloaded);
                x.put("placed_bytes", placedBytes);
                x.put("unregistered_bytes", unregisteredBytes);
                o.put("offload", x);
            }
            final Map<String, Object> h = new LinkedHashMap<>();
            h.put("read_mode", s.scatter() ? "scatter" : "copy");
            h.put("scatter_window", s.scatter() ? controller.ioQueue(0).scatterWindow() : null);
            h.put("copied_bytes", copiedBytes);
            h.put("in_place_bytes", inPlaceBytes);
            o.put("host", h);
            final Map<String, Object> v = new LinkedHashMap<>();
            v.put("enabled", verify);
            v.put("checked_blocks", checkedBlocks);
            v.put("mismatches", mismatches);
            v.put("first_mismatch_lba", mismatchLba >= 0 ? mismatchLba : null);
            v.put("first_mismatch_offset", mismatchOffset >= 0 ? mismatchOffset : null);
            v.put("prefill_s", prefillSeconds >= 0 ? prefillSeconds : null);
            v.put("readback_s", readbackSeconds >= 0 ? readbackSeconds : null);
            o.put("verify", v);
            final Map<String, Object> c = new LinkedHashMap<>();
            final boolean cpu = !Double.isNaN(userSeconds);
            c.put("user_s", cpu ? userSeconds : null);
            c.put("sys_s", cpu ? systemSeconds : null);
            c.put("total_s", cpu ? cpuSeconds() : null);
            c.put("util_pct", cpu && elapsedNanos > 0 ? 100 * cpuSeconds() / seconds() : null);
            c.put("per_1000_ios_s", cpu && ios > 0 ? 1000 * cpuSeconds() / ios : null);
            o.put("cpu", c);
            o.put("result", ok() ? "ok" : "failed");
            o.put("failure", ok() ? null : failureText());
            try
            {
                return new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                    .writerWithDefaultPrettyPrinter().writeValueAsString(o);
            }
            catch (final IOException e)
            {
                throw new IllegalStateException(e);
            }
        }

        void print(final PrintWriter out)
        {
            final String dir = s.write() ? "write" : "read";
            out.printf(Locale.ROOT, "nvme-bench: rw=%s bs=%s iodepth=%d numjobs=%d size=%s runtime=%ss ramp=%ss " +
                    "mode=%s completion=%s read-mode=%s hdgst=%s ddgst=%s verify=%s%n",
                rw.toLowerCase(Locale.ROOT), Sizes.format(s.bs()), iodepth, numjobs, Sizes.format(region),
                trim(s.runtimeS()), trim(s.rampS()), s.modeName(), s.polled() ? "poll" : "thread",
                s.scatter() ? "scatter" : "copy", onOff(hdgst), onOff(ddgst), onOff(verify));
            if (s.offload())
            {
                out.printf(Locale.ROOT, "xts: iface=%s queue=%d poll=%s%s%n", s.iface(), stack.queue(), stack.poll(),
                    null != ulpPushAfter ? " ulp-push-after=" + ulpPushAfter : "");
            }
            out.printf(Locale.ROOT, "controller: %s nqn=%s model='%s' nsid=%d %d x %d B (%s) mdts=%s%n", target,
                subnqn, controller.modelNumber(), nsid, ns.blocks(), ns.blockSize(), Sizes.format(ns.capacityBytes()),
                controller.maxTransfer() > 0 ? Sizes.format(controller.maxTransfer()) : "unlimited");
            if (prefillSeconds >= 0)
            {
                out.printf(Locale.ROOT, "verify: pattern written over %s in %.2f s%n", Sizes.format(region),
                    prefillSeconds);
            }
            final double bps = bytesPerSecond();
            out.printf(Locale.ROOT, "  %s: IOPS=%s, BW=%.1fMiB/s (%.2fGbit/s)(%s/%.1fs)%n", dir, kilo(iops()),
                bps / (1 << 20), bps * 8 / 1e9, bytes(ios * s.bs()), seconds());
            if (latency.getTotalCount() > 0)
            {
                out.printf(Locale.ROOT, "    clat (usec): min=%.1f, max=%.1f, avg=%.2f, stdev=%.2f%n",
                    latency.getMinValue() / 1e3, latency.getMaxValue() / 1e3, latency.getMean() / 1e3,
                    latency.getStdDeviation() / 1e3);
                final StringBuilder p = new StringBuilder("     clat percentiles (usec):");
                for (final double pct : PERCENTILES)
                {
                    p.append(String.format(Locale.ROOT, " p%s=%.1f", pctName(pct),
                        latency.getValueAtPercentile(pct) / 1e3));
                }
                out.println(p);
            }
            out.printf(Locale.ROOT, "  errors: read=%d write=%d digest=%d verify-mismatches=%d%n", readErrors,
                writeErrors, digestErrors, mismatches);
            if (s.offload())
            {
                out.printf(Locale.ROOT, "  offload: %d of %d queues offloaded, %s placed by the proxy, %s " +
                        "delivered unregistered (software fallback)%n", queuesOffloaded, controller.ioQueues().size(),
                    bytes(placedBytes), bytes(unregisteredBytes));
            }
            out.printf(Locale.ROOT, "  host: read data copied on this host %s, handed over in place %s%s%n",
                bytes(copiedBytes), bytes(inPlaceBytes), s.scatter() ? " (scatter window " +
                Sizes.format(controller.ioQueue(0).scatterWindow()) + ")" : "");
            if (verify)
            {
                out.printf(Locale.ROOT, "  verify: %d blocks checked%s%n", checkedBlocks,
                    readbackSeconds >= 0 ? String.format(Locale.ROOT, " (read-back %.2f s)", readbackSeconds) : "");
            }
            if (mismatchLba >= 0)
            {
                out.printf(Locale.ROOT, "  verify: first mismatching LBA %d, byte offset %d%n", mismatchLba,
                    mismatchOffset);
            }
            if (!Double.isNaN(userSeconds))
            {
                out.printf(Locale.ROOT, "  cpu: usr=%.2fs sys=%.2fs total=%.2fs (%.0f%% of one core), " +
                        "%s CPU s per 1000 IOs%n", userSeconds, systemSeconds, cpuSeconds(),
                    elapsedNanos > 0 ? 100 * cpuSeconds() / seconds() : 0.0,
                    ios > 0 ? String.format(Locale.ROOT, "%.4f", 1000 * cpuSeconds() / ios) : "-");
            }
            out.println("  result: " + (ok() ? "ok" : "FAILED: " + failureText()));
        }
    }

    private static String onOff(final boolean b)
    {
        return b ? "on" : "off";
    }

    private static String trim(final double v)
    {
        return v == Math.rint(v) ? Long.toString((long)v) : Double.toString(v);
    }

    static String pctName(final double pct)
    {
        return pct == Math.rint(pct) ? Long.toString((long)pct) : Double.toString(pct);
    }

    private static String kilo(final double v)
    {
        if (v >= 1e6)
        {
            return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        }
        return v >= 1e4 ? String.format(Locale.ROOT, "%.1fk", v / 1e3) : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String bytes(final long b)
    {
        if (b >= 1L << 30)
        {
            return String.format(Locale.ROOT, "%.2fGiB", b / (double)(1L << 30));
        }
        return String.format(Locale.ROOT, "%.1fMiB", b / (double)(1 << 20));
    }

    /**
     * Run with {@code xts nvme-bench}; standalone for convenience.
     *
     * @param args the options.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new NvmeBench()).execute(args));
    }
}
