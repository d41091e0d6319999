package io.xts.proxy.nvme;

import io.xts.protocol.ResyncFlyweight;
import io.xts.proxy.ProxyCounters;
import io.xts.proxy.config.ProxyConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static io.xts.protocol.UlpMessages.RESYNC_REQUEST_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_REQUEST;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives the proxy's NVMe/TCP offload engine ({@link NvmeQueueOffload}) with a controller-to-host byte stream chosen
 * by the fuzzer, as a malicious target would send it: the stream goes into staging in chunks of the sizes the input
 * picks, through the same prepareRead/readRoom/received/drain calls the TCP connection makes, with a link that
 * sometimes has no room, a few DDP registrations, and RESYNC_REQUESTs answered yes or no. The invariants: nothing
 * throws, every claim is within the link's message size and memory, a failed stream names why, a failed engine takes
 * no more bytes, and the engine always ends (no input makes it loop).
 * <p>
 * Input layout: byte 0 flags (bit 0 header digest, 1 data digest, 2 start searching instead of in sync, 3 answer
 * resync requests "header there", 4 the link refuses every third claim), byte 1 HPDA (low 2 bits), byte 2 the chunk
 * size in 64-byte units (0: one byte at a time), byte 3 the registrations to make (CIDs 0.., 64 KiB each), then the
 * stream.
 */
final class NvmeOffloadFuzzTarget
{
    private static final int HEADER = 4;
    private static final int MEMORY = 1 << 20;
    private static final int MAX_MESSAGE = 4000;

    private final ProxyCounters counters = new ProxyCounters(new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 14))),
        "fuzz");
    private final MemorySegment memory = Arena.ofAuto().allocate(MEMORY);
    private final ResyncFlyweight resync = new ResyncFlyweight();
    private final FuzzPort port = new FuzzPort();

    /** The link as the engine sees it: bump-allocated claims in one segment, refusing some when asked to. */
    private final class FuzzPort implements OffloadPort
    {
        private long next;
        private long lastClaim = -1;
        private int lastLength;
        private boolean refuseSome;
        private int claims;
        long resyncCandidate = -1;

        @Override
        public long claim(final int type, final int streamId, final int length)
        {
            assertTrue(length >= 0 && length <= MAX_MESSAGE, "claim of " + length + " bytes");
            if (refuseSome && 0 == ++claims % 3)
            {
                return -1;
            }
            if (next + length > MEMORY)
            {
                next = 0;
            }
            lastClaim = next;
            lastLength = length;
            next += length + 8;
            if (TYPE_NVME_RESYNC_REQUEST == type)
            {
                assertTrue(RESYNC_REQUEST_LENGTH == length, "RESYNC_REQUEST of " + length + " bytes");
                resyncCandidate = lastClaim;
            }
            return lastClaim;
        }

        @Override
        public void trimClaim(final int length)
        {
            assertTrue(lastClaim >= 0 && length >= 0 && length <= lastLength, "trim to " + length + " of " +
                lastLength);
            lastLength = length;
        }

        @Override
        public int claimableInFrame()
        {
            return MAX_MESSAGE;
        }

        @Override
        public int maxMessageLength()
        {
            return MAX_MESSAGE;
        }

        @Override
        public MemorySegment memory()
        {
            return memory;
        }

        @Override
        public ProxyCounters counters()
        {
            return counters;
        }
    }

    void exercise(final byte[] input)
    {
        if (input.length < HEADER)
        {
            return;
        }
        final int flags = input[0];
        final boolean searching = 0 != (flags & 4);
        final boolean answerYes = 0 != (flags & 8);
        port.refuseSome = 0 != (flags & 16);
        port.claims = 0;
        port.next = 0;
        port.resyncCandidate = -1;
        final int chunk = Math.max(1, (input[2] & 0xFF) * 64);
        // In sync: the app consumed exactly what was forwarded (0); searching: it consumed less, so the engine
        // searches for a header before it trusts the framing.
        final PushedQueue queue = new PushedQueue(0 != (flags & 1), 0 != (flags & 2), 0, input[1] & 3, 1 << 20, 128,
            searching ? 0 : 4096, 0);
        final NvmeQueueOffload offload = new NvmeQueueOffload(port, 7, queue, ProxyConfig.NvmeOffload.defaults(),
            4096);
        try
        {
            for (int cid = 0; cid < (input[3] & 0x0F); cid++)
            {
                offload.setup(cid, 64 * 1024);
            }
            int pos = HEADER;
            int rounds = 0;
            boolean failed = false;
            while (!failed && pos < input.length)
            {
                if (++rounds > 4 * input.length + 1000)
                {
                    fail("the engine stopped taking bytes: " + (input.length - pos) + " left");
                }
                final int at = offload.prepareRead();
                if (at >= 0)
                {
                    final int n = Math.min(Math.min(chunk, offload.readRoom()), input.length - pos);
                    final ByteBuffer view = offload.stageView();
                    view.limit(at + n).position(at);
                    view.put(input, pos, n);
                    offload.received(n);
                    pos += n;
                }
                failed = drainAll(offload, answerYes);
            }
            if (!failed)
            {
                offload.endOfStream();
                drainAll(offload, answerYes);
            }
        }
        finally
        {
            offload.close();
        }
    }

    /**
     * Drain until the engine is idle or failed; the refusing link gives way after a few tries, as a real one does.
     *
     * @return whether the stream failed.
     */
    private boolean drainAll(final NvmeQueueOffload offload, final boolean answerYes)
    {
        for (int tries = 0; tries < 10_000; tries++)
        {
            final int result = offload.drain();
            if (NvmeQueueOffload.FAILED == result)
            {
                assertNotNull(offload.failure(), "a failed stream names why");
                assertTrue(!offload.canRead() && offload.prepareRead() < 0, "a failed engine takes no more bytes");
                return true;
            }
            if (port.resyncCandidate >= 0)
            {
                final long candidate = resync.wrap(memory, port.resyncCandidate, RESYNC_REQUEST_LENGTH)
                    .streamOffset();
                port.resyncCandidate = -1;
                offload.onResyncResponse(candidate, answerYes);
                continue;
            }
            if (NvmeQueueOffload.IDLE == result)
            {
                return false;
            }
        }
        fail("drain never settled");
        return true;
    }
}
