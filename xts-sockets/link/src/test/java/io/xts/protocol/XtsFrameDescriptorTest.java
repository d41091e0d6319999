package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static io.xts.protocol.XtsFrameDescriptor.align;
import static io.xts.protocol.XtsFrameDescriptor.serialAfter;
import static io.xts.protocol.XtsFrameDescriptor.serialBefore;
import static io.xts.protocol.XtsFrameDescriptor.serialBeforeOrEqual;
import static io.xts.protocol.XtsFrameDescriptor.serialDistance;
import static io.xts.protocol.XtsFrameDescriptor.serialMax;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the layout constants against the tables of {@code docs/PROTOCOL.md} ("The XTS link protocol (version 1)"),
 * the reserved message-type ranges, 4-byte alignment, and u32 serial-number arithmetic, in particular across the
 * wrap from 0xFFFFFFFF to 0 and at the ambiguous distance of exactly 2^31.
 */
class XtsFrameDescriptorTest
{
    @Test
    void shouldLayOutEthernetAndXtsHeadersAsSpecified()
    {
        assertEquals(0x88B5, XtsFrameDescriptor.ETHERTYPE);
        assertEquals(0, XtsFrameDescriptor.DST_MAC_OFFSET);
        assertEquals(6, XtsFrameDescriptor.SRC_MAC_OFFSET);
        assertEquals(12, XtsFrameDescriptor.ETHERTYPE_OFFSET);
        assertEquals(14, XtsFrameDescriptor.ETHERNET_HEADER_LENGTH);
        assertEquals(24, XtsFrameDescriptor.HEADER_LENGTH);
        assertEquals(38, XtsFrameDescriptor.FRAME_OVERHEAD);
        assertEquals(38, XtsFrameDescriptor.PAYLOAD_OFFSET);

        final int h = XtsFrameDescriptor.HEADER_OFFSET;
        assertEquals(14, h);
        assertEquals(0, XtsFrameDescriptor.VERSION_OFFSET - h);
        assertEquals(1, XtsFrameDescriptor.KIND_OFFSET - h);
        assertEquals(2, XtsFrameDescriptor.FLAGS_OFFSET - h);
        assertEquals(4, XtsFrameDescriptor.PAYLOAD_LENGTH_OFFSET - h);
        assertEquals(6, XtsFrameDescriptor.RESERVED_OFFSET - h);
        assertEquals(8, XtsFrameDescriptor.EPOCH_OFFSET - h);
        assertEquals(12, XtsFrameDescriptor.SEQ_OFFSET - h);
        assertEquals(16, XtsFrameDescriptor.ACK_OFFSET - h);
        assertEquals(20, XtsFrameDescriptor.CREDIT_LIMIT_OFFSET - h);

        assertEquals(1, XtsFrameDescriptor.VERSION);
        assertEquals(1, XtsFrameDescriptor.KIND_HELLO);
        assertEquals(2, XtsFrameDescriptor.KIND_DATA);
        assertEquals(3, XtsFrameDescriptor.KIND_ACK);
        assertEquals(4, XtsFrameDescriptor.KIND_RESET);
        assertEquals(1, XtsFrameDescriptor.FLAG_GAP);
        assertEquals(2, XtsFrameDescriptor.FLAG_RETRANSMIT);
    }

    @Test
    void shouldLayOutPayloadsAndMessagesAsSpecified()
    {
        assertEquals(24, XtsFrameDescriptor.HELLO_LENGTH);
        assertEquals(20, XtsFrameDescriptor.HELLO_DEAD_TIMEOUT_OFFSET);
        assertEquals(46, XtsFrameDescriptor.HELLO_MIN_FRAME_SIZE);
        assertEquals(4, XtsFrameDescriptor.RESET_HEADER_LENGTH);
        assertEquals(1, XtsFrameDescriptor.RESET_VERSION_MISMATCH);
        assertEquals(2, XtsFrameDescriptor.RESET_PROTOCOL_ERROR);
        assertEquals(3, XtsFrameDescriptor.RESET_SHUTDOWN);
        assertEquals(8, XtsFrameDescriptor.MESSAGE_HEADER_LENGTH);
        assertEquals(4, XtsFrameDescriptor.MESSAGE_ALIGNMENT);
        assertEquals(0x0001, XtsFrameDescriptor.TYPE_LINK_ERROR);
        assertEquals(0x0010, XtsFrameDescriptor.TYPE_STREAM_DATA);
        assertEquals(0x0011, XtsFrameDescriptor.TYPE_STREAM_CREDIT);
        assertEquals(8, XtsFrameDescriptor.LINK_ERROR_LENGTH);
        assertEquals(1, XtsFrameDescriptor.LINK_ERROR_UNKNOWN_TYPE);
        assertEquals(2, XtsFrameDescriptor.LINK_ERROR_MALFORMED);
        assertEquals(3, XtsFrameDescriptor.LINK_ERROR_UNKNOWN_STREAM);
        assertEquals(12, XtsFrameDescriptor.STREAM_CREDIT_LENGTH);
    }

    @Test
    void shouldKeepEveryReservedSocketTypeDistinctAndInsideItsRange()
    {
        final int[] types = {
            XtsFrameDescriptor.TYPE_SOCKET_CONNECT,
            XtsFrameDescriptor.TYPE_SOCKET_CONNECT_RESULT,
            XtsFrameDescriptor.TYPE_SOCKET_LISTEN,
            XtsFrameDescriptor.TYPE_SOCKET_LISTEN_RESULT,
            XtsFrameDescriptor.TYPE_SOCKET_ACCEPTED,
            XtsFrameDescriptor.TYPE_SOCKET_DATA,
            XtsFrameDescriptor.TYPE_SOCKET_CREDIT,
            XtsFrameDescriptor.TYPE_SOCKET_SHUTDOWN,
            XtsFrameDescriptor.TYPE_SOCKET_CLOSE,
            XtsFrameDescriptor.TYPE_SOCKET_RESET,
            XtsFrameDescriptor.TYPE_SOCKET_ERROR,
            XtsFrameDescriptor.TYPE_SOCKET_SET_OPTION,
            XtsFrameDescriptor.TYPE_SOCKET_OPTION_RESULT,
        };
        assertReservedRange(types, 0x0100, 0x01FF, true);
    }

    @Test
    void shouldKeepEveryReservedNvmeTypeDistinctAndInsideItsRange()
    {
        final int[] types = {
            XtsFrameDescriptor.TYPE_NVME_ULP_PUSH,
            XtsFrameDescriptor.TYPE_NVME_ULP_RESULT,
            XtsFrameDescriptor.TYPE_NVME_DDP_SETUP,
            XtsFrameDescriptor.TYPE_NVME_DDP_TEARDOWN,
            XtsFrameDescriptor.TYPE_NVME_DDP_PLACE,
            XtsFrameDescriptor.TYPE_NVME_PDU_HEADER,
            XtsFrameDescriptor.TYPE_NVME_RESYNC_REQUEST,
            XtsFrameDescriptor.TYPE_NVME_RESYNC_RESPONSE,
        };
        assertReservedRange(types, 0x0200, 0x02FF, false);
    }

    @Test
    void shouldTellKnownKindsAndRanges()
    {
        assertFalse(XtsFrameDescriptor.isKnownKind(0));
        for (int kind = 1; kind <= 4; kind++)
        {
            assertTrue(XtsFrameDescriptor.isKnownKind(kind));
        }
        assertFalse(XtsFrameDescriptor.isKnownKind(5));
        assertFalse(XtsFrameDescriptor.isKnownKind(255));
        assertEquals("HELLO", XtsFrameDescriptor.kindName(1));
        assertEquals("DATA", XtsFrameDescriptor.kindName(2));
        assertEquals("ACK", XtsFrameDescriptor.kindName(3));
        assertEquals("RESET", XtsFrameDescriptor.kindName(4));
        assertEquals("UNKNOWN", XtsFrameDescriptor.kindName(0));
        assertFalse(XtsFrameDescriptor.isSocketType(0x00FF));
        assertFalse(XtsFrameDescriptor.isSocketType(0x0200));
        assertFalse(XtsFrameDescriptor.isNvmeType(0x01FF));
        assertFalse(XtsFrameDescriptor.isNvmeType(0x0300));
        assertFalse(XtsFrameDescriptor.isSocketType(XtsFrameDescriptor.TYPE_STREAM_DATA));
    }

    @Test
    void shouldAlignToFourBytes()
    {
        assertEquals(0, align(0));
        assertEquals(4, align(1));
        assertEquals(4, align(4));
        assertEquals(8, align(5));
        assertEquals(0x10000, align(0xFFFF));
        assertEquals(8, XtsFrameDescriptor.messageFrameLength(0));
        assertEquals(12, XtsFrameDescriptor.messageFrameLength(1));
        assertEquals(20, XtsFrameDescriptor.messageFrameLength(12));
    }

    @Test
    void shouldCompareSerialNumbersAcrossTheWrap()
    {
        assertTrue(serialBefore(0xFFFF_FFFF, 0));
        assertTrue(serialBefore(0xFFFF_FFF0, 5));
        assertFalse(serialBefore(0, 0xFFFF_FFFF));
        assertTrue(serialAfter(0, 0xFFFF_FFFF));
        assertTrue(serialAfter(3, 0xFFFF_FFFE));
        assertFalse(serialBefore(7, 7));
        assertFalse(serialAfter(7, 7));
        assertTrue(serialBeforeOrEqual(7, 7));
        assertTrue(serialBeforeOrEqual(0xFFFF_FFFF, 0));
        assertFalse(serialBeforeOrEqual(1, 0xFFFF_FFFF));
        assertEquals(3, serialDistance(0xFFFF_FFFE, 1));
        assertEquals(-3, serialDistance(1, 0xFFFF_FFFE));
        assertEquals(2, serialMax(0xFFFF_FFFF, 2));
        assertEquals(2, serialMax(2, 0xFFFF_FFFF));
        assertEquals(0x7FFF_FFFF, serialMax(0x7FFF_FFFE, 0x7FFF_FFFF));
        assertEquals(0x8000_0000, serialMax(0x8000_0000, 0x7FFF_FFFF));
        assertTrue(serialBefore(0x7FFF_FFFF, 0x8000_0000));
        assertTrue(serialBefore(0x7FFF_FFFF, 0xFFFF_FFFE));
    }

    @Test
    void shouldFollowTheSpecifiedFormulaAtExactlyHalfTheSequenceSpaceApart()
    {
        // (int)(a - b) < 0 holds both ways at 2^31: each is "before" the other. The link never lets two live
        // sequence numbers drift that far apart (credits and retention are far smaller).
        assertTrue(serialBefore(0, 0x8000_0000));
        assertTrue(serialBefore(0x8000_0000, 0));
        assertFalse(serialAfter(0, 0x8000_0000));
        assertFalse(serialAfter(0x8000_0000, 0));
        assertEquals(0, serialMax(0, 0x8000_0000));
        assertEquals(0x8000_0000, serialMax(0x8000_0000, 0));
    }

    private static void assertReservedRange(
        final int[] types, final int first, final int last, final boolean socket)
    {
        final Set<Integer> seen = new HashSet<>();
        for (final int type : types)
        {
            assertTrue(type >= first && type <= last, Integer.toHexString(type));
            assertEquals(socket, XtsFrameDescriptor.isSocketType(type));
            assertEquals(!socket, XtsFrameDescriptor.isNvmeType(type));
            assertTrue(seen.add(type), "duplicate " + Integer.toHexString(type));
        }
        assertTrue(socket ? XtsFrameDescriptor.isSocketType(first) : XtsFrameDescriptor.isNvmeType(first));
        assertTrue(socket ? XtsFrameDescriptor.isSocketType(last) : XtsFrameDescriptor.isNvmeType(last));
    }
}
