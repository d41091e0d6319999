package io.xts.sockets;

import io.xts.link.LockedTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * What the socket tests share: an {@link XtsStack} over an in-process link to a {@link FakeProxy} on its own
 * thread, with windows small enough (8 KiB receive, 16 KiB send) that any test moving 100 KiB exercises credit.
 */
abstract class StackFixture
{
    static final int RECEIVE_WINDOW = 8 * 1024;
    static final InetSocketAddress PEER = new InetSocketAddress("198.18.0.2", 7);
    /** Generous bound for anything that should happen "promptly"; only failures wait this long. */
    static final Duration PROMPT = Duration.ofSeconds(10);

    LockedTransport[] pair;
    FakeProxy proxy;
    XtsStack stack;

    @BeforeEach
    void startStack() throws IOException
    {
        pair = LockedTransport.pair();
        proxy = new FakeProxy(pair[1]);
        stack = builder().build();
    }

    XtsStack.Builder builder()
    {
        return XtsStack.builder().transport(pair[0]).receiveWindow(RECEIVE_WINDOW).linkTimeout(PROMPT);
    }

    @AfterEach
    void stopStack()
    {
        if (null != stack)
        {
            stack.close();
        }
        proxy.close();
        pair[0].close();
        pair[1].close();
    }

    /**
     * Start a blocking read on another thread and return once that thread is parked in it, so the test acts on a
     * reader that is really blocked.
     *
     * @return completes with what the read threw, or null when it returned.
     */
    static CompletableFuture<Throwable> blockedRead(final XtsSocket socket)
        throws InterruptedException
    {
        final CompletableFuture<Throwable> result = new CompletableFuture<>();
        final Thread reader = new Thread(() ->
        {
            try
            {
                socket.read(ByteBuffer.allocate(100));
                result.complete(null);
            }
            catch (final Throwable ex)
            {
                result.complete(ex);
            }
        }, "blocked-reader");
        reader.setDaemon(true);
        reader.start();
        final long deadline = System.nanoTime() + PROMPT.toNanos();
        // TIMED_WAITING: parked in the socket's condition (waiting for the stack lock would be WAITING).
        while (Thread.State.TIMED_WAITING != reader.getState() && !result.isDone() && System.nanoTime() < deadline)
        {
            Thread.sleep(1);
        }
        return result;
    }

    static byte[] randomBytes(final int n, final long seed)
    {
        final byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Blocking read of exactly {@code n} bytes (or until EOF). */
    static byte[] readFully(final XtsSocket socket, final int n) throws IOException
    {
        final ByteBuffer dst = ByteBuffer.allocate(n);
        while (dst.hasRemaining())
        {
            if (socket.read(dst) < 0)
            {
                break;
            }
        }
        return Arrays.copyOf(dst.array(), dst.position());
    }
}
