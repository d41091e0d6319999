package io.xts.tools.traffic;

import io.xts.xsk.MacAddress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The layout of the raw frames the driver's traffic tools send: an Ethernet header with EtherType 0x88B5, a
 * big-endian 64-bit sequence number, then a payload pattern that depends on the sequence number and the offset, so
 * that a stale, shifted or corrupted frame is caught. The XTS link protocol has its own header on top of the same
 * EtherType; these frames only exercise the driver.
 */
public final class TestFrame
{
    /** The IEEE local experimental EtherType XTS uses. */
    public static final int ETHERTYPE = 0x88B5;
    /** Bytes of the Ethernet header. */
    public static final int ETH_HEADER = 14;
    /** Offset of the sequence number. */
    public static final int SEQ_OFFSET = ETH_HEADER;
    /** Offset of the first pattern byte. */
    public static final int PATTERN_OFFSET = SEQ_OFFSET + Long.BYTES;
    /** Smallest frame: header and sequence number. */
    public static final int MIN_SIZE = PATTERN_OFFSET;

    static final ValueLayout.OfLong SEQ = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private TestFrame()
    {
    }

    /**
     * Write the Ethernet header.
     *
     * @param frame  memory.
     * @param offset where the frame starts.
     * @param dst    destination MAC, 6 bytes.
     * @param src    source MAC, 6 bytes.
     */
    public static void writeHeader(final MemorySegment frame, final long offset, final byte[] dst, final byte[] src)
    {
        MemorySegment.copy(dst, 0, frame, ValueLayout.JAVA_BYTE, offset, 6);
        MemorySegment.copy(src, 0, frame, ValueLayout.JAVA_BYTE, offset + 6, 6);
        frame.set(U16, offset + 12, (short)ETHERTYPE);
    }

    /**
     * @param frame  memory.
     * @param offset frame start.
     * @param seq    sequence number.
     */
    public static void writeSeq(final MemorySegment frame, final long offset, final long seq)
    {
        frame.set(SEQ, offset + SEQ_OFFSET, seq);
    }

    /**
     * @param frame  memory.
     * @param offset frame start.
     * @return the sequence number.
     */
    public static long readSeq(final MemorySegment frame, final long offset)
    {
        return frame.get(SEQ, offset + SEQ_OFFSET);
    }

    /**
     * @param frame  memory.
     * @param offset frame start.
     * @return the EtherType.
     */
    public static int etherType(final MemorySegment frame, final long offset)
    {
        return frame.get(U16, offset + 12) & 0xFFFF;
    }

    static byte patternByte(final long seq, final int k)
    {
        return (byte)(seq * 7 + k);
    }

    /**
     * Write the payload pattern of frame {@code seq}.
     *
     * @param frame  memory.
     * @param offset frame start.
     * @param size   frame length.
     * @param seq    sequence number.
     */
    public static void writePattern(final MemorySegment frame, final long offset, final int size, final long seq)
    {
        for (int k = PATTERN_OFFSET; k < size; k++)
        {
            frame.set(ValueLayout.JAVA_BYTE, offset + k, patternByte(seq, k));
        }
    }

    /**
     * @param frame  memory.
     * @param offset frame start.
     * @param size   frame length.
     * @param seq    sequence number.
     * @return true when the payload is the pattern of frame {@code seq}.
     */
    public static boolean checkPattern(final MemorySegment frame, final long offset, final int size, final long seq)
    {
        for (int k = PATTERN_OFFSET; k < size; k++)
        {
            if (frame.get(ValueLayout.JAVA_BYTE, offset + k) != patternByte(seq, k))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @param text six hex bytes separated by colons.
     * @return the 6 bytes.
     * @throws IllegalArgumentException naming the bad text.
     */
    public static byte[] parseMac(final String text)
    {
        return MacAddress.parse(text);
    }

    /**
     * @param ifname an interface in the calling thread's namespace.
     * @return its MAC address from sysfs.
     */
    public static byte[] interfaceMac(final String ifname)
    {
        return MacAddress.ofInterface(ifname);
    }
}
