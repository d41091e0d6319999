package io.xts.tools.nvme;

import io.xts.nvme.host.Namespace;
import io.xts.nvme.host.NvmeController;
import io.xts.nvme.host.NvmeQueue;
import io.xts.test.Privileged;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Wireshark's NVMe/TCP dissector (tshark, Debian's package) decodes what our host and target put on the wire: a
 * capture on loopback of a bring-up, 128 KiB writes (R2T and H2CData) and reads (C2HData) with header and data
 * digests on; every PDU must decode as NVMe/TCP, none may be malformed, and tshark's own digest checks must find
 * every digest good. Capturing needs root; see {@link Privileged}.
 */
@Tag("privileged")
@Tag("long")
class NvmeTsharkTest
{
    private static final Path LOGS = Path.of("target", "nvme-tshark").toAbsolutePath();

    @Test
    void tsharkDecodesEveryPduWithGoodDigests() throws Exception
    {
        Privileged.require("capturing NVMe/TCP with tshark");
        Files.createDirectories(LOGS);
        final Path pcap = LOGS.resolve("nvme-tcp.pcapng");
        Files.deleteIfExists(pcap);
        final InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        final int port;
        try (NvmeTargetServer target = new NvmeTargetServer(
            TargetConfig.defaults(any, Backend.Kind.RAM, 16L << 20), new PrintStream(OutputStream.nullOutputStream()));
            Arena arena = Arena.ofShared())
        {
            port = target.start();
            final Path err = LOGS.resolve("tshark-capture.err");
            final Process capture = new ProcessBuilder("tshark", "-i", "lo", "-f", "tcp port " + port, "-w",
                pcap.toString()).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try
            {
                awaitCapturing(capture, err, pcap, port);
                try (NvmeController controller = NvmeController.builder()
                    .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                    .subsystemNqn(TargetConfig.DEFAULT_NQN)
                    .headerDigest(true)
                    .dataDigest(true)
                    .ioQueues(1)
                    .queueDepth(32)
                    .connect())
                {
                    final Namespace ns = controller.namespace(1);
                    final NvmeQueue queue = controller.ioQueue(0);
                    final int io = 128 << 10;
                    final MemorySegment out = arena.allocate(4L * io, 4096);
                    for (long i = 0; i < out.byteSize(); i += 8)
                    {
                        out.set(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 31 + 7);
                    }
                    final MemorySegment in = arena.allocate(4L * io, 4096);
                    for (int k = 0; k < 4; k++)
                    {
                        queue.write(1, (long)k * io / ns.blockSize(), io / ns.blockSize(), out, (long)k * io)
                            .get(30, TimeUnit.SECONDS);
                    }
                    for (int k = 0; k < 4; k++)
                    {
                        queue.read(1, (long)k * io / ns.blockSize(), io / ns.blockSize(), in, (long)k * io)
                            .get(30, TimeUnit.SECONDS);
                    }
                    assertEquals(-1L, out.mismatch(in), "read back as written");
                }
                Thread.sleep(500);
            }
            finally
            {
                capture.destroy();
                capture.waitFor(20, TimeUnit.SECONDS);
            }
        }
        final String decoded = tshark("-r", pcap.toString(), "-d", "tcp.port==" + port + ",nvme-tcp",
            "-o", "nvme-tcp.check_hdgst:TRUE", "-o", "nvme-tcp.check_ddgst:TRUE", "-Y", "nvme-tcp", "-T", "fields",
            "-E", "occurrence=a", "-E", "aggregator=,", "-e", "nvme-tcp.type", "-e", "nvme-tcp.hdgst.status",
            "-e", "nvme-tcp.ddgst.status");
        final Map<String, Integer> types = new TreeMap<>();
        int hdgstChecked = 0;
        int ddgstChecked = 0;
        for (final String line : decoded.lines().toList())
        {
            final String[] f = line.split("\t", -1);
            for (final String t : f[0].split(","))
            {
                if (!t.isEmpty())
                {
                    types.merge(t, 1, Integer::sum);
                }
            }
            for (final String status : (f.length > 1 ? f[1] : "").split(","))
            {
                if (!status.isEmpty())
                {
                    hdgstChecked++;
                    assertTrue(isGood(status), "header digest status " + status + " in: " + line);
                }
            }
            for (final String status : (f.length > 2 ? f[2] : "").split(","))
            {
                if (!status.isEmpty())
                {
                    ddgstChecked++;
                    assertTrue(isGood(status), "data digest status " + status + " in: " + line);
                }
            }
        }
        System.out.println("tshark decoded NVMe/TCP PDU types " + types + "; header digests checked " +
            hdgstChecked + ", data digests checked " + ddgstChecked);
        for (final String type : new String[] {"0", "1", "4", "5", "6", "7", "9"})
        {
            assertTrue(types.containsKey(type), "PDU type " + type + " decoded: " + types);
        }
        assertTrue(hdgstChecked > 0 && ddgstChecked > 0, "tshark checked digests");
        final String malformed = tshark("-r", pcap.toString(), "-d", "tcp.port==" + port + ",nvme-tcp",
            "-Y", "_ws.malformed || _ws.expert.severity >= error");
        assertEquals("", malformed.strip(), "no malformed packets or expert errors");
    }

    private static boolean isGood(final String status)
    {
        // tshark prints the status as a number (1 good) or as text, depending on the field's type.
        return "1".equals(status) || status.toLowerCase(Locale.ROOT).contains("good");
    }

    /**
     * Wait until tshark really captures: its "Capturing on" line comes before the capture is live, so knock on the
     * target's port (a connection that is closed at once) until the capture file grows past its header.
     */
    private static void awaitCapturing(final Process capture, final Path err, final Path pcap, final int port)
        throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long headerSize = -1;
        while (System.nanoTime() - deadline < 0)
        {
            if (!capture.isAlive())
            {
                fail("tshark exited: " + Files.readString(err));
            }
            if (Files.exists(err) && Files.readString(err).contains("Capturing on") && Files.exists(pcap))
            {
                final long size = Files.size(pcap);
                if (headerSize < 0)
                {
                    headerSize = size;
                }
                else if (size > headerSize)
                {
                    return;
                }
                try (SocketChannel knock = SocketChannel.open(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), port)))
                {
                    knock.finishConnect();
                }
            }
            Thread.sleep(100);
        }
        fail("tshark did not start capturing: " + Files.readString(err));
    }

    private static String tshark(final String... args) throws Exception
    {
        final String[] command = new String[args.length + 1];
        command[0] = "tshark";
        System.arraycopy(args, 0, command, 1, args.length);
        final Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark finished");
        return out;
    }
}
