package io.xts.link;

import io.xts.protocol.StreamCreditFlyweight;
import io.xts.protocol.XtsFrameDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-stream flow control over the link, the mechanism the socket layer builds TCP-like windows on: a sender takes
 * credit from a {@link CreditWindow} before every STREAM_DATA message, the receiving side consumes at its own pace and
 * returns STREAM_CREDIT messages, and the bytes unconsumed at the receiver never exceed the window.
 */
class StreamCreditTest
{
    private static final int WINDOW = 64 * 1024;
    private static final int STREAM = 42;

    @Test
    void shouldNeverHaveMoreThanTheWindowUnconsumed()
    {
        final InProcessTransport[] pair = InProcessTransport.pair(2048, 512, 256, 1024);
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)));
        final CreditWindow senderWindow = new CreditWindow(WINDOW);
        final CreditWindow receiverWindow = new CreditWindow(WINDOW);
        final StreamCreditFlyweight credit = new StreamCreditFlyweight();
        final long[] buffered = {0};
        final long[] maxBuffered = {0};
        final long[] received = {0};
        final LinkListener senderSide = (type, streamId, memory, offset, length) ->
        {
            if (XtsFrameDescriptor.TYPE_STREAM_CREDIT == type && STREAM == streamId)
            {
                credit.wrap(memory, offset, length);
                senderWindow.onCredit(credit.position(), (int)credit.window());
            }
            return true;
        };
        final LinkListener receiverSide = (type, streamId, memory, offset, length) ->
        {
            if (XtsFrameDescriptor.TYPE_STREAM_DATA == type && STREAM == streamId)
            {
                buffered[0] += length;
                maxBuffered[0] = Math.max(maxBuffered[0], buffered[0]);
                received[0] += length;
            }
            return true;
        };
        long now = 1;
        try (Arena arena = Arena.ofConfined())
        {
            final XtsLink a = new XtsLink(pair[0], LinkConfig.defaults(), senderSide,
                new LinkCounters(counters, "a"), now, 1);
            final XtsLink b = new XtsLink(pair[1], LinkConfig.defaults(), receiverSide,
                new LinkCounters(counters, "b"), now, 2);
            final MemorySegment body = arena.allocate(1500);
            final MemorySegment creditBody = arena.allocate(StreamCreditFlyweight.LENGTH);
            final long total = 20L * 1024 * 1024;
            long sent = 0;
            for (int cycle = 0; cycle < 2_000_000 && received[0] < total; cycle++)
            {
                // Sender: as much as the stream window allows.
                while (sent < total && LinkState.UP == a.state())
                {
                    final int wanted = (int)Math.min(1000, Math.min(senderWindow.available(), total - sent));
                    if (wanted <= 0)
                    {
                        senderWindow.take(1);  // counts the stall
                        break;
                    }
                    if (!a.offer(XtsFrameDescriptor.TYPE_STREAM_DATA, STREAM, body, 0, wanted))
                    {
                        break;  // the link pushes back: try again next cycle
                    }
                    assertEquals(wanted, senderWindow.take(wanted));
                    sent += wanted;
                }
                // Receiver: a slow consumer, 700 bytes a cycle, then credit back when a quarter moved.
                final int take = (int)Math.min(700, buffered[0]);
                buffered[0] -= take;
                receiverWindow.consumed(take);
                if (receiverWindow.updateDue())
                {
                    credit.wrap(creditBody, 0, StreamCreditFlyweight.LENGTH).write(receiverWindow.advertise(), WINDOW);
                    b.offer(XtsFrameDescriptor.TYPE_STREAM_CREDIT, STREAM, creditBody, 0, StreamCreditFlyweight.LENGTH);
                }
                now += 10_000;
                a.doWork(now);
                b.doWork(now);
            }
            assertEquals(total, received[0], "every byte arrived");
            assertTrue(maxBuffered[0] <= WINDOW, "unconsumed bytes " + maxBuffered[0] + " exceeded the window");
            assertTrue(senderWindow.stalls() > 0, "the slow consumer held the sender back");
            assertEquals(0, body.get(ValueLayout.JAVA_BYTE, 0));
        }
        finally
        {
            pair[0].close();
            pair[1].close();
        }
    }
}
