package io.xts.proxy.nvme;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.Crc32c;
import io.xts.nvme.R2TPdu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seeds of {@link NvmeOffloadFuzzTest}: well-formed controller-to-host streams (C2HData to registered and
 * unregistered CIDs with and without digests and padding, CapsuleResps, R2Ts) and a few broken ones (a truncated
 * header, a corrupted header digest, PLEN below HLEN), each behind the 4-byte header {@link NvmeOffloadFuzzTarget}
 * reads. {@link #main} writes them into the inputs directory; {@link NvmeOffloadFuzzCorpusTest} keeps the two in
 * step.
 */
final class NvmeOffloadFuzzSeeds
{
    /** Resource directory of the seeds, relative to the class path root. */
    static final String DIRECTORY =
        "io/xts/proxy/nvme/NvmeOffloadFuzzTestInputs/" + NvmeOffloadFuzzTest.METHOD;

    private static final Crc32c CRC = new Crc32c();

    private NvmeOffloadFuzzSeeds()
    {
    }

    static Map<String, byte[]> seeds()
    {
        final Map<String, byte[]> seeds = new LinkedHashMap<>();
        final byte[] data = new byte[3000];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (byte)(i * 31 + 7);
        }
        seeds.put("insync-plain", input(0, 0, 2, 2, c2h(false, false, 0, 0, 0, data, true, false),
            resp(false, 0), c2h(false, false, 0, 1, 0, data, true, true)));
        seeds.put("insync-digests-hpda", input(3, 1, 1, 2, c2h(true, true, 1, 0, 0, data, false, false),
            c2h(true, true, 1, 0, 3000, data, true, false), resp(true, 0), r2t(true, 1, 5, 0, 4096)));
        seeds.put("insync-unregistered", input(0, 0, 0, 0, c2h(false, false, 0, 9, 0, data, true, true)));
        seeds.put("search-then-pdus", input(4 | 8, 0, 3, 1, new byte[] {1, 2, 3, 4, 5, 6, 7},
            c2h(false, false, 0, 0, 0, data, true, false), resp(false, 0), resp(false, 1)));
        seeds.put("search-refused", input(4, 0, 1, 1, new byte[] {(byte)0xC0, 0, 0, 0},
            c2h(false, false, 0, 0, 0, data, true, true)));
        seeds.put("blocked-link", input(16, 0, 0, 2, c2h(false, false, 0, 0, 0, data, true, false),
            c2h(false, false, 0, 1, 0, data, true, true)));
        final byte[] broken = resp(true, 0);
        broken[10] ^= 1;
        seeds.put("bad-header-digest", input(1, 0, 2, 0, broken));
        final byte[] short1 = resp(false, 0);
        short1[4] = 4;
        seeds.put("plen-below-hlen", input(0, 0, 2, 0, short1));
        final byte[] whole = c2h(false, false, 0, 0, 0, data, true, false);
        final byte[] cut = new byte[12];
        System.arraycopy(whole, 0, cut, 0, cut.length);
        seeds.put("truncated-header", input(0, 0, 0, 1, cut));
        return seeds;
    }

    private static byte[] input(final int flags, final int hpda, final int chunk64, final int registrations,
        final byte[]... pdus)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(flags);
        out.write(hpda);
        out.write(chunk64);
        out.write(registrations);
        for (final byte[] pdu : pdus)
        {
            out.writeBytes(pdu);
        }
        return out.toByteArray();
    }

    private static byte[] c2h(final boolean hdgst, final boolean ddgst, final int hpda, final int cid,
        final long datao, final byte[] data, final boolean last, final boolean success)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(256 + data.length);
            final C2HDataPdu pdu = new C2HDataPdu().wrap(m, 0);
            pdu.write(hdgst, ddgst, hpda, cid, datao, data.length, last, success);
            MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, pdu.dataOffset(), data.length);
            pdu.writeHeaderDigest(CRC).writeDataDigest(CRC);
            return m.asSlice(0, pdu.plen()).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static byte[] resp(final boolean hdgst, final int cid)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(64);
            final CapsuleRespPdu pdu = new CapsuleRespPdu().wrap(m, 0);
            pdu.write(hdgst, 0, 0, 1, 1, cid, 0).writeHeaderDigest(CRC);
            return m.asSlice(0, pdu.plen()).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static byte[] r2t(final boolean hdgst, final int cid, final int ttag, final long r2to, final long r2tl)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(64);
            final R2TPdu pdu = new R2TPdu().wrap(m, 0);
            pdu.write(hdgst, cid, ttag, r2to, r2tl).writeHeaderDigest(CRC);
            return m.asSlice(0, pdu.plen()).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Write the seeds into the inputs directory.
     *
     * @param args the test resources root (default proxy/src/test/resources).
     * @throws IOException when a file cannot be written.
     */
    public static void main(final String[] args) throws IOException
    {
        final Path root = Path.of(args.length > 0 ? args[0] : "proxy/src/test/resources");
        final Path directory = root.resolve(DIRECTORY);
        Files.createDirectories(directory);
        for (final Map.Entry<String, byte[]> seed : seeds().entrySet())
        {
            Files.write(directory.resolve(seed.getKey()), seed.getValue());
        }
    }
}
