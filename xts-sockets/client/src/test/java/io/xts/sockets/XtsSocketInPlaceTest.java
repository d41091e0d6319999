package io.xts.sockets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_RESET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Receiving and sending in place ({@link XtsSocket#poll}, {@link XtsSocket#receive}, {@link XtsSocket#transferTo},
 * {@link XtsSocket#claim}, {@link XtsSocket#transferFrom}) against the fake proxy: byte-exact streams under random
 * chunking both ways, credit only after the handler, a throwing handler that ends only its socket, the fallback to
 * the receive buffer and its ordering, channels both ways, and no allocation per message once warm.
 */
@Timeout(60)
class XtsSocketInPlaceTest extends StackFixture
{
    /** Copies every piece it is handed, in order. */
    private static final class Collector implements StreamHandler
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int calls;

        @Override
        public void onData(final MemorySegment buffer, final long offset, final int length)
        {
            assertTrue(length > 0, "empty piece");
            final byte[] piece = new byte[length];
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, offset, piece, 0, length);
            bytes.writeBytes(piece);
            calls++;
        }
    }

    @Test
    void echoesInPlaceBothWaysByteExactWithRandomChunking() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final byte[] sent = randomBytes(1 << 20, 11);
        final CompletableFuture<Long> writer = onThread(() -> claimAll(socket, sent, 12));
        final Collector collector = new Collector();
        final Random random = new Random(13);
        while (collector.bytes.size() < sent.length)
        {
            final int n = socket.receive(collector, 1 + random.nextInt(8));
            assertTrue(n > 0, "blocking receive returned " + n);
        }
        assertEquals(sent.length, writer.get(30, TimeUnit.SECONDS));
        assertArrayEquals(sent, collector.bytes.toByteArray());
        final int id = socket.id();
        assertEquals(0L, (long)proxy.<Long>call(p -> p.creditViolations));
        assertEquals((long)sent.length, (long)proxy.<Long>call(p -> p.connections.get(id).receivedFromApp));
        assertEquals(sent.length, stack.counters().bytesRead());
        assertEquals(sent.length, stack.counters().bytesWritten());
        assertEquals(0, stack.counters().protocolErrors());
        assertTrue(stack.counters().creditsSent() > 0, "credit returned as the handler consumed");
        until("every frame back with the link", () -> 0 == stack.retainedFrames());
        socket.close();
    }

    @Test
    void inPlaceAndCopyingReadsMixInOrder() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final byte[] sent = randomBytes(200_000, 21);
        final CompletableFuture<Long> writer = onThread(() -> writeAll(socket, sent, 22));
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final Collector collector = new Collector();
        final Random random = new Random(23);
        final ByteBuffer buffer = ByteBuffer.allocate(5000);
        while (got.size() < sent.length)
        {
            if (random.nextBoolean())
            {
                collector.bytes.reset();
                socket.receive(collector, 1 + random.nextInt(4));
                got.writeBytes(collector.bytes.toByteArray());
            }
            else
            {
                buffer.clear().limit(1 + random.nextInt(buffer.capacity()));
                final int n = socket.read(buffer);
                got.write(buffer.array(), 0, n);
            }
        }
        assertEquals(sent.length, writer.get(30, TimeUnit.SECONDS));
        assertArrayEquals(sent, got.toByteArray());
        until("every frame back with the link", () -> 0 == stack.retainedFrames());
    }

    @Test
    void bytesBufferedBeforeReceivingInPlaceKeepTheirPlace() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        proxy.run(p -> p.connections.get(id).echo = false);
        final byte[] early = randomBytes(3000, 31);
        final byte[] late = randomBytes(4000, 32);
        proxy.run(p -> p.sendData(id, early));
        until("the early bytes buffered", () -> socket.getInputStream().available() == early.length);
        // The first transferTo switches to in place and leaves 2000 early bytes in the receive buffer: the late bytes
        // must queue behind them, not in their frames ahead of them.
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        assertEquals(1000, socket.transferTo(Channels.newChannel(got), 1000));
        proxy.run(p -> p.sendData(id, late));
        until("the late bytes arrived",
            () -> socket.getInputStream().available() == early.length + late.length - 1000);
        final Collector rest = new Collector();
        while (rest.bytes.size() < early.length + late.length - 1000)
        {
            assertTrue(socket.poll(rest, 1) > 0);
        }
        got.writeBytes(rest.bytes.toByteArray());
        final ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes(early);
        want.writeBytes(late);
        assertArrayEquals(want.toByteArray(), got.toByteArray());
    }

    @Test
    void returnsCreditOnlyAfterTheHandlerReturns() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        proxy.run(p -> p.connections.get(id).echo = false);
        assertEquals(0, socket.poll(new Collector(), 1), "nothing yet; now receiving in place");
        final byte[] window = randomBytes(RECEIVE_WINDOW, 41);
        proxy.run(p -> p.sendData(id, window));
        until("the window's bytes arrived", () -> socket.getInputStream().available() == RECEIVE_WINDOW);
        assertEquals(RECEIVE_WINDOW, (long)proxy.<Long>call(p -> p.connections.get(id).appLimit));
        final Collector collector = new Collector();
        final long creditsBefore = stack.counters().creditsSent();
        final int pieces = socket.poll((buffer, offset, length) ->
        {
            assertEquals(creditsBefore, stack.counters().creditsSent(), "credit sent while a handler runs");
            assertTrue(stack.retainedFrames() > 0, "the piece is not in a frame held for it");
            collector.onData(buffer, offset, length);
        }, 64);
        assertTrue(pieces >= 3, "a window of " + RECEIVE_WINDOW + " bytes arrived in " + pieces + " pieces");
        assertArrayEquals(window, collector.bytes.toByteArray());
        until("the credit for the window reached the proxy",
            () -> proxy.<Long>call(p -> p.connections.get(id).appLimit) == 2L * RECEIVE_WINDOW);
        until("every frame back with the link", () -> 0 == stack.retainedFrames());
    }

    @Test
    void aHandlerThatThrowsEndsOnlyItsSocket() throws Exception
    {
        final XtsSocket victim = stack.connect(PEER, PROMPT);
        final XtsSocket bystander = stack.connect(PEER, PROMPT);
        final int id = victim.id();
        proxy.run(p -> p.connections.get(id).echo = false);
        assertEquals(0, victim.poll(new Collector(), 1));
        proxy.run(p -> p.sendData(id, randomBytes(6000, 51)));
        until("the bytes arrived", () -> victim.getInputStream().available() == 6000);
        final IOException thrown = new IOException("the app's disk is full");
        final IOException ex = assertThrows(IOException.class, () -> victim.poll((buffer, offset, length) ->
        {
            throw thrown;
        }, 64));
        assertSame(thrown, ex);
        final SocketException after = assertThrows(SocketException.class, () -> victim.read(ByteBuffer.allocate(10)));
        assertTrue(after.getMessage().contains("stream handler"), after.getMessage());
        until("the proxy got a RESET", () -> proxy.messagesFor(id).contains(TYPE_SOCKET_RESET));
        until("every frame back with the link", () -> 0 == stack.retainedFrames());
        // Everything else goes on.
        final byte[] sent = randomBytes(50_000, 52);
        final CompletableFuture<Long> writer = onThread(() -> writeAll(bystander, sent, 53));
        final Collector collector = new Collector();
        while (collector.bytes.size() < sent.length)
        {
            bystander.receive(collector, 8);
        }
        assertEquals(sent.length, writer.get(30, TimeUnit.SECONDS));
        assertArrayEquals(sent, collector.bytes.toByteArray());
        assertEquals(0, stack.counters().protocolErrors());
        victim.close();
    }

    @Test
    void aRuntimeExceptionFromTheHandlerIsThrownAsItIs()
        throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        socket.write(ByteBuffer.wrap(randomBytes(100, 61)));
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () ->
        {
            while (true)
            {
                socket.receive((buffer, offset, length) ->
                {
                    throw new IllegalStateException("bug in the app");
                }, 1);
            }
        });
        assertEquals("bug in the app", ex.getMessage());
        assertThrows(SocketException.class, () -> socket.poll(new Collector(), 1));
        until("every frame back with the link", () -> 0 == stack.retainedFrames());
    }

    @Test
    void keepsTheLinkGoingBeyondTheLendingBudgetAndKeepsOrder() throws Exception
    {
        stack.close();
        final int window = 1 << 20;
        stack = builder().receiveWindow(window).build();
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        assertEquals(0, socket.poll(new Collector(), 1));
        // The proxy echoes a whole window without the app reading: more frames than the link lends to sockets.
        final byte[] sent = randomBytes(window, 71);
        assertEquals(sent.length, writeAll(socket, sent, 72));
        until("the whole window arrived", () -> socket.getInputStream().available() == window);
        final Collector collector = new Collector();
        while (collector.bytes.size() < sent.length)
        {
            socket.poll(collector, 64);
        }
        assertArrayEquals(sent, collector.bytes.toByteArray());
        until("every frame back with the link", () -> 0 == stack.retainedFrames());
    }

    @Test
    void transfersFilesBothWaysByteExact(@TempDir final Path dir) throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final byte[] content = randomBytes(300_000, 81);
        final Path source = dir.resolve("source");
        Files.write(source, content);
        final Random random = new Random(82);
        // Pieces of the file at random positions and lengths, some past its end.
        final ByteArrayOutputStream expected = new ByteArrayOutputStream();
        final long[][] pieces = new long[20][];
        for (int i = 0; i < pieces.length; i++)
        {
            final long position = random.nextInt(content.length + 1000);
            final long count = random.nextInt(40_000);
            pieces[i] = new long[] {position, count};
            final int from = (int)Math.min(position, content.length);
            final int to = (int)Math.min(position + count, content.length);
            expected.write(content, from, to - from);
        }
        final CompletableFuture<Long> writer = onThread(() ->
        {
            try (FileChannel file = FileChannel.open(source, StandardOpenOption.READ))
            {
                long total = 0;
                for (final long[] piece : pieces)
                {
                    final long sentNow = socket.transferFrom(file, piece[0], piece[1]);
                    assertEquals(Math.max(0, Math.min(piece[1], content.length - piece[0])), sentNow);
                    total += sentNow;
                }
                assertEquals(0, file.position(), "the file channel's position is left alone");
                return total;
            }
            catch (final IOException ex)
            {
                throw new RuntimeException(ex);
            }
        });
        final Path target = dir.resolve("target");
        final int size = expected.size();
        try (FileChannel file = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE))
        {
            long moved = 0;
            while (moved < size / 2)
            {
                moved += socket.transferTo(file, Math.min(size / 2 - moved, 1 + random.nextInt(20_000)));
            }
            // The rest through a pipe, read on another thread.
            final Pipe pipe = Pipe.open();
            final CompletableFuture<byte[]> drained = onThread(() ->
            {
                final ByteBuffer buffer = ByteBuffer.allocate(size);
                try
                {
                    while (buffer.hasRemaining() && pipe.source().read(buffer) >= 0)
                    {
                        Thread.onSpinWait();
                    }
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
                return Arrays.copyOf(buffer.array(), buffer.position());
            });
            while (moved < size)
            {
                moved += socket.transferTo(pipe.sink(), size - moved);
            }
            pipe.sink().close();
            assertEquals(size, writer.get(30, TimeUnit.SECONDS));
            final byte[] viaPipe = drained.get(30, TimeUnit.SECONDS);
            file.force(false);
            final ByteArrayOutputStream got = new ByteArrayOutputStream();
            got.writeBytes(Files.readAllBytes(target));
            got.writeBytes(viaPipe);
            assertArrayEquals(expected.toByteArray(), got.toByteArray());
        }
        until("every frame back with the link", () -> 0 == stack.retainedFrames());
    }

    @Test
    void claimsRespectTheCreditAndAbortGivesItBack() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final int id = socket.id();
        proxy.run(p -> p.connections.get(id).echo = false);
        socket.configureBlocking(false);
        long claimed = 0;
        SendClaim claim;
        while (null != (claim = socket.claim(100_000)))
        {
            assertTrue(claim.length() <= 16 * 1024 - claimed, "claimed past the proxy's credit");
            claimed += claim.length();
            claim.commit();
        }
        assertEquals(16 * 1024, claimed, "the proxy's whole credit, no more");
        assertNull(socket.claim(1));
        socket.flush();
        until("the proxy got it all",
            () -> proxy.<Long>call(p -> p.connections.get(id).receivedFromApp) == 16 * 1024);
        assertEquals(0L, (long)proxy.<Long>call(p -> p.creditViolations));
        socket.configureBlocking(true);
        proxy.run(p -> p.sendCredit(id, 16 * 1024, 16 * 1024));
        final SendClaim next = socket.claim(10);
        assertEquals(10, next.length());
        assertThrows(IllegalStateException.class, () -> socket.claim(10), "one claim at a time");
        next.abort();
        final SendClaim again = socket.claim(100_000);
        assertEquals(Math.min(16 * 1024, stack.maxMessageLength()), again.length(), "the aborted room is back");
        again.abort();
    }

    @Test
    void allocatesNothingPerMessageOnceWarm() throws Exception
    {
        stack.close();
        stack = builder().ownPoller(false).build();
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        final byte[] pattern = randomBytes(1000, 91);
        final MemorySegment source = MemorySegment.ofArray(pattern);
        final long[] received = new long[2];
        final StreamHandler handler = (buffer, offset, length) ->
        {
            received[0] += length;
            received[1] += buffer.get(ValueLayout.JAVA_BYTE, offset);
        };
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().threadId();
        // As in OffloadAllocationTest: a round that catches the JIT settling is retried after more warm-up; a real
        // per-message allocation fails every round (3000 messages each way: one 16-byte object each is 48 000 bytes).
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < 10 && allocated > 512; round++)
        {
            echoRounds(socket, source, handler, received, 3000);
            final long before = threads.getThreadAllocatedBytes(thread);
            echoRounds(socket, source, handler, received, 3000);
            allocated = threads.getThreadAllocatedBytes(thread) - before;
        }
        assertTrue(allocated <= 512, "bytes allocated by 3000 in-place echoes once warm: " + allocated);
        assertEquals(0, stack.counters().protocolErrors());
    }

    /** Claim, fill and commit a message, then receive its echo in place; {@code n} times. */
    private static void echoRounds(
        final XtsSocket socket, final MemorySegment source, final StreamHandler handler, final long[] received,
        final int n) throws IOException
    {
        for (int i = 0; i < n; i++)
        {
            final SendClaim claim = socket.claim((int)source.byteSize());
            MemorySegment.copy(source, 0, claim.buffer(), claim.offset(), claim.length());
            claim.commit();
            socket.flush();
            final long want = received[0] + claim.length();
            while (received[0] < want)
            {
                socket.receive(handler, 16);
            }
        }
    }

    /** Send all of {@code bytes} through claims of random sizes and random partial commits. */
    private static long claimAll(final XtsSocket socket, final byte[] bytes, final long seed)
    {
        final Random random = new Random(seed);
        try
        {
            int at = 0;
            while (at < bytes.length)
            {
                final SendClaim claim = socket.claim(1 + random.nextInt(Math.min(9000, bytes.length - at)));
                final int n = random.nextInt(4) == 0 ? random.nextInt(claim.length() + 1) : claim.length();
                if (random.nextBoolean())
                {
                    MemorySegment.copy(bytes, at, claim.buffer(), ValueLayout.JAVA_BYTE, claim.offset(), n);
                    claim.commit(n);
                }
                else
                {
                    final ByteBuffer dst = claim.byteBuffer();
                    dst.put(bytes, at, n);
                    claim.commitBuffer();
                }
                at += n;
            }
            socket.flush();
            return at;
        }
        catch (final IOException ex)
        {
            throw new RuntimeException(ex);
        }
    }

    /** Send all of {@code bytes} with copying writes of random sizes. */
    private static long writeAll(final XtsSocket socket, final byte[] bytes, final long seed)
    {
        final Random random = new Random(seed);
        try
        {
            int at = 0;
            while (at < bytes.length)
            {
                final int n = 1 + random.nextInt(Math.min(20_000, bytes.length - at));
                at += socket.write(ByteBuffer.wrap(bytes, at, n));
            }
            return at;
        }
        catch (final IOException ex)
        {
            throw new RuntimeException(ex);
        }
    }

    /** Run on a thread of its own (the common pool may have a single thread on a small machine). */
    private static <T> CompletableFuture<T> onThread(final Supplier<T> task)
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                result.complete(task.get());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        }, "in-place-test-helper");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    private static void until(final String what, final Check check) throws Exception
    {
        final long deadline = System.nanoTime() + PROMPT.toNanos();
        while (!check.holds())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("not within " + PROMPT + ": " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @FunctionalInterface
    private interface Check
    {
        boolean holds() throws Exception;
    }
}
