package io.xts.nvme.host;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The data of a completed scatter read ({@link NvmeQueue#readScatter}): the read's bytes as pieces in the memory they
 * arrived in, in data order, each with its offset in the read's data. With the offload transport a piece is where the
 * proxy's DDP_PLACE put it, in a received link frame (zero copy: {@link #inPlace(int)}); otherwise (software framing,
 * or the link keeping as many frames as it allows) it was copied once into the queue's bounce memory. The pieces
 * cover {@code [0, length())} without gap or overlap.
 * <p>
 * The application reads the pieces through {@link #memory(int)}, {@link #offset(int)} and {@link #length(int)}
 * (allocation free; {@link #slice(int)} makes a view object) and then calls {@link #release()} exactly once, from any
 * thread: the frames go back to the link and their bytes' receive credit to the proxy, bounce memory back to the
 * queue, and the command slot becomes free for another command. Until then the list holds them: unreleased lists
 * count against the queue's scatter window, so a slow releaser holds up further scatter reads (backpressure), never
 * data. One list per command slot, preallocated and reused: nothing is allocated per read once a slot's arrays have
 * grown to the most pieces it has seen. Not for use after {@link #release()}; the pieces in link frames are readable
 * only while the XTS stack is open (its memory is freed when it closes; a list released after that gives nothing
 * back). A list outlives its queue's close: it is still released as usual.
 */
public final class ScatterList
{
    private static final int INITIAL_PIECES = 64;

    private final TcpQueue queue;
    private final Command command;
    private MemorySegment linkMemory;
    private MemorySegment bounceMemory;

    // Pieces, in data order.
    private long[] offsets = new long[INITIAL_PIECES];
    private int[] lengths = new int[INITIAL_PIECES];
    private long[] dataOffsets = new long[INITIAL_PIECES];
    private boolean[] inFrame = new boolean[INITIAL_PIECES];
    private int count;
    private long length;
    private long expected;

    // What the list holds: link frames (one reference per piece placed from a frame) and bounce chunks.
    private long[] frames = new long[INITIAL_PIECES];
    private int frameCount;
    private long frameBytes;
    private int[] chunks = new int[INITIAL_PIECES];
    private int chunkCount;
    private int chunkFill;

    private boolean open;
    private boolean held;

    ScatterList(final TcpQueue queue, final Command command)
    {
        this.queue = queue;
        this.command = command;
    }

    /** @return bytes of data: the read's transfer length. */
    public long length()
    {
        return length;
    }

    /** @return pieces. */
    public int pieces()
    {
        return count;
    }

    /**
     * @param piece 0 .. {@link #pieces()} - 1.
     * @return the memory the piece is in (the link's frames or the queue's bounce memory; the same few instances).
     */
    public MemorySegment memory(final int piece)
    {
        return inFrame[check(piece)] ? linkMemory : bounceMemory;
    }

    /**
     * @param piece 0 .. {@link #pieces()} - 1.
     * @return where the piece starts in {@link #memory(int)}.
     */
    public long offset(final int piece)
    {
        return offsets[check(piece)];
    }

    /**
     * @param piece 0 .. {@link #pieces()} - 1.
     * @return bytes of the piece.
     */
    public int length(final int piece)
    {
        return lengths[check(piece)];
    }

    /**
     * @param piece 0 .. {@link #pieces()} - 1.
     * @return offset of the piece's first byte in the read's data.
     */
    public long dataOffset(final int piece)
    {
        return dataOffsets[check(piece)];
    }

    /**
     * @param piece 0 .. {@link #pieces()} - 1.
     * @return whether the piece is in the link frame it arrived in (zero copy), rather than in bounce memory.
     */
    public boolean inPlace(final int piece)
    {
        return inFrame[check(piece)];
    }

    /**
     * @param piece 0 .. {@link #pieces()} - 1.
     * @return a view of the piece (a new object: for convenience, not for the hot path).
     */
    public MemorySegment slice(final int piece)
    {
        return memory(piece).asSlice(offsets[piece], lengths[piece]);
    }

    /**
     * Copy the data into one buffer (the copy a contiguous read makes anyway).
     *
     * @param dst       where.
     * @param dstOffset first byte; {@link #length()} bytes from there.
     */
    public void copyTo(final MemorySegment dst, final long dstOffset)
    {
        checkHeld();
        for (int i = 0; i < count; i++)
        {
            MemorySegment.copy(inFrame[i] ? linkMemory : bounceMemory, offsets[i], dst, dstOffset + dataOffsets[i],
                lengths[i]);
        }
    }

    /**
     * Give the pieces back: frames to the link with their receive credit, bounce memory to the queue, the command slot
     * to the queue. Exactly once per completed read; any thread.
     *
     * @throws IllegalStateException when already released.
     */
    public void release()
    {
        synchronized (this)
        {
            checkHeld();
            held = false;
        }
        queue.releaseScatter(command);
    }

    @Override
    public String toString()
    {
        return "ScatterList[" + length + " bytes in " + count + " pieces, " + frameCount + " in frames]";
    }

    private int check(final int piece)
    {
        checkHeld();
        if (piece < 0 || piece >= count)
        {
            throw new IndexOutOfBoundsException("piece " + piece + " of " + count);
        }
        return piece;
    }

    private void checkHeld()
    {
        if (!held)
        {
            throw new IllegalStateException("scatter list not held: released, or its read not completed");
        }
    }

    // ---- the queue's side ----

    /** A read starts filling the list: empty, open for pieces. */
    synchronized void open(final long readLength)
    {
        count = 0;
        length = readLength;
        expected = 0;
        frameCount = 0;
        frameBytes = 0;
        chunkCount = 0;
        chunkFill = 0;
        open = true;
        held = false;
    }

    /**
     * A piece that stays in the link frame it arrived in (the caller took a reference on the frame).
     *
     * @return false when the list takes no more pieces (closed by a failure, or the piece is not the next one): the
     *         caller gives the reference back.
     */
    synchronized boolean addFrame(final MemorySegment memory, final long frame, final long offset, final int n,
        final long dataOffset)
    {
        if (!open || dataOffset != expected || dataOffset + n > length)
        {
            return false;
        }
        linkMemory = memory;
        if (frameCount == frames.length)
        {
            frames = Arrays.copyOf(frames, 2 * frames.length);
        }
        frames[frameCount++] = frame;
        frameBytes += n;
        append(offset, n, dataOffset, true);
        return true;
    }

    /**
     * A piece copied into bounce memory, continuing the list's current chunk or taking new ones.
     *
     * @return false when the list takes no more pieces (as {@link #addFrame}) or the bounce memory is exhausted.
     */
    synchronized boolean addCopy(final BounceMemory bounce, final MemorySegment src, final long srcOffset,
        final int n, final long dataOffset)
    {
        if (!open || dataOffset != expected || dataOffset + n > length)
        {
            return false;
        }
        bounceMemory = bounce.memory();
        final int chunkSize = bounce.chunkSize();
        long from = srcOffset;
        long at = dataOffset;
        int left = n;
        while (left > 0)
        {
            if (0 == chunkCount || chunkFill == chunkSize)
            {
                final int chunk = bounce.allocate();
                if (chunk < 0)
                {
                    return false;
                }
                if (chunkCount == chunks.length)
                {
                    chunks = Arrays.copyOf(chunks, 2 * chunks.length);
                }
                chunks[chunkCount++] = chunk;
                chunkFill = 0;
            }
            final int k = Math.min(left, chunkSize - chunkFill);
            final long to = bounce.offset(chunks[chunkCount - 1]) + chunkFill;
            MemorySegment.copy(src, from, bounceMemory, to, k);
            final int last = count - 1;
            if (last >= 0 && !inFrame[last] && offsets[last] + lengths[last] == to)
            {
                lengths[last] += k;
                expected += k;
            }
            else
            {
                append(to, k, at, false);
            }
            chunkFill += k;
            from += k;
            at += k;
            left -= k;
        }
        return true;
    }

    private void append(final long offset, final int n, final long dataOffset, final boolean frame)
    {
        if (count == offsets.length)
        {
            final int grown = 2 * offsets.length;
            offsets = Arrays.copyOf(offsets, grown);
            lengths = Arrays.copyOf(lengths, grown);
            dataOffsets = Arrays.copyOf(dataOffsets, grown);
            inFrame = Arrays.copyOf(inFrame, grown);
        }
        offsets[count] = offset;
        lengths[count] = n;
        dataOffsets[count] = dataOffset;
        inFrame[count] = frame;
        count++;
        expected += n;
    }

    /** Close the list to further pieces (the read completed or failed); whoever closes it releases what it holds. */
    synchronized void close()
    {
        open = false;
    }

    /** The read completed with all its data: the application holds the list until {@link #release()}. */
    void hand()
    {
        held = true;
    }

    /** @return whether every byte of the read arrived. */
    synchronized boolean isComplete()
    {
        return expected == length;
    }

    long[] frames()
    {
        return frames;
    }

    int frameCount()
    {
        return frameCount;
    }

    /** @return bytes of stream the frames' pieces stand for (their receive credit). */
    long frameBytes()
    {
        return frameBytes;
    }

    int[] chunks()
    {
        return chunks;
    }

    int chunkCount()
    {
        return chunkCount;
    }

    /** Forget what was given back (after a close). */
    synchronized void clear()
    {
        count = 0;
        frameCount = 0;
        frameBytes = 0;
        chunkCount = 0;
        chunkFill = 0;
    }
}
