package io.xts.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.protocol.XtsFrameDescriptor.ACK_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_INT;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_SHORT;
import static io.xts.protocol.XtsFrameDescriptor.CREDIT_LIMIT_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.DST_MAC_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.EPOCH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.ETHERTYPE;
import static io.xts.protocol.XtsFrameDescriptor.ETHERTYPE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.FLAGS_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.KIND_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.MAC_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.RESERVED_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.SEQ_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.SRC_MAC_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.VERSION;
import static io.xts.protocol.XtsFrameDescriptor.VERSION_OFFSET;

/**
 * Encoder and decoder, in place, of the Ethernet II header and the 24-byte XTS header at the start of a frame
 * (layout in {@link XtsFrameDescriptor}). One instance is reused: {@link #wrap} points it at a frame (a UMEM frame,
 * any {@link MemorySegment} plus a base offset and the frame's length) and every accessor then reads or writes the
 * bytes there, big-endian, without allocating. The accessors do not check the header against the wrapped length:
 * a received frame goes through {@link FrameValidator} first (or the caller checks
 * {@code length() >= FRAME_OVERHEAD}); an access outside the segment still fails with the segment's bounds check.
 * u8 and u16 fields are returned as non-negative {@code int}s; u32 fields (epoch, seq, ack, creditLimit) as their
 * raw 32 bits in an {@code int}, the form serial arithmetic ({@link XtsFrameDescriptor#serialBefore}) works on.
 */
public final class XtsFrameFlyweight
{
    private MemorySegment segment;
    private long offset;
    private int length;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it over a frame before use.
     */
    public XtsFrameFlyweight()
    {
    }

    /**
     * Point this flyweight at a frame.
     *
     * @param segment memory holding the frame.
     * @param offset  offset of the frame's first byte (the destination MAC) in {@code segment}.
     * @param length  bytes of the frame available: received length, or capacity when encoding.
     * @return this.
     */
    public XtsFrameFlyweight wrap(final MemorySegment segment, final long offset, final int length)
    {
        this.segment = segment;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /**
     * @return the wrapped memory.
     */
    public MemorySegment segment()
    {
        return segment;
    }

    /**
     * @return offset of the frame in {@link #segment()}.
     */
    public long offset()
    {
        return offset;
    }

    /**
     * @return bytes of the frame as wrapped.
     */
    public int length()
    {
        return length;
    }

    /**
     * Fill the whole Ethernet and XTS header in one call: EtherType 0x88B5, version 1, reserved 0.
     *
     * @param dstMac        destination MAC in the low 48 bits.
     * @param srcMac        source MAC in the low 48 bits.
     * @param kind          frame kind, e.g. {@link XtsFrameDescriptor#KIND_DATA}.
     * @param flags         u16 flags.
     * @param payloadLength u16 bytes of payload (a {@link MessageWriter} rewrites it on commit).
     * @param epoch         the sender's epoch.
     * @param seq           u32 sequence number.
     * @param ack           u32 cumulative acknowledgement.
     * @param creditLimit   u32 credit limit.
     * @return this.
     */
    public XtsFrameFlyweight writeHeader(
        final long dstMac,
        final long srcMac,
        final int kind,
        final int flags,
        final int payloadLength,
        final int epoch,
        final int seq,
        final int ack,
        final int creditLimit)
    {
        dstMac(dstMac);
        srcMac(srcMac);
        ethertype(ETHERTYPE);
        version(VERSION);
        kind(kind);
        flags(flags);
        payloadLength(payloadLength);
        segment.set(BIG_ENDIAN_SHORT, offset + RESERVED_OFFSET, (short)0);
        epoch(epoch);
        seq(seq);
        ack(ack);
        creditLimit(creditLimit);
        return this;
    }

    /**
     * @return the destination MAC in the low 48 bits.
     */
    public long dstMac()
    {
        return readMac(offset + DST_MAC_OFFSET);
    }

    /**
     * @param mac destination MAC in the low 48 bits; the upper 16 bits are ignored.
     * @return this.
     */
    public XtsFrameFlyweight dstMac(final long mac)
    {
        writeMac(offset + DST_MAC_OFFSET, mac);
        return this;
    }

    /**
     * @param mac destination MAC, the first 6 bytes of the array.
     * @return this.
     */
    public XtsFrameFlyweight dstMac(final byte[] mac)
    {
        MemorySegment.copy(mac, 0, segment, ValueLayout.JAVA_BYTE, offset + DST_MAC_OFFSET, MAC_LENGTH);
        return this;
    }

    /**
     * @param dst receives the destination MAC in its first 6 bytes.
     */
    public void copyDstMac(final byte[] dst)
    {
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset + DST_MAC_OFFSET, dst, 0, MAC_LENGTH);
    }

    /**
     * @return the source MAC in the low 48 bits.
     */
    public long srcMac()
    {
        return readMac(offset + SRC_MAC_OFFSET);
    }

    /**
     * @param mac source MAC in the low 48 bits; the upper 16 bits are ignored.
     * @return this.
     */
    public XtsFrameFlyweight srcMac(final long mac)
    {
        writeMac(offset + SRC_MAC_OFFSET, mac);
        return this;
    }

    /**
     * @param mac source MAC, the first 6 bytes of the array.
     * @return this.
     */
    public XtsFrameFlyweight srcMac(final byte[] mac)
    {
        MemorySegment.copy(mac, 0, segment, ValueLayout.JAVA_BYTE, offset + SRC_MAC_OFFSET, MAC_LENGTH);
        return this;
    }

    /**
     * @param dst receives the source MAC in its first 6 bytes.
     */
    public void copySrcMac(final byte[] dst)
    {
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset + SRC_MAC_OFFSET, dst, 0, MAC_LENGTH);
    }

    /**
     * @return the u16 EtherType.
     */
    public int ethertype()
    {
        return u16(offset + ETHERTYPE_OFFSET);
    }

    /**
     * @param ethertype u16 EtherType.
     * @return this.
     */
    public XtsFrameFlyweight ethertype(final int ethertype)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + ETHERTYPE_OFFSET, (short)ethertype);
        return this;
    }

    /**
     * @return the u8 protocol version.
     */
    public int version()
    {
        return segment.get(ValueLayout.JAVA_BYTE, offset + VERSION_OFFSET) & 0xFF;
    }

    /**
     * @param version u8 protocol version.
     * @return this.
     */
    public XtsFrameFlyweight version(final int version)
    {
        segment.set(ValueLayout.JAVA_BYTE, offset + VERSION_OFFSET, (byte)version);
        return this;
    }

    /**
     * @return the u8 frame kind.
     */
    public int kind()
    {
        return segment.get(ValueLayout.JAVA_BYTE, offset + KIND_OFFSET) & 0xFF;
    }

    /**
     * @param kind u8 frame kind.
     * @return this.
     */
    public XtsFrameFlyweight kind(final int kind)
    {
        segment.set(ValueLayout.JAVA_BYTE, offset + KIND_OFFSET, (byte)kind);
        return this;
    }

    /**
     * @return the u16 flags.
     */
    public int flags()
    {
        return u16(offset + FLAGS_OFFSET);
    }

    /**
     * @param flags u16 flags.
     * @return this.
     */
    public XtsFrameFlyweight flags(final int flags)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + FLAGS_OFFSET, (short)flags);
        return this;
    }

    /**
     * @param flag a flag bit, e.g. {@link XtsFrameDescriptor#FLAG_GAP}.
     * @return whether it is set.
     */
    public boolean hasFlag(final int flag)
    {
        return 0 != (flags() & flag);
    }

    /**
     * @return the u16 payload length.
     */
    public int payloadLength()
    {
        return u16(offset + PAYLOAD_LENGTH_OFFSET);
    }

    /**
     * @param payloadLength u16 payload length.
     * @return this.
     */
    public XtsFrameFlyweight payloadLength(final int payloadLength)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + PAYLOAD_LENGTH_OFFSET, (short)payloadLength);
        return this;
    }

    /**
     * @return the sender's u32 epoch, raw bits.
     */
    public int epoch()
    {
        return segment.get(BIG_ENDIAN_INT, offset + EPOCH_OFFSET);
    }

    /**
     * @param epoch u32 epoch.
     * @return this.
     */
    public XtsFrameFlyweight epoch(final int epoch)
    {
        segment.set(BIG_ENDIAN_INT, offset + EPOCH_OFFSET, epoch);
        return this;
    }

    /**
     * @return the u32 sequence number, raw bits.
     */
    public int seq()
    {
        return segment.get(BIG_ENDIAN_INT, offset + SEQ_OFFSET);
    }

    /**
     * @param seq u32 sequence number.
     * @return this.
     */
    public XtsFrameFlyweight seq(final int seq)
    {
        segment.set(BIG_ENDIAN_INT, offset + SEQ_OFFSET, seq);
        return this;
    }

    /**
     * @return the u32 cumulative acknowledgement, raw bits.
     */
    public int ack()
    {
        return segment.get(BIG_ENDIAN_INT, offset + ACK_OFFSET);
    }

    /**
     * @param ack u32 cumulative acknowledgement.
     * @return this.
     */
    public XtsFrameFlyweight ack(final int ack)
    {
        segment.set(BIG_ENDIAN_INT, offset + ACK_OFFSET, ack);
        return this;
    }

    /**
     * @return the u32 credit limit, raw bits.
     */
    public int creditLimit()
    {
        return segment.get(BIG_ENDIAN_INT, offset + CREDIT_LIMIT_OFFSET);
    }

    /**
     * @param creditLimit u32 credit limit.
     * @return this.
     */
    public XtsFrameFlyweight creditLimit(final int creditLimit)
    {
        segment.set(BIG_ENDIAN_INT, offset + CREDIT_LIMIT_OFFSET, creditLimit);
        return this;
    }

    /**
     * @return offset of the payload in {@link #segment()}.
     */
    public long payloadOffset()
    {
        return offset + PAYLOAD_OFFSET;
    }

    /**
     * @return bytes the frame occupies on the wire according to its header: overhead plus payload length.
     */
    public int frameLength()
    {
        return FRAME_OVERHEAD + payloadLength();
    }

    private int u16(final long at)
    {
        return segment.get(BIG_ENDIAN_SHORT, at) & 0xFFFF;
    }

    private long readMac(final long at)
    {
        return ((long)u16(at) << 32) | (segment.get(BIG_ENDIAN_INT, at + 2) & 0xFFFF_FFFFL);
    }

    private void writeMac(final long at, final long mac)
    {
        segment.set(BIG_ENDIAN_SHORT, at, (short)(mac >>> 32));
        segment.set(BIG_ENDIAN_INT, at + 2, (int)mac);
    }
}
