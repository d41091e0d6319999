package io.xts.tools.bench;

import io.xts.examples.net.StackOptions;
import io.xts.sockets.XtsSocket;
import io.xts.sockets.XtsStack;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code xts rtt-client}: the app-host end of {@code scripts/bench-rtt}. Closed-loop request/response over one
 * connection to an echo server, one request in flight: write a request of {@code --size} bytes (a sequence number and
 * a fixed pattern), read the whole echo back, check it is the request, repeat. Round trips after {@code --warmup}
 * seconds, for {@code --duration} seconds, go into an HdrHistogram (nanoseconds, 3 significant digits); it prints
 * the percentiles and this process's CPU time over the measured window. The same loop runs through XTS sockets
 * ({@code --mode xts}) or over a plain kernel TCP socket ({@code --mode tcp}), both with TCP_NODELAY. With
 * {@code --latency} XTS runs its latency mode ({@link XtsStack.Builder#latency}) and kernel TCP reads a non-blocking
 * socket in a spin, the user-space busy poll that mode does; without it both block while they wait.
 */
@Command(name = "rtt-client", mixinStandardHelpOptions = true,
    description = {"Closed-loop request/response round trips to an echo server through XTS or kernel TCP, one in",
        "flight; print the round-trip percentiles (the app-host end of scripts/bench-rtt)."})
public final class RttClient implements Callable<Integer>
{
    private static final double CLOCK_TICKS = 100.0;
    /** Round trips above this are recorded as this (HdrHistogram's range); none comes close in a working run. */
    private static final long HIGHEST_NS = TimeUnit.SECONDS.toNanos(10);

    @Mixin
    StackOptions stack;

    @Option(names = "--mode", required = true, description = "xts or tcp")
    String mode;

    @Option(names = "--target", required = true, description = "HOST:PORT of the echo server")
    String target;

    @Option(names = "--size", defaultValue = "64",
        description = "bytes per request and response (default ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--duration", defaultValue = "10", description = "measured seconds (default ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--warmup", defaultValue = "2",
        description = "seconds of round trips before the measured ones (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--idle-seconds", defaultValue = "0",
        description = {"instead of round trips: open the stack (XTS) or socket, connect, stay idle this many " +
            "seconds (the app in no socket call: only the stack's own threads run) and print this process's CPU " +
            "share over them, 'rtt-client-idle ... cpu_pct=N' (the idle cost of a mode)"})
    double idleSeconds;

    @Override
    public Integer call() throws Exception
    {
        if (!"xts".equals(mode) && !"tcp".equals(mode))
        {
            throw new IllegalArgumentException("--mode must be xts or tcp, got '" + mode + "'");
        }
        if (size < 8 || size > 1 << 20)
        {
            throw new IllegalArgumentException("--size must be 8..1048576, got " + size);
        }
        if (!(duration > 0) || !(warmup >= 0))
        {
            throw new IllegalArgumentException("--duration must be positive and --warmup not negative");
        }
        final InetSocketAddress address = HostPort.parse(target);
        if ("xts".equals(mode))
        {
            try (XtsStack xts = stack.open();
                XtsSocket socket = xts.connect(address, Duration.ofSeconds(10)))
            {
                socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                return idleSeconds > 0 ? idle() : roundTrips(socket, false);
            }
        }
        try (SocketChannel socket = SocketChannel.open(address))
        {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (stack.latency())
            {
                socket.configureBlocking(false);
            }
            return idleSeconds > 0 ? idle() : roundTrips(socket, stack.latency());
        }
    }

    private int roundTrips(final ByteChannel channel, final boolean spin) throws IOException
    {
        final ByteBuffer request = ByteBuffer.allocateDirect(size);
        final ByteBuffer response = ByteBuffer.allocateDirect(size);
        for (int i = 8; i < size; i++)
        {
            request.put(i, (byte)(i * 7 + 1));
        }
        final Histogram histogram = new Histogram(HIGHEST_NS, 3);
        final long start = System.nanoTime();
        final long measureFrom = start + (long)(warmup * 1e9);
        final long end = measureFrom + (long)(duration * 1e9);
        long[] cpuBefore = null;
        long seq = 0;
        long t0 = start;
        while (t0 - end < 0)
        {
            if (null == cpuBefore && t0 - measureFrom >= 0)
            {
                cpuBefore = cpuTicks();
            }
            request.putLong(0, seq);
            request.clear();
            while (request.hasRemaining())
            {
                channel.write(request);
            }
            response.clear();
            while (response.hasRemaining())
            {
                final int n = channel.read(response);
                if (n < 0)
                {
                    throw new IOException("the echo server closed the connection after " + seq + " round trips");
                }
                if (0 == n && !spin)
                {
                    throw new IOException("a blocking read returned no bytes");
                }
            }
            final long t1 = System.nanoTime();
            if (response.getLong(0) != seq || response.clear().mismatch(request.clear()) >= 0)
            {
                throw new IOException("round trip " + seq + ": the echo differs from the request");
            }
            if (t0 - measureFrom >= 0)
            {
                histogram.recordValue(Math.min(t1 - t0, HIGHEST_NS));
            }
            seq++;
            t0 = t1;
        }
        final long[] cpuAfter = cpuTicks();
        if (null == cpuBefore || 0 == histogram.getTotalCount())
        {
            throw new IOException("no round trip in the measured window");
        }
        final double cpu = (cpuAfter[0] - cpuBefore[0] + cpuAfter[1] - cpuBefore[1]) / CLOCK_TICKS;
        System.out.printf(Locale.ROOT, "rtt-client mode=%s latency=%s size=%d count=%d p50_us=%.2f p99_us=%.2f " +
            "p999_us=%.2f max_us=%.2f mean_us=%.2f cpu_s=%.2f%n", mode, stack.latency(), size,
            histogram.getTotalCount(), us(histogram.getValueAtPercentile(50)), us(histogram.getValueAtPercentile(99)),
            us(histogram.getValueAtPercentile(99.9)), us(histogram.getMaxValue()), histogram.getMean() / 1000.0, cpu);
        return 0;
    }

    private int idle() throws IOException, InterruptedException
    {
        final long[] before = cpuTicks();
        final long t0 = System.nanoTime();
        Thread.sleep((long)(idleSeconds * 1000));
        final long[] after = cpuTicks();
        final double seconds = (System.nanoTime() - t0) / 1e9;
        final double cpu = (after[0] - before[0] + after[1] - before[1]) / CLOCK_TICKS;
        System.out.printf(Locale.ROOT, "rtt-client-idle mode=%s latency=%s poll=%s seconds=%.2f cpu_s=%.2f " +
            "cpu_pct=%.1f%n", mode, stack.latency(), stack.poll(), seconds, cpu, 100 * cpu / seconds);
        return 0;
    }

    private static double us(final long ns)
    {
        return ns / 1000.0;
    }

    /** utime and stime of this process, every thread, in clock ticks (fields 14 and 15 of /proc/self/stat). */
    private static long[] cpuTicks() throws IOException
    {
        final String stat = Files.readString(Path.of("/proc/self/stat"));
        final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }
}
