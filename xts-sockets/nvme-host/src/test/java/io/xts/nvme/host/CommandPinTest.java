package io.xts.nvme.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-over between the ULP listener placing a piece of a read and another thread completing the read (close(),
 * fail()): {@link Command#pin} keeps the command from completing while the piece goes in, so no byte lands in a buffer
 * already handed back to the application, and a command that completed is never pinned (its piece is refused).
 */
@Timeout(30)
class CommandPinTest
{
    private static Command active(final int cid)
    {
        final Command c = new Command(cid & 0xFFF);
        c.cid = cid;
        c.state.set(Command.ACTIVE);
        return c;
    }

    @Test
    void completingWaitsForThePieceBeingPlaced() throws Exception
    {
        final Command c = active(0x1007);
        assertTrue(c.pin(0x1007), "an active read is pinned for its piece");
        final CountDownLatch started = new CountDownLatch(1);
        final AtomicBoolean completed = new AtomicBoolean();
        final CompletableFuture<Boolean> closer = CompletableFuture.supplyAsync(() ->
        {
            started.countDown();
            final boolean mine = c.startCompleting();
            completed.set(true);
            return mine;
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        // The closer runs now and cannot get past the pin: the piece is still being placed.
        assertEquals(Command.PLACING, c.state.get());
        assertFalse(completed.get(), "completed while a piece was being placed into its buffer");
        assertTrue(c.isActive(0x1007), "a command being placed into is still active for the receive loop");
        c.unpin();
        assertTrue(closer.get(10, TimeUnit.SECONDS), "the closer completes it once the piece is in");
        assertEquals(Command.COMPLETING, c.state.get());
        assertFalse(c.pin(0x1007), "a completed read takes no more pieces");
    }

    @Test
    void pinRefusesAnotherCidAndLeavesTheCommandActive()
    {
        final Command c = active(0x2003);
        assertFalse(c.pin(0x1003), "the slot holds another command now");
        assertEquals(Command.ACTIVE, c.state.get());
        assertTrue(c.startCompleting());
        assertFalse(c.startCompleting(), "completed once");
    }

    @Test
    void everyPieceLandsBeforeTheHandBackNeverAfter() throws Exception
    {
        // A placer pins and writes, a closer completes and takes the buffer back: after the hand-back the buffer
        // must never change again.
        for (int round = 0; round < 200; round++)
        {
            final Command c = active(0x0001);
            final long[] buffer = new long[1];
            final AtomicBoolean handedBack = new AtomicBoolean();
            final AtomicBoolean writeAfterHandBack = new AtomicBoolean();
            final CompletableFuture<Void> placer = CompletableFuture.runAsync(() ->
            {
                while (c.pin(0x0001))
                {
                    if (handedBack.get())
                    {
                        writeAfterHandBack.set(true);
                    }
                    buffer[0]++;
                    c.unpin();
                }
            });
            assertTrue(c.startCompleting());
            handedBack.set(true);
            placer.get(10, TimeUnit.SECONDS);
            assertFalse(writeAfterHandBack.get(), "a piece was written after the buffer went back, round " + round);
        }
    }
}
