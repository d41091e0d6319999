package io.xts.nvme;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks that writing PDUs with digests and delineating a stream allocates nothing once compiled: a cycle writes a
 * C2HData and a CapsuleResp with both digests, then parses a full controller-to-host stream (eight PDUs, digests on)
 * cut in three chunks at positions that move every cycle, and must leave this thread's allocated-bytes counter where
 * it was. Measured the way {@code io.xts.protocol.AllocationFreeTest} measures.
 */
class NvmeAllocationFreeTest
{
    private final TestStreams.Stream stream = TestStreams.toHost(true, true, 0);
    private final MemorySegment copy = Arena.ofAuto().allocate(stream.length());
    private final MemorySegment out = Arena.ofAuto().allocate(8192);
    private final C2HDataPdu c2h = new C2HDataPdu();
    private final CapsuleRespPdu resp = new CapsuleRespPdu();
    private final Crc32c crc = new Crc32c();
    private final SummingHandler handler = new SummingHandler();
    private final PduParser parser = new PduParser(PduParser.Side.HOST, 8192, handler);
    private long sink;

    @Test
    void shouldNotAllocateWhileWritingAndParsing()
    {
        MemorySegment.copy(stream.bytes(), 0, copy, 0, stream.length());
        handler.parser = parser;
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().threadId();
        long allocated = -1;
        for (int round = 0; round < 10 && 0 != allocated; round++)
        {
            for (int i = 0; i < 20_000; i++)
            {
                cycle(i);
            }
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 5_000; i++)
            {
                cycle(i);
            }
            allocated = threads.getThreadAllocatedBytes(thread) - before;
        }

        assertTrue(0 != sink);
        assertFalse(parser.isFailed(), parser::errorText);
        assertEquals(0, handler.badDigests);
        assertEquals(0, allocated, "bytes allocated by 5 000 write/parse cycles, once compiled");
    }

    private void cycle(final int i)
    {
        c2h.wrap(out, 0).write(true, true, 0, i & 0xFFFF, 0, 1024, true, false);
        c2h.writeHeaderDigest(crc).writeDataDigest(crc);
        resp.wrap(out, c2h.plen()).write(true, 0, 0, i & 0xFFFF, 1, i & 0xFFFF, 0).writeHeaderDigest(crc);
        sink += resp.cqe().cid();

        final int n = stream.length();
        final int a = i % n;
        final int b = a + (n - a) / 2;
        parser.reset();
        parser.feed(stream.bytes(), 0, a);
        parser.feed(copy, a, b - a);
        parser.feed(stream.bytes(), b, n - b);
        sink += parser.pduCount() + handler.bytes;
    }

    private static final class SummingHandler implements PduHandler
    {
        PduParser parser;
        long bytes;
        long badDigests;

        @Override
        public void onHeader(final PduHeader header)
        {
            bytes += header.plen();
        }

        @Override
        public void onData(final PduHeader header, final long dataOffset, final MemorySegment memory,
            final long offset, final int length)
        {
            bytes += length;
        }

        @Override
        public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
        {
            if (!dataDigestOk)
            {
                badDigests++;
            }
            if (NvmeTcp.TYPE_IC_RESP == header.type())
            {
                parser.digests(parser.icResp().headerDigest(), parser.icResp().dataDigest());
            }
        }

        @Override
        public void onMalformed(final PduError error, final String reason)
        {
            throw new AssertionError(reason);
        }
    }
}
