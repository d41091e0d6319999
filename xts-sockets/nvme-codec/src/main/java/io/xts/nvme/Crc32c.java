package io.xts.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static io.xts.nvme.NvmeTcp.DIGEST_LENGTH;
import static io.xts.nvme.NvmeTcp.LE_INT;

/**
 * CRC-32C (Castagnoli; seed and final XOR all ones) over {@link MemorySegment} ranges, the algorithm of NVMe/TCP
 * header and data digests, computed incrementally across any number of pieces: a data digest covers one PDU's DATA,
 * which arrives split over TCP segments and frames. The work is done by {@link CRC32C}, which the JIT replaces with
 * the CPU's CRC instructions; it takes memory only as arrays or {@link ByteBuffer}s, and {@link
 * MemorySegment#asByteBuffer()} creates an object, so this class keeps one buffer view per memory region it has seen
 * (a small identity cache: a parser's header buffer and a UMEM, typically) and only moves that view's position and
 * limit per call. Pass the same segment instance with offsets (not a fresh slice per call) and nothing is allocated.
 * <p>
 * The digest value is stored on the wire as a little-endian u32 ({@link #get}, {@link #put}). One instance is not
 * thread safe; {@link #of} uses one per thread.
 */
public final class Crc32c
{
    /** Bytes of a stored digest. */
    public static final int LENGTH = DIGEST_LENGTH;

    private static final int CACHE = 4;
    // Views of segments larger than a ByteBuffer can address cover a window of this size from the wanted offset.
    private static final long MAX_VIEW = Integer.MAX_VALUE;
    private static final ThreadLocal<Crc32c> PER_THREAD = ThreadLocal.withInitial(Crc32c::new);

    private final CRC32C crc = new CRC32C();
    private final MemorySegment[] segments = new MemorySegment[CACHE];
    private final long[] bases = new long[CACHE];
    private final ByteBuffer[] views = new ByteBuffer[CACHE];
    private int victim;
    // The cache slot the last view() returned, so update() knows the view's base without another lookup.
    private int slot;

    /**
     * Create a digest at its initial state.
     */
    public Crc32c()
    {
    }

    /**
     * Start a new digest.
     *
     * @return this.
     */
    public Crc32c reset()
    {
        crc.reset();
        return this;
    }

    /**
     * Add bytes to the digest.
     *
     * @param segment memory.
     * @param offset  first byte.
     * @param length  bytes.
     * @return this.
     */
    public Crc32c update(final MemorySegment segment, final long offset, final long length)
    {
        long at = offset;
        long left = length;
        while (left > 0)
        {
            final ByteBuffer view = view(segment, at, left);
            final int start = (int)(at - bases[slot]);
            final int piece = (int)Math.min(left, view.capacity() - start);
            view.limit(start + piece);
            view.position(start);
            crc.update(view);
            at += piece;
            left -= piece;
        }
        return this;
    }

    /**
     * Add the bytes of a buffer, from its position to its limit; the position is left where it was.
     *
     * @param buffer the bytes (direct buffers go to the CPU's CRC instructions as they are).
     * @return this.
     */
    public Crc32c update(final ByteBuffer buffer)
    {
        final int position = buffer.position();
        crc.update(buffer);
        buffer.position(position);
        return this;
    }

    /**
     * @return the digest of the bytes added since the last reset, as the 32-bit value the wire carries.
     */
    public int value()
    {
        return (int)crc.getValue();
    }

    /**
     * Forget the buffer views kept (call when the memory they cover is released, so that it can be collected).
     */
    public void forget()
    {
        Arrays.fill(segments, null);
        Arrays.fill(views, null);
    }

    private ByteBuffer view(final MemorySegment segment, final long at, final long length)
    {
        for (int i = 0; i < CACHE; i++)
        {
            if (segments[i] == segment)
            {
                final long base = bases[i];
                if (at >= base && at < base + views[i].capacity())
                {
                    slot = i;
                    return views[i];
                }
            }
        }
        // Not cached: a view of the whole segment, or of a window from this offset when the segment is too large.
        final int i = victim;
        victim = (victim + 1) % CACHE;
        final long size = segment.byteSize();
        final long base = size <= MAX_VIEW ? 0 : at;
        final ByteBuffer view = (0 == base ? segment : segment.asSlice(base, Math.min(size - base, MAX_VIEW)))
            .asByteBuffer();
        segments[i] = segment;
        bases[i] = base;
        views[i] = view;
        slot = i;
        return view;
    }

    /**
     * The digest of one range, with this thread's instance.
     *
     * @param segment memory.
     * @param offset  first byte.
     * @param length  bytes.
     * @return the CRC-32C value.
     */
    public static int of(final MemorySegment segment, final long offset, final long length)
    {
        return PER_THREAD.get().reset().update(segment, offset, length).value();
    }

    /**
     * @param segment memory.
     * @param offset  where a digest is stored.
     * @return the digest stored there (little endian).
     */
    public static int get(final MemorySegment segment, final long offset)
    {
        return segment.get(LE_INT, offset);
    }

    /**
     * @param segment memory.
     * @param offset  where to store the digest.
     * @param digest  the digest value, stored little endian.
     */
    public static void put(final MemorySegment segment, final long offset, final int digest)
    {
        segment.set(LE_INT, offset, digest);
    }

    /**
     * Compute and store the header digest of a PDU header in memory: CRC-32C over the HLEN bytes of CH and PSH,
     * stored right after them. HLEN is read from the header.
     *
     * @param segment memory holding the PDU.
     * @param pdu     offset of the PDU's first byte.
     * @return the digest.
     */
    public int writeHeaderDigest(final MemorySegment segment, final long pdu)
    {
        final int hlen = hlen(segment, pdu);
        final int digest = reset().update(segment, pdu, hlen).value();
        put(segment, pdu + hlen, digest);
        return digest;
    }

    /**
     * @param segment memory holding the PDU header and its HDGST.
     * @param pdu     offset of the PDU's first byte.
     * @return whether the HDGST after the HLEN bytes matches them.
     */
    public boolean verifyHeaderDigest(final MemorySegment segment, final long pdu)
    {
        final int hlen = hlen(segment, pdu);
        return reset().update(segment, pdu, hlen).value() == get(segment, pdu + hlen);
    }

    /**
     * Compute and store a data digest: CRC-32C over DATA, stored right after it.
     *
     * @param segment memory holding DATA.
     * @param data    offset of DATA's first byte.
     * @param length  bytes of DATA.
     * @return the digest.
     */
    public int writeDataDigest(final MemorySegment segment, final long data, final long length)
    {
        final int digest = reset().update(segment, data, length).value();
        put(segment, data + length, digest);
        return digest;
    }

    /**
     * @param segment memory holding DATA followed by its DDGST.
     * @param data    offset of DATA's first byte.
     * @param length  bytes of DATA.
     * @return whether the DDGST after DATA matches it.
     */
    public boolean verifyDataDigest(final MemorySegment segment, final long data, final long length)
    {
        return reset().update(segment, data, length).value() == get(segment, data + length);
    }

    private static int hlen(final MemorySegment segment, final long pdu)
    {
        return segment.get(ValueLayout.JAVA_BYTE, pdu + 2) & 0xFF;
    }
}
