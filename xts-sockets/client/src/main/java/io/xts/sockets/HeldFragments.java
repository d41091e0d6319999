package io.xts.sockets;

/**
 * The pieces of a socket's stream that wait where they arrived, in RX frames the link lent the socket: a FIFO of
 * (frame, offset, length) in the link's memory, in stream order, ahead of anything in the socket's receive buffer.
 * The head may be partly consumed (its offset moves on). Grows by doubling when full (at most to the link's
 * retain limit, so only while warming up); guarded by the stack lock.
 */
final class HeldFragments
{
    private long[] frames = new long[64];
    private long[] offsets = new long[64];
    private int[] lengths = new int[64];
    private int head;
    private int count;
    private long bytes;

    /**
     * @return fragments held.
     */
    int count()
    {
        return count;
    }

    /**
     * @return bytes held.
     */
    long bytes()
    {
        return bytes;
    }

    /**
     * Append a fragment.
     */
    void add(final long frame, final long offset, final int length)
    {
        if (count == frames.length)
        {
            grow();
        }
        final int slot = (head + count) & (frames.length - 1);
        frames[slot] = frame;
        offsets[slot] = offset;
        lengths[slot] = length;
        count++;
        bytes += length;
    }

    /**
     * @param i index from the head, below {@link #count()}.
     * @return the fragment's offset in the link memory.
     */
    long offset(final int i)
    {
        return offsets[(head + i) & (frames.length - 1)];
    }

    /**
     * @param i index from the head, below {@link #count()}.
     * @return the fragment's length.
     */
    int length(final int i)
    {
        return lengths[(head + i) & (frames.length - 1)];
    }

    /**
     * Consume {@code n} bytes of the head fragment.
     *
     * @param n       at most the head's length.
     * @param release gets the frame when the head is used up.
     */
    void consumeHead(final int n, final XtsStack release)
    {
        final int slot = head & (frames.length - 1);
        bytes -= n;
        if (n < lengths[slot])
        {
            offsets[slot] += n;
            lengths[slot] -= n;
            return;
        }
        final long frame = frames[slot];
        head = (head + 1) & (frames.length - 1);
        count--;
        release.releaseRetained(frame);
    }

    /**
     * Drop every fragment, giving the frames back.
     */
    void releaseAll(final XtsStack release)
    {
        while (count > 0)
        {
            consumeHead(lengths[head & (frames.length - 1)], release);
        }
    }

    private void grow()
    {
        final int capacity = frames.length;
        final long[] newFrames = new long[capacity * 2];
        final long[] newOffsets = new long[capacity * 2];
        final int[] newLengths = new int[capacity * 2];
        for (int i = 0; i < count; i++)
        {
            final int slot = (head + i) & (capacity - 1);
            newFrames[i] = frames[slot];
            newOffsets[i] = offsets[slot];
            newLengths[i] = lengths[slot];
        }
        frames = newFrames;
        offsets = newOffsets;
        lengths = newLengths;
        head = 0;
    }
}
