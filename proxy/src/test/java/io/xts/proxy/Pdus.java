package io.xts.proxy;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleCmdPdu;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.Crc32c;
import io.xts.nvme.H2CDataPdu;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.R2TPdu;
import io.xts.nvme.TermReqPdu;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * NVMe/TCP PDUs as byte arrays for the tests, built with the codecs of {@code io.xts.nvme} (so they are exactly what
 * a controller or host sends), and a stream of them that remembers where each PDU starts.
 */
final class Pdus
{
    private static final Crc32c CRC = new Crc32c();

    private Pdus()
    {
    }

    /** A byte stream of PDUs, with each PDU's start offset. */
    static final class Stream
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Long> starts = new ArrayList<>();
        final List<byte[]> pdus = new ArrayList<>();

        Stream add(final byte[] pdu)
        {
            starts.add((long)bytes.size());
            pdus.add(pdu);
            bytes.writeBytes(pdu);
            return this;
        }

        byte[] toArray()
        {
            return bytes.toByteArray();
        }

        int size()
        {
            return bytes.size();
        }
    }

    static byte[] random(final int length, final long seed)
    {
        final byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] done(final MemorySegment segment, final long length)
    {
        return segment.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
    }

    static byte[] c2hData(final boolean hdgst, final boolean ddgst, final int hpda, final int cid, final long datao,
        final byte[] data, final boolean last, final boolean success)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(256 + data.length);
            final C2HDataPdu pdu = new C2HDataPdu().wrap(m, 0);
            pdu.write(hdgst, ddgst, hpda, cid, datao, data.length, last, success);
            MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, pdu.dataOffset(), data.length);
            pdu.writeHeaderDigest(CRC).writeDataDigest(CRC);
            return done(m, pdu.plen());
        }
    }

    static byte[] capsuleResp(final boolean hdgst, final int cid)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(64);
            final CapsuleRespPdu pdu = new CapsuleRespPdu().wrap(m, 0);
            pdu.write(hdgst, 0, 0, 1, 1, cid, 0).writeHeaderDigest(CRC);
            return done(m, pdu.plen());
        }
    }

    static byte[] r2t(final boolean hdgst, final int cid, final int ttag, final long r2to, final long r2tl)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(64);
            final R2TPdu pdu = new R2TPdu().wrap(m, 0);
            pdu.write(hdgst, cid, ttag, r2to, r2tl).writeHeaderDigest(CRC);
            return done(m, pdu.plen());
        }
    }

    static byte[] c2hTermReq(final int fes, final long fei, final int dataLength)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(256);
            final TermReqPdu pdu = new TermReqPdu().wrap(m, 0);
            pdu.write(NvmeTcp.TYPE_C2H_TERM_REQ, fes, fei, dataLength);
            return done(m, pdu.plen());
        }
    }

    /**
     * A CapsuleCmd (a write when it carries data), with its digests computed ({@code placeholders} false) or four zero
     * bytes where each goes (what an offloading app sends).
     */
    static byte[] capsuleCmd(final boolean hdgst, final boolean ddgst, final int cpda, final int cid,
        final byte[] data, final boolean placeholders)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(256 + data.length);
            final CapsuleCmdPdu pdu = new CapsuleCmdPdu().wrap(m, 0);
            pdu.writeHeader(hdgst, ddgst, cpda, data.length);
            if (data.length > 0)
            {
                pdu.sqe().writeWrite(cid, 1, 0, data.length / 512 - 1 < 0 ? 0 : data.length / 512 - 1, data.length,
                    true);
                MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, pdu.dataOffset(), data.length);
            }
            else
            {
                pdu.sqe().writeRead(cid, 1, 0, 7, 4096);
            }
            if (!placeholders)
            {
                pdu.writeHeaderDigest(CRC).writeDataDigest(CRC);
            }
            return done(m, pdu.plen());
        }
    }

    static byte[] h2cData(final boolean hdgst, final boolean ddgst, final int cpda, final int cid, final int ttag,
        final long datao, final byte[] data, final boolean last, final boolean placeholders)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = arena.allocate(256 + data.length);
            final H2CDataPdu pdu = new H2CDataPdu().wrap(m, 0);
            pdu.write(hdgst, ddgst, cpda, cid, ttag, datao, data.length, last);
            MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, pdu.dataOffset(), data.length);
            if (!placeholders)
            {
                pdu.writeHeaderDigest(CRC).writeDataDigest(CRC);
            }
            return done(m, pdu.plen());
        }
    }

    /** @return the PDU's PLEN. */
    static long plen(final byte[] pdu)
    {
        return (pdu[4] & 0xFFL) | (pdu[5] & 0xFFL) << 8 | (pdu[6] & 0xFFL) << 16 | (pdu[7] & 0xFFL) << 24;
    }

    /** Set a little-endian u32 in a PDU. */
    static byte[] putLe32(final byte[] pdu, final int at, final long value)
    {
        pdu[at] = (byte)value;
        pdu[at + 1] = (byte)(value >>> 8);
        pdu[at + 2] = (byte)(value >>> 16);
        pdu[at + 3] = (byte)(value >>> 24);
        return pdu;
    }

    /** Recompute a PDU's header digest after a test changed its header. */
    static byte[] rehash(final byte[] pdu)
    {
        final int hlen = pdu[2] & 0xFF;
        final MemorySegment m = MemorySegment.ofArray(pdu);
        final int digest = new Crc32c().update(m, 0, hlen).value();
        return putLe32(pdu, hlen, digest);
    }
}
