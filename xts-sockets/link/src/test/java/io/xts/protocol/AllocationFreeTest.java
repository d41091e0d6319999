package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_DATA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the promise that encoding and decoding a frame allocates nothing: after the JIT has compiled the loop, a full
 * cycle (write a DATA header, append and claim messages, commit, validate, read every message back through the
 * flyweights) over native memory must leave this thread's allocated-bytes counter where it was. Warm-up and measurement
 * are repeated a few times so that a slow compiler does not make the test flaky.
 */
class AllocationFreeTest
{
    private static final int FRAME_LENGTH = 3520;

    private final XtsFrameFlyweight frame = new XtsFrameFlyweight();
    private final MessageWriter writer = new MessageWriter();
    private final MessageReader reader = new MessageReader();
    private final StreamCreditFlyweight credit = new StreamCreditFlyweight();
    private final MemorySegment memory = Arena.ofAuto().allocate(4 * FRAME_LENGTH);
    private final MemorySegment body = Arena.ofAuto().allocate(1500);
    private long sink;

    @Test
    void shouldNotAllocateWhileEncodingAndDecoding()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().threadId();
        long allocated = -1;
        for (int round = 0; round < 10 && 0 != allocated; round++)
        {
            for (int i = 0; i < 100_000; i++)
            {
                cycle(i);
            }
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 20_000; i++)
            {
                cycle(i);
            }
            allocated = threads.getThreadAllocatedBytes(thread) - before;
        }

        assertTrue(0 != sink);
        assertEquals(0, allocated, "bytes allocated by 20 000 encode/decode cycles, once compiled");
    }

    private void cycle(final int i)
    {
        final long offset = (i & 3) * (long)FRAME_LENGTH;
        frame.wrap(memory, offset, FRAME_LENGTH).writeHeader(1, 2, KIND_DATA, 0, 0, 0x8000_0001, i, i - 1, i + 64);
        writer.wrap(memory, offset, FRAME_LENGTH);
        writer.append(TYPE_STREAM_DATA, 7, body, 0, 1 + (i & 1023));
        final long creditBody = writer.claim(TYPE_STREAM_CREDIT, 7, StreamCreditFlyweight.LENGTH);
        credit.wrap(memory, creditBody, StreamCreditFlyweight.LENGTH).write(i, 65_536);
        final int length = writer.commit();

        if (MalformedReason.NONE == FrameValidator.validate(memory, offset, length))
        {
            frame.wrap(memory, offset, length);
            sink += frame.seq() + frame.epoch() + frame.dstMac();
            reader.wrap(memory, offset, length);
            while (reader.next())
            {
                sink += reader.type() + reader.length() + reader.streamId();
                if (TYPE_STREAM_CREDIT == reader.type())
                {
                    sink += credit.wrap(memory, reader.bodyOffset(), reader.length()).position();
                }
            }
        }
    }
}
