package io.xts.sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The receive buffer of one socket: a byte ring of exactly the window the app granted the proxy, off-heap, so that
 * DATA bytes are copied once from the RX frame into it and once from it into the reader's buffer (or handed to a
 * {@link StreamHandler} where they are, when they could not stay in their frame). It never needs to
 * grow: the proxy may only send what the credit allows, and the credit never exceeds the free room. Positions are
 * absolute 64-bit byte counts as in {@link io.xts.link.CreditWindow}; the index in the ring is the position modulo
 * the capacity, so any capacity works. Guarded by the stack lock; memory is returned at {@link #free()}.
 */
final class ReceiveBuffer
{
    private final Arena arena;
    private final MemorySegment memory;
    /** A ByteBuffer over the same memory, for allocation-free absolute bulk copies into the reader's ByteBuffer. */
    private final ByteBuffer view;
    private final int capacity;
    private long writePosition;
    private long readPosition;
    private boolean freed;

    /**
     * @param capacity bytes, positive.
     */
    ReceiveBuffer(final int capacity)
    {
        if (capacity <= 0)
        {
            throw new IllegalArgumentException("receive buffer must be positive, got " + capacity);
        }
        this.capacity = capacity;
        // Shared: the app's reader threads and the poller both touch it (always under the stack lock).
        arena = Arena.ofShared();
        memory = arena.allocate(capacity, 64);
        view = memory.asByteBuffer();
    }

    /**
     * @return bytes buffered, not yet read.
     */
    int readable()
    {
        return (int)(writePosition - readPosition);
    }

    /**
     * @return room left.
     */
    int writable()
    {
        return capacity - readable();
    }

    /**
     * @return total bytes ever appended.
     */
    long writePosition()
    {
        return writePosition;
    }

    /**
     * Append bytes from a received frame; the caller checked the room (the credit).
     *
     * @param src    memory holding them.
     * @param offset where they start.
     * @param length how many.
     */
    void append(final MemorySegment src, final long offset, final int length)
    {
        final int at = (int)(writePosition % capacity);
        final int first = Math.min(length, capacity - at);
        MemorySegment.copy(src, offset, memory, at, first);
        if (first < length)
        {
            MemorySegment.copy(src, offset + first, memory, 0, length - first);
        }
        writePosition += length;
    }

    /**
     * Move up to {@code dst.remaining()} buffered bytes into {@code dst}, advancing its position.
     *
     * @param dst where to.
     * @return bytes moved.
     */
    int readInto(final ByteBuffer dst)
    {
        final int n = Math.min(dst.remaining(), readable());
        int done = 0;
        while (done < n)
        {
            final int at = (int)(readPosition % capacity);
            final int chunk = Math.min(n - done, capacity - at);
            dst.put(dst.position(), view, at, chunk);
            dst.position(dst.position() + chunk);
            readPosition += chunk;
            done += chunk;
        }
        return n;
    }

    /**
     * @return the buffer's memory, for handing buffered bytes to a {@link StreamHandler} where they are.
     */
    MemorySegment memory()
    {
        return memory;
    }

    /**
     * @return a ByteBuffer over the buffer's memory of the caller's own (position and limit are the caller's), for
     *         writing buffered bytes to a channel without a copy.
     */
    ByteBuffer newView()
    {
        return view.duplicate();
    }

    /**
     * @param skip buffered bytes to pass over, fewer than {@link #readable()}.
     * @return where in {@link #memory()} the buffered bytes after {@code skip} start.
     */
    long regionOffset(final int skip)
    {
        return (readPosition + skip) % capacity;
    }

    /**
     * @param skip buffered bytes to pass over, fewer than {@link #readable()}.
     * @return how many of the buffered bytes after {@code skip} lie in one piece from {@link #regionOffset(int)}
     *         (the ring wraps at its end).
     */
    int regionLength(final int skip)
    {
        final int at = (int)((readPosition + skip) % capacity);
        return Math.min(readable() - skip, capacity - at);
    }

    /**
     * Drop {@code n} buffered bytes, consumed where they were.
     *
     * @param n at most {@link #readable()}.
     */
    void skip(final int n)
    {
        readPosition += n;
    }

    /**
     * @return whether {@link #free()} ran.
     */
    boolean isFreed()
    {
        return freed;
    }

    /**
     * Return the memory. Later calls do nothing.
     */
    void free()
    {
        if (!freed)
        {
            freed = true;
            arena.close();
        }
    }
}
