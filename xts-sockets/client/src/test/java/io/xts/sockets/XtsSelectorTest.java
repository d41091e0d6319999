package io.xts.sockets;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.xts.sockets.XtsSelectionKey.OP_ACCEPT;
import static io.xts.sockets.XtsSelectionKey.OP_READ;
import static io.xts.sockets.XtsSelectionKey.OP_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link XtsSelector} readiness: write readiness follows the proxy's credit, read readiness the arrival of DATA (and
 * EOF), accept readiness an ACCEPTED; a waiting select wakes for each, and for {@link XtsSelector#wakeup()}.
 */
class XtsSelectorTest extends StackFixture
{
    private static final long WAIT = PROMPT.toMillis();

    @Test
    void writeReadinessFollowsTheProxysCredit() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT).configureBlocking(false);
        final int id = socket.id();
        proxy.run(p ->
        {
            p.connections.get(id).echo = false;
            p.connections.get(id).holdCredit = true;
        });
        try (XtsSelector selector = stack.openSelector())
        {
            final XtsSelectionKey key = selector.register(socket, OP_WRITE, "att");
            assertEquals(1, selector.selectNow());
            assertTrue(key.isWritable());
            assertEquals("att", key.attachment());
            assertSame(socket, key.channel());
            selector.selectedKeys().clear();

            while (socket.write(ByteBuffer.allocate(4096)) > 0)
            {
                // use up the send window
            }
            assertEquals(0, selector.selectNow(), "no credit: not writable");
            // A select waiting now is woken by the credit.
            final CompletableFuture<Integer> select = CompletableFuture.supplyAsync(() -> select(selector));
            proxy.run(p -> p.sendCredit(id, 16 * 1024, 16 * 1024));
            assertEquals(1, select.get(WAIT, TimeUnit.MILLISECONDS));
            assertTrue(key.isWritable());
        }
    }

    @Test
    void readReadinessOnDataAndOnEndOfStream() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT).configureBlocking(false);
        final int id = socket.id();
        try (XtsSelector selector = stack.openSelector())
        {
            final XtsSelectionKey key = selector.register(socket, OP_READ, null);
            assertEquals(0, selector.selectNow());
            final CompletableFuture<Integer> select = CompletableFuture.supplyAsync(() -> select(selector));
            proxy.run(p -> p.sendData(id, new byte[] {1, 2, 3}));
            assertEquals(1, select.get(WAIT, TimeUnit.MILLISECONDS));
            final Iterator<XtsSelectionKey> it = selector.selectedKeys().iterator();
            assertSame(key, it.next());
            assertTrue(key.isReadable());
            assertFalse(key.isWritable());
            it.remove();
            assertTrue(selector.selectedKeys().isEmpty());
            assertEquals(3, socket.read(ByteBuffer.allocate(10)));
            assertEquals(0, selector.selectNow(), "drained: not readable");

            proxy.run(p -> p.sendShutdown(id));
            assertEquals(1, selector.select(WAIT));
            assertEquals(-1, socket.read(ByteBuffer.allocate(10)));
        }
    }

    @Test
    void acceptReadinessOnAccepted() throws Exception
    {
        final XtsServerSocket server = stack.listen(new InetSocketAddress("0.0.0.0", 0), 8).configureBlocking(false);
        final int listenerId = server.id();
        try (XtsSelector selector = stack.openSelector())
        {
            final XtsSelectionKey key = selector.register(server, OP_ACCEPT, null);
            assertEquals(0, selector.selectNow());
            final CompletableFuture<Integer> select = CompletableFuture.supplyAsync(() -> select(selector));
            final int id = proxy.call(p -> p.accept(listenerId, new InetSocketAddress("198.18.0.2", 5555)));
            assertEquals(1, select.get(WAIT, TimeUnit.MILLISECONDS));
            assertTrue(key.isAcceptable());
            assertEquals(id, server.accept().id());
            selector.selectedKeys().clear();
            assertEquals(0, selector.selectNow());
            assertThrows(IllegalArgumentException.class, () -> key.interestOps(OP_READ));
        }
    }

    @Test
    void wakeupEndsASelectAndCancelledKeysAreDropped() throws Exception
    {
        final XtsSocket socket = stack.connect(PEER, PROMPT);
        try (XtsSelector selector = stack.openSelector())
        {
            final XtsSelectionKey key = selector.register(socket, OP_READ, null);
            final CompletableFuture<Integer> select = new CompletableFuture<>();
            final Thread selecting = Thread.ofPlatform().name("selecting").start(() ->
                select.complete(select(selector)));
            // The select is really blocked once its thread waits in the selector's condition (a timed wait).
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT);
            while (Thread.State.TIMED_WAITING != selecting.getState())
            {
                assertTrue(selecting.isAlive() && System.nanoTime() - deadline < 0, "the select blocks");
                Thread.onSpinWait();
            }
            selector.wakeup();
            assertEquals(0, select.get(WAIT, TimeUnit.MILLISECONDS));
            key.cancel();
            assertFalse(key.isValid());
            assertTrue(selector.keys().isEmpty());
            final XtsSelectionKey again = selector.register(socket, OP_READ | OP_WRITE, null);
            assertEquals(1, selector.selectNow());
            assertTrue(again.isWritable());
            socket.close();
            assertFalse(again.isValid());
            assertEquals(0, selector.selectNow());
            assertTrue(selector.keys().isEmpty(), "keys of closed sockets are dropped");
        }
    }

    private static int select(final XtsSelector selector)
    {
        try
        {
            return selector.select(WAIT);
        }
        catch (final IOException ex)
        {
            throw new RuntimeException(ex);
        }
    }
}
