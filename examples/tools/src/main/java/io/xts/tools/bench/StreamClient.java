package io.xts.tools.bench;

import io.xts.examples.net.StackOptions;
import io.xts.sockets.SendClaim;
import io.xts.sockets.StreamHandler;
import io.xts.sockets.XtsSocket;
import io.xts.sockets.XtsStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code xts stream-client}: the app-host end of {@code scripts/bench-stream}. It streams for a fixed time over one
 * connection, either through XTS sockets ({@code --mode xts}) or over a plain kernel TCP socket
 * ({@code --mode tcp}), sending ({@code tx}: fixed-size application writes to a sink) or receiving ({@code rx}: reads
 * from a source), and prints the rate and this process's CPU time over the transfer (utime + stime of every thread
 * from /proc/self/stat, so the XTS poller thread counts), per GB moved, with the context switches of all its threads
 * and, through XTS, the link frames and TX kicks per GB. Through XTS it uses the copying API ({@code --api copy}) or
 * the in-place one ({@code --api inplace}: {@link XtsSocket#receive} and {@link XtsSocket#claim}). Set-up (JVM start,
 * link handshake) and a warm-up of the same transfer ({@code --warmup}, 2 s, so the JIT is done) are outside the
 * measured window, the same for every mode. {@code io_thread_cpu_s} is the reading or writing thread's own share.
 */
@Command(name = "stream-client", mixinStandardHelpOptions = true,
    description = {"Stream to a sink or from a source for a fixed time, through XTS or kernel TCP; print Gbit/s and",
        "this process's CPU seconds per GB (the app-host end of scripts/bench-stream)."})
public final class StreamClient implements Callable<Integer>
{
    private static final double CLOCK_TICKS = 100.0;

    private XtsStack xts;

    @Mixin
    StackOptions stack;

    @Option(names = "--mode", required = true, description = "xts or tcp")
    String mode;

    @Option(names = "--direction", required = true, description = "tx (send to a sink) or rx (receive from a source)")
    String direction;

    @Option(names = "--target", required = true, description = "HOST:PORT of the sink or source")
    String target;

    @Option(names = "--duration", defaultValue = "10", description = "seconds (default ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--write-size", defaultValue = "65536",
        description = "bytes per application write or read (default ${DEFAULT-VALUE})")
    int ioSize;

    @Option(names = "--warmup", defaultValue = "2",
        description = "seconds of the same transfer before the measured window (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--mark-window", description = {"print 'xts-window start' and 'xts-window end' on stderr at the "
        + "edges of the measured window, the end with this process's context switches over it (scripts/bench-stream "
        + "samples the app host's other counters there)"})
    boolean markWindow;

    @Option(names = "--api", defaultValue = "copy",
        description = {"with --mode xts: copy (read and write through a buffer of --write-size bytes, default) or " +
            "inplace (receive: a StreamHandler over the RX frames, up to 64 pieces a call; send: claim up to " +
            "--write-size bytes in a TX frame and commit). Neither touches the payload bytes: the copying mode " +
            "moves a buffer it never fills, the in-place mode hands frames over or sends them as claimed"})
    String api;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Bytes the in-place handler was handed. */
    private long inPlaceBytes;
    private final StreamHandler counter = (buffer, offset, length) -> inPlaceBytes += length;

    @Override
    public Integer call() throws Exception
    {
        if (!"xts".equals(mode) && !"tcp".equals(mode))
        {
            throw new IllegalArgumentException("--mode must be xts or tcp, got '" + mode + "'");
        }
        if (!"tx".equals(direction) && !"rx".equals(direction))
        {
            throw new IllegalArgumentException("--direction must be tx or rx, got '" + direction + "'");
        }
        if (!"copy".equals(api) && !("inplace".equals(api) && "xts".equals(mode)))
        {
            throw new IllegalArgumentException("--api must be copy, or inplace with --mode xts; got '" + api + "'");
        }
        if (ioSize <= 0 || duration <= 0 || warmup < 0)
        {
            throw new IllegalArgumentException("--write-size and --duration must be positive, --warmup not negative");
        }
        final InetSocketAddress address = HostPort.parse(target);
        if ("xts".equals(mode))
        {
            try (XtsStack xts = stack.open();
                XtsSocket socket = xts.connect(address, Duration.ofSeconds(10)))
            {
                this.xts = xts;
                return stream(socket);
            }
        }
        try (SocketChannel socket = SocketChannel.open(address))
        {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return stream(socket);
        }
    }

    private int stream(final ByteChannel channel) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(ioSize);
        final boolean send = "tx".equals(direction);
        final XtsSocket inPlace = "inplace".equals(api) ? (XtsSocket)channel : null;
        // Warm up outside the window: a long-running application has its code compiled; the JIT's threads would
        // otherwise be charged to the first seconds of the measured transfer, for both modes alike.
        transfer(channel, inPlace, buffer, send, System.nanoTime() + (long)(warmup * 1e9));
        final WindowMarks marks = new WindowMarks(markWindow, System.err);
        marks.start();
        final long[] linkBefore = linkCounts();
        final long[] switchesBefore = contextSwitches();
        final long[] before = cpuTicks();
        final long ioThreadBefore = THREADS.getCurrentThreadCpuTime();
        final long start = System.nanoTime();
        final long bytes = transfer(channel, inPlace, buffer, send, start + (long)(duration * 1e9));
        final long now = System.nanoTime();
        final long ioThreadNs = THREADS.getCurrentThreadCpuTime() - ioThreadBefore;
        final long[] after = cpuTicks();
        marks.end();
        final long[] switchesAfter = contextSwitches();
        final long[] linkAfter = linkCounts();
        final double seconds = (now - start) / 1e9;
        final double user = (after[0] - before[0]) / CLOCK_TICKS;
        final double sys = (after[1] - before[1]) / CLOCK_TICKS;
        final double cpu = user + sys;
        final double gb = bytes / 1e9;
        final double perGb = gb > 0 ? 1 / gb : 0;
        System.out.printf(Locale.ROOT, "stream-client mode=%s api=%s direction=%s bytes=%d seconds=%.3f gbps=%.3f " +
            "cpu_s=%.2f cpu_s_per_gb=%.4f user_s=%.2f sys_s=%.2f vcsw_per_gb=%.0f ivcsw_per_gb=%.0f " +
            "link_frames_sent_per_gb=%.0f link_frames_received_per_gb=%.0f tx_kicks_per_gb=%.0f " +
            "rx_wakeups_per_gb=%.0f io_thread_cpu_s=%.2f%n", mode, api, direction, bytes, seconds,
            bytes * 8 / seconds / 1e9, cpu, cpu * perGb, user, sys,
            (switchesAfter[0] - switchesBefore[0]) * perGb, (switchesAfter[1] - switchesBefore[1]) * perGb,
            (linkAfter[0] - linkBefore[0]) * perGb, (linkAfter[1] - linkBefore[1]) * perGb,
            (linkAfter[2] - linkBefore[2]) * perGb, (linkAfter[3] - linkBefore[3]) * perGb, ioThreadNs / 1e9);
        return 0;
    }

    /**
     * Send or receive until {@code endNs}.
     *
     * @return bytes moved.
     */
    private long transfer(
        final ByteChannel channel, final XtsSocket inPlace, final ByteBuffer buffer, final boolean send,
        final long endNs) throws IOException
    {
        long bytes = 0;
        while (System.nanoTime() - endNs < 0)
        {
            final int n;
            if (null != inPlace)
            {
                n = send ? claimOnce(inPlace) : receiveOnce(inPlace);
            }
            else
            {
                buffer.clear();
                n = send ? channel.write(buffer) : channel.read(buffer);
            }
            if (n < 0)
            {
                throw new IOException("the source ended the stream after " + bytes + " bytes");
            }
            bytes += n;
        }
        if (null != inPlace && send)
        {
            inPlace.flush();
        }
        return bytes;
    }

    /** Claim up to --write-size bytes in a TX frame and send them as they are. */
    private int claimOnce(final XtsSocket socket) throws IOException
    {
        final SendClaim claim = socket.claim(ioSize);
        claim.commit();
        return claim.length();
    }

    /** Have up to 64 pieces handed over where they arrived. */
    private int receiveOnce(final XtsSocket socket) throws IOException
    {
        final long before = inPlaceBytes;
        return socket.receive(counter, 64) < 0 ? -1 : (int)(inPlaceBytes - before);
    }

    /**
     * Link frames sent and received, TX kicks and RX wakeups of the XTS stack (zeros for kernel TCP). Read from the
     * thread that drives the link (--poll app) or while the poller runs, so they are approximate in the latter case.
     */
    private long[] linkCounts()
    {
        if (null == xts)
        {
            return new long[4];
        }
        return new long[] {xts.linkCounters().framesSent(), xts.linkCounters().framesReceived(),
            xts.txKicks(), xts.rxWakeups()};
    }

    /**
     * Voluntary and involuntary context switches of every thread of this process (summed over /proc/self/task, as
     * /proc/self/status counts only the main thread).
     */
    private static long[] contextSwitches() throws IOException
    {
        long voluntary = 0;
        long involuntary = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task")))
        {
            for (final Path task : tasks)
            {
                final List<String> lines;
                try
                {
                    lines = Files.readAllLines(task.resolve("status"));
                }
                catch (final NoSuchFileException ex)
                {
                    continue; // the thread ended meanwhile
                }
                for (final String line : lines)
                {
                    if (line.startsWith("voluntary_ctxt_switches:"))
                    {
                        voluntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    }
                    else if (line.startsWith("nonvoluntary_ctxt_switches:"))
                    {
                        involuntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
            }
        }
        return new long[] {voluntary, involuntary};
    }

    /** utime and stime of the whole process, in clock ticks (fields 14 and 15 of /proc/self/stat). */
    private static long[] cpuTicks() throws IOException
    {
        final String stat = Files.readString(Path.of("/proc/self/stat"));
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])};
    }
}
