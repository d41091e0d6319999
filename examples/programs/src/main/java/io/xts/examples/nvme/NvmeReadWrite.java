package io.xts.examples.nvme;

import io.xts.examples.net.StackOptions;
import io.xts.nvme.host.Namespace;
import io.xts.nvme.host.NvmeController;
import io.xts.nvme.host.NvmeQueue;
import io.xts.sockets.XtsStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code xts nvme-rw}: the smallest complete use of the NVMe/TCP host library. It connects to a controller, through
 * the proxy's offload (an {@link XtsStack} on the link) or over kernel TCP, writes a pattern to a range of blocks,
 * reads it back into a second buffer and compares, then prints one line
 * ({@code nvme-rw transport=... offloaded=... bytes=... verified=true}). Exit status 0 when the data matched.
 */
@Command(name = "nvme-rw", mixinStandardHelpOptions = true,
    description = {"Write a pattern to NVMe/TCP blocks, read it back and compare (offload through XTS, or software)."})
public final class NvmeReadWrite implements Callable<Integer>
{
    private static final long COMMAND_TIMEOUT_S = 30;

    @Mixin
    StackOptions stack;

    @Option(names = "--target", required = true, description = "the controller, ADDR:PORT")
    String target;

    @Option(names = "--subnqn", required = true, description = "the subsystem NQN")
    String subnqn;

    @Option(names = "--transport", defaultValue = "offload", description = "offload (through the proxy) or software")
    String transport;

    @Option(names = "--lba", defaultValue = "0", description = "first block (default ${DEFAULT-VALUE})")
    long lba;

    @Option(names = "--blocks", defaultValue = "256", description = "blocks per command (default ${DEFAULT-VALUE})")
    int blocks;

    @Option(names = "--digests", defaultValue = "true",
        description = "header and data digests (default ${DEFAULT-VALUE})")
    boolean digests;

    @Override
    public Integer call() throws Exception
    {
        final boolean offload = "offload".equals(transport);
        if (!offload && !"software".equals(transport))
        {
            throw new IllegalArgumentException("--transport must be offload or software, got " + transport);
        }
        if (blocks < 1 || blocks > 65536)
        {
            throw new IllegalArgumentException("--blocks must be 1..65536, got " + blocks);
        }
        final int colon = target.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("--target must be ADDR:PORT, got " + target);
        }
        final InetSocketAddress address =
            new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));

        try (XtsStack xts = offload ? stack.open() : null;
            // Shared: the queue's reader thread places the data and reads what is written.
            Arena arena = Arena.ofShared())
        {
            final NvmeController.Builder builder = NvmeController.builder()
                .address(address)
                .subsystemNqn(subnqn)
                .headerDigest(digests)
                .dataDigest(digests)
                .ioQueues(1)
                .transport(offload ? NvmeController.Transport.OFFLOAD : NvmeController.Transport.SOFTWARE);
            if (offload)
            {
                builder.stack(xts);
            }
            try (NvmeController controller = builder.connect())
            {
                final Namespace ns = controller.namespace(1);
                final long bytes = (long)blocks * ns.blockSize();
                final MemorySegment written = arena.allocate(bytes, 4096);
                final MemorySegment read = arena.allocate(bytes, 4096);
                for (long i = 0; i < bytes; i += Long.BYTES)
                {
                    written.set(ValueLayout.JAVA_LONG_UNALIGNED, i, (lba * ns.blockSize() + i) * 0x9E3779B97F4A7C15L);
                }
                final NvmeQueue queue = controller.ioQueue(0);
                // Bounded waits: a queue that fails completes its commands with the failure, but never wait forever.
                queue.write(ns.nsid(), lba, blocks, written, 0).get(COMMAND_TIMEOUT_S, TimeUnit.SECONDS);
                queue.read(ns.nsid(), lba, blocks, read, 0).get(COMMAND_TIMEOUT_S, TimeUnit.SECONDS);
                final boolean verified = -1 == written.mismatch(read);
                System.out.printf(Locale.ROOT, "nvme-rw transport=%s offloaded=%s bytes=%d verified=%s%n",
                    transport, queue.isOffloaded(), bytes, verified);
                return verified ? 0 : 1;
            }
        }
    }
}
