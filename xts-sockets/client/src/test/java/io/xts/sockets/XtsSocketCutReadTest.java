package io.xts.sockets;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A blocked read whose wait ends by an interrupt or a close after DATA was already placed straight into its buffer
 * returns those bytes and credits them: they are neither lost nor taken from the socket's window for good. The test
 * holds the stack lock to order things exactly: the reader's wait is ended first, then the DATA is delivered into its
 * still-posted buffer, then the reader runs on.
 */
class XtsSocketCutReadTest extends StackFixture
{
    /** What the reader's read returned or threw, and where it read to. */
    private record Outcome(int n, Throwable thrown, boolean interrupted)
    {
    }

    private static CompletableFuture<Outcome> reader(final XtsSocket socket, final ByteBuffer dst, final Thread[] t)
    {
        final CompletableFuture<Outcome> result = new CompletableFuture<>();
        t[0] = new Thread(() ->
        {
            try
            {
                final int n = socket.read(dst);
                result.complete(new Outcome(n, null, Thread.currentThread().isInterrupted()));
            }
            catch (final Throwable ex)
            {
                result.complete(new Outcome(-1, ex, Thread.currentThread().isInterrupted()));
            }
        }, "cut-reader");
        t[0].setDaemon(true);
        t[0].start();
        return result;
    }

    private void awaitState(final Thread t, final Thread.State state)
    {
        final long deadline = System.nanoTime() + PROMPT.toNanos();
        while (t.getState() != state)
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("the reader never got to " + state + ": " + t.getState());
            }
            Thread.onSpinWait();
        }
    }

    private void awaitQueuedOnTheLock(final Thread t)
    {
        final long deadline = System.nanoTime() + PROMPT.toNanos();
        while (!stack.lock.hasQueuedThread(t))
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("the reader never queued for the stack lock: " + t.getState());
            }
            Thread.onSpinWait();
        }
    }

    /** With the stack lock held: deliver DATA, which lands in the blocked reader's posted buffer. */
    private void deliver(final XtsSocket socket, final byte[] data)
    {
        final int id = socket.id();
        final long before = socket.dataReceived();
        proxy.run(p -> p.sendData(id, data));
        final long deadline = System.nanoTime() + PROMPT.toNanos();
        while (socket.dataReceived() < before + data.length)
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("the DATA never arrived");
            }
            stack.poll();
        }
    }

    @Test
    void interruptAfterBytesWerePlacedReturnsAndCreditsThem() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final byte[] data = randomBytes(50, 21);
        final ByteBuffer dst = ByteBuffer.allocate(100);
        final Thread[] t = new Thread[1];
        final CompletableFuture<Outcome> read = reader(socket, dst, t);
        awaitState(t[0], Thread.State.TIMED_WAITING);
        final long readBefore = stack.counters.bytesRead();
        stack.lock.lock();
        try
        {
            t[0].interrupt();
            awaitQueuedOnTheLock(t[0]);
            deliver(socket, data);
        }
        finally
        {
            stack.lock.unlock();
        }
        final Outcome o = read.get(PROMPT.toSeconds(), TimeUnit.SECONDS);
        // Before the fix: InterruptedIOException, the 50 bytes in dst unreported and never credited.
        assertNull(o.thrown(), "the read returns the bytes it already has");
        assertEquals(data.length, o.n());
        assertArrayEquals(data, Arrays.copyOf(dst.array(), dst.position()));
        assertTrue(o.interrupted(), "the interrupt status is kept for the next call");
        assertEquals(readBefore + data.length, stack.counters.bytesRead(), "the bytes count as consumed");
        // The socket goes on: the rest of the window arrives and is read.
        final byte[] more = randomBytes(RECEIVE_WINDOW - data.length, 22);
        proxy.run(p -> p.sendData(socket.id(), more));
        assertArrayEquals(more, readFully(socket, more.length));
    }

    @Test
    void closeAfterBytesWerePlacedReturnsThem() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final byte[] data = randomBytes(60, 23);
        final ByteBuffer dst = ByteBuffer.allocate(100);
        final Thread[] t = new Thread[1];
        final CompletableFuture<Outcome> read = reader(socket, dst, t);
        awaitState(t[0], Thread.State.TIMED_WAITING);
        stack.lock.lock();
        try
        {
            deliver(socket, data);
            socket.close();
        }
        finally
        {
            stack.lock.unlock();
        }
        final Outcome o = read.get(PROMPT.toSeconds(), TimeUnit.SECONDS);
        // Before the fix: AsynchronousCloseException, the 60 bytes in dst unreported.
        assertNull(o.thrown(), "the read returns the bytes it already has");
        assertEquals(data.length, o.n());
        assertArrayEquals(data, Arrays.copyOf(dst.array(), dst.position()));
        assertFalse(o.interrupted());
        // The next read sees the close.
        assertInstanceOf(ClosedChannelException.class,
            assertThrows(IOException.class, () -> socket.read(ByteBuffer.allocate(1))));
    }
}
