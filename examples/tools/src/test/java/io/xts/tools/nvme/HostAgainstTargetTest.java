package io.xts.tools.nvme;

import io.xts.nvme.host.NvmeController;
import io.xts.nvme.host.NvmeQueue;
import io.xts.nvme.host.Namespace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our NVMe/TCP host library (software transport) against our target, over loopback, each written from the fact sheet
 * and tested so far only against scripted peers: bring-up, then 16 MiB written in commands of the given size with up
 * to 128 in flight on two I/O queues, read back and compared byte for byte, with digests on and off.
 */
class HostAgainstTargetTest
{
    private static final long SIZE = 64L << 20;
    private static final long TOTAL = 16L << 20;

    @ParameterizedTest(name = "block of {0} B, header digest {1}, data digest {2}")
    @CsvSource({"4096, false, false", "131072, true, true", "524288, false, true"})
    void writesAndReadsBackByteExact(final int ioSize, final boolean hdgst, final boolean ddgst) throws Exception
    {
        final InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (NvmeTargetServer target = new NvmeTargetServer(TargetConfig.defaults(any, Backend.Kind.RAM, SIZE),
            new PrintStream(OutputStream.nullOutputStream()));
            Arena arena = Arena.ofShared())
        {
            final int port = target.start();
            try (NvmeController controller = NvmeController.builder()
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .subsystemNqn(TargetConfig.DEFAULT_NQN)
                .headerDigest(hdgst)
                .dataDigest(ddgst)
                .ioQueues(2)
                .queueDepth(128)
                .connect())
            {
                final Namespace ns = controller.namespace(1);
                assertEquals(512, ns.blockSize(), "block size from Identify Namespace");
                assertEquals(SIZE, ns.capacityBytes(), "capacity from Identify Namespace");
                final MemorySegment written = arena.allocate(TOTAL, 4096);
                for (long i = 0; i < TOTAL; i += 8)
                {
                    written.set(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 0x9E3779B97F4A7C15L + ioSize);
                }
                final MemorySegment read = arena.allocate(TOTAL, 4096);
                run(controller, ns, written, ioSize, true);
                run(controller, ns, read, ioSize, false);
                assertEquals(-1L, written.mismatch(read), "every byte read back as written");
                for (int q = 0; q < controller.ioQueues().size(); q++)
                {
                    assertEquals(0, controller.ioQueue(q).dataDigestErrors(), "no digest errors on queue " + q);
                }
            }
        }
    }

    /** Issue every command of the transfer, alternating the two queues, keeping at most 128 in flight on each. */
    private static void run(final NvmeController controller, final Namespace ns, final MemorySegment buffer,
        final int ioSize, final boolean write) throws Exception
    {
        final List<CompletableFuture<Void>> pending = new ArrayList<>();
        final int blocks = ioSize / ns.blockSize();
        int n = 0;
        for (long offset = 0; offset < TOTAL; offset += ioSize, n++)
        {
            final NvmeQueue queue = controller.ioQueue(n % controller.ioQueues().size());
            final long lba = offset / ns.blockSize();
            while (queue.inFlight() >= queue.depth())
            {
                Thread.onSpinWait();
            }
            pending.add(write ? queue.write(1, lba, blocks, buffer, offset)
                : queue.read(1, lba, blocks, buffer, offset));
        }
        for (final CompletableFuture<Void> f : pending)
        {
            f.get(60, TimeUnit.SECONDS);
        }
        assertTrue(n > 0);
    }
}
