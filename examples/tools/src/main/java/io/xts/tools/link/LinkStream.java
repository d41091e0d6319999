package io.xts.tools.link;

import io.xts.link.LinkCounters;
import io.xts.link.LinkListener;
import io.xts.link.LinkState;
import io.xts.link.XskLinkEndpoint;
import io.xts.link.XtsLink;
import io.xts.protocol.XtsFrameDescriptor;
import io.xts.status.CountersFile;
import io.xts.tools.stat.Stat;
import io.xts.xsk.AttachMode;
import io.xts.xsk.LossyProgram;
import io.xts.xsk.XskSocket;
import io.xts.xsk.XskStatistics;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code xts link-stream send|recv}: one end of an XTS link over AF_XDP streaming numbered messages, one process per
 * end, for the link's system tests and {@code scripts/bench-link}. The sender offers messages as fast as the link
 * takes them (for --duration seconds, or until --bytes are sent); the receiver checks the order, optionally hashes
 * every byte (SHA-256, compared with the sender's), and can be made deliberately slow. Both print link events as
 * they happen ({@code link-event up|down ...}) and one result line at the end.
 */
@Command(name = "link-stream", mixinStandardHelpOptions = true,
    description = {"Stream numbered messages over an XTS link on AF_XDP (one end per process).",
        "Prints 'link-event' lines as the link goes up or down, and one 'link-stream role=...' result line."})
public final class LinkStream implements Callable<Integer>
{
    private static final ValueLayout.OfLong SEQ = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Parameters(index = "0", description = "send or recv")
    String role;

    @Option(names = "--iface", required = true, description = "interface")
    String iface;

    @Option(names = "--queue", defaultValue = "0", description = "queue id (default ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--attach", defaultValue = "native", description = "XDP attach mode: native or skb")
    String attach;

    @Option(names = "--msg-size", defaultValue = "3000", description = "message body bytes (default ${DEFAULT-VALUE})")
    int msgSize;

    @Option(names = "--bytes", defaultValue = "0",
        description = "send: stop after this many body bytes (0: use --duration)")
    long bytes;

    @Option(names = "--duration", defaultValue = "5", description = "send: seconds to send (default ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--verify", description = "fill every body byte with a pattern and SHA-256 the stream")
    boolean verify;

    @Option(names = "--slow-us", defaultValue = "0", description = "recv: spin this many microseconds per message")
    long slowMicros;

    @Option(names = "--loss-ppm", defaultValue = "0",
        description = "drop this many per million incoming XTS frames (lossy XDP program)")
    int lossPpm;

    @Option(names = "--idle-exit", defaultValue = "3",
        description = "recv: exit after this many seconds without messages once some arrived " +
            "(default ${DEFAULT-VALUE})")
    double idleExit;

    @Option(names = "--max-wait", defaultValue = "600", description = "overall limit in seconds")
    double maxWait;

    @Option(names = "--frames", defaultValue = "20480",
        description = "UMEM frames: RX gets min(half, --ring), TX the rest (default ${DEFAULT-VALUE})")
    int frames;

    @Option(names = "--ring", defaultValue = "8192", description = "ring entries (default ${DEFAULT-VALUE})")
    int ring;

    @Option(names = "--forever", description = "recv: keep running (for restart tests) until killed or --max-wait")
    boolean forever;

    @Option(names = "--counters",
        description = "put the link's counters in this memory-mapped file, for xts stat " +
            "(default /dev/shm/xts/link-<iface>-<pid>.counters; 'none' for none)")
    String countersPath;

    private final long start = System.nanoTime();

    @Override
    public Integer call() throws Exception
    {
        if (!"send".equals(role) && !"recv".equals(role))
        {
            throw new IllegalArgumentException("role must be send or recv, got '" + role + "'");
        }
        if (msgSize < 8)
        {
            throw new IllegalArgumentException("--msg-size must be at least 8 (the sequence number), got " + msgSize);
        }
        final AttachMode mode = AttachMode.parse(attach);
        final AtomicBoolean running = new AtomicBoolean(true);
        final CountDownLatch finished = new CountDownLatch(1);
        // SIGTERM: stop the loop and let it print its result and release the socket and the XDP program.
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            running.set(false);
            try
            {
                finished.await(5, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }));
        try
        {
            return open(mode, running);
        }
        finally
        {
            finished.countDown();
        }
    }

    private int open(final AttachMode mode, final AtomicBoolean running) throws Exception
    {
        try (XskLinkEndpoint endpoint = XskLinkEndpoint.open(
            new XskLinkEndpoint.Config(iface, queue, mode, frames, ring, lossPpm)))
        {
            return run(endpoint, running);
        }
    }

    private int run(final XskLinkEndpoint endpoint, final AtomicBoolean running)
        throws NoSuchAlgorithmException, IOException
    {
        final CountersFile countersFile = openCounters();
        final CountersManager countersManager = null != countersFile ? countersFile.manager() : new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)));
        try
        {
            return stream(endpoint, running, countersManager);
        }
        finally
        {
            if (null != countersFile)
            {
                countersFile.close();
            }
        }
    }

    private CountersFile openCounters() throws IOException
    {
        if ("none".equals(countersPath))
        {
            return null;
        }
        final Path path = null != countersPath ? Path.of(countersPath) :
            Path.of(Stat.DEFAULT_DIR,
                "link-" + iface + "-" + ProcessHandle.current().pid() + ".counters");
        Files.createDirectories(path.toAbsolutePath().getParent());
        return CountersFile.create(path, 256);
    }

    private int stream(
        final XskLinkEndpoint endpoint, final AtomicBoolean running, final CountersManager countersManager)
        throws NoSuchAlgorithmException
    {
        final XskSocket socket = endpoint.socket();
        final LossyProgram lossy = endpoint.lossy();
        final MessageDigest digest = MessageDigest.getInstance("SHA-256");
        final Receiver receiver = new Receiver(digest);
        final XtsLink link = new XtsLink(endpoint.transport(), endpoint.linkConfig(), receiver,
            new LinkCounters(countersManager, iface + " q" + queue), System.nanoTime());
        event("start epoch=" + Integer.toHexString(link.epoch()));
        final byte[] scratch = new byte[msgSize];
        final long maxMessages = bytes > 0 ? (bytes + msgSize - 1) / msgSize : Long.MAX_VALUE;
        final long deadline = start + (long)(maxWait * 1e9);
        long sendUntil = Long.MAX_VALUE;
        long sent = 0;
        long upAt = 0;
        while (running.get() && System.nanoTime() - deadline < 0)
        {
            final long now = System.nanoTime();
            final long receivedBefore = receiver.received;
            link.doWork(now);
            if (receiver.received != receivedBefore)
            {
                // Arrival time per duty cycle, not per message: a clock read per message costs more than the rest.
                receiver.lastNs = System.nanoTime();
            }
            if ("send".equals(role))
            {
                if (LinkState.UP == link.state())
                {
                    if (0 == upAt)
                    {
                        upAt = now;
                        sendUntil = bytes > 0 ? Long.MAX_VALUE : now + (long)(duration * 1e9);
                    }
                    int burst = 0;
                    while (sent < maxMessages && now - sendUntil < 0 && burst++ < 256)
                    {
                        // Zero-copy: the message is written straight into the frame that will carry it.
                        final long at = link.claim(XtsFrameDescriptor.TYPE_STREAM_DATA, 1, msgSize);
                        if (at < 0)
                        {
                            break;
                        }
                        final MemorySegment frames = link.memory();
                        frames.set(SEQ, at, sent);
                        if (verify)
                        {
                            fillPattern(frames, at, msgSize, sent);
                            MemorySegment.copy(frames, ValueLayout.JAVA_BYTE, at, scratch, 0, msgSize);
                            digest.update(scratch);
                        }
                        sent++;
                    }
                    if ((sent >= maxMessages || now - sendUntil >= 0) && link.drained())
                    {
                        final double seconds = (now - upAt) / 1e9;
                        result("send", sent, seconds, 0, verify ? hex(digest) : "-", link, socket, lossy);
                        return 0;
                    }
                }
            }
            else if (receiver.received > 0 && !forever && now - receiver.lastNs > (long)(idleExit * 1e9))
            {
                final double seconds = (receiver.lastNs - receiver.firstNs) / 1e9;
                result("recv", receiver.received, seconds, receiver.seqErrors, verify ? hex(digest) : "-", link,
                    socket, lossy);
                return 0;
            }
        }
        if ("recv".equals(role))
        {
            result("recv", receiver.received, (receiver.lastNs - receiver.firstNs) / 1e9, receiver.seqErrors,
                verify ? hex(digest) : "-", link, socket, lossy);
            return 0;
        }
        event("gave up: link " + link.state() + (null != link.failure() ? " (" + link.failure() + ")" : ""));
        return 3;
    }

    private static void fillPattern(final MemorySegment memory, final long at, final int size, final long seq)
    {
        for (int k = 8; k < size; k++)
        {
            memory.set(ValueLayout.JAVA_BYTE, at + k, (byte)(seq * 31 + k));
        }
    }

    private final class Receiver implements LinkListener
    {
        private final MessageDigest digest;
        private final byte[] scratch = new byte[65536];
        long received;
        long expected;
        long seqErrors;
        long firstNs;
        long lastNs;

        Receiver(final MessageDigest digest)
        {
            this.digest = digest;
        }

        @Override
        public boolean onMessage(
            final int type, final int streamId, final MemorySegment memory, final long offset, final int length)
        {
            if (XtsFrameDescriptor.TYPE_STREAM_DATA != type)
            {
                return true;
            }
            final long seq = memory.get(SEQ, offset);
            if (seq != expected)
            {
                seqErrors++;
            }
            expected = seq + 1;
            if (verify)
            {
                MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, scratch, 0, length);
                digest.update(scratch, 0, length);
            }
            if (slowMicros > 0)
            {
                final long until = System.nanoTime() + slowMicros * 1000;
                while (System.nanoTime() - until < 0)
                {
                    Thread.onSpinWait();
                }
            }
            if (0 == received)
            {
                firstNs = System.nanoTime();
            }
            received++;
            return true;
        }

        @Override
        public void onLinkUp(final int peerEpoch, final int version)
        {
            event("up peer_epoch=" + Integer.toHexString(peerEpoch) + " version=" + version);
        }

        @Override
        public void onLinkDown(final String reason)
        {
            event("down reason=" + reason);
        }
    }

    private void event(final String text)
    {
        System.out.printf(Locale.ROOT, "link-event t_ms=%d %s%n", (System.nanoTime() - start) / 1_000_000, text);
        System.out.flush();
    }

    private void result(
        final String r, final long messages, final double seconds, final long seqErrors, final String sha,
        final XtsLink link, final XskSocket socket, final LossyProgram lossy)
    {
        final XskStatistics stats = socket.statistics(new XskStatistics());
        final LinkCounters c = link.counters();
        final double rate = seconds > 0 ? messages / seconds : 0;
        System.out.printf(Locale.ROOT,
            "link-stream role=%s msg_size=%d messages=%d bytes=%d seconds=%.6g msgs_per_s=%.6g gbps=%.6g " +
            "seq_errors=%d sha256=%s retransmits=%d rto_fired=%d gap_naks=%d duplicates=%d out_of_order=%d " +
            "credit_stalls=%d window_stalls=%d tx_frame_stalls=%d " +
            "link_downs=%d rx_dropped=%d rx_ring_full=%d rx_fill_ring_empty_descs=%d lossy_dropped=%d%n",
            r, msgSize, messages, messages * msgSize, seconds, rate, rate * msgSize * 8 / 1e9, seqErrors, sha,
            c.retransmits(), c.retransmitTimeouts(), c.gapNaks(), c.duplicates(), c.outOfOrder(), c.creditStalls(),
            c.windowStalls(), c.txFrameStalls(), link.counters().deadPeers() + link.counters().epochChanges(),
            stats.rxDropped, stats.rxRingFull, stats.rxFillRingEmptyDescs, null == lossy ? 0 : lossy.dropped());
        System.out.flush();
    }

    private static String hex(final MessageDigest digest)
    {
        return HexFormat.of().formatHex(digest.digest());
    }
}
