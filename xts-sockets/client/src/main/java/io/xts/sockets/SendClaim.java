package io.xts.sockets;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Room claimed for bytes to send, inside a TX frame of the link, as Aeron's {@code BufferClaim}: the app writes the
 * bytes where they will leave ({@link #buffer()} from {@link #offset()}, at most {@link #length()} bytes, or through
 * {@link #byteBuffer()}, e.g. as the destination of a channel read), then {@link #commit(int)} sends them as one
 * DATA message, after everything written before on the socket, or {@link #abort()} gives the room back. One
 * flyweight per socket, reused by each {@link XtsSocket#claim(int)}: one claim at a time per socket. The frame is
 * the socket's from claim to commit or abort, and nothing else of the stack waits meanwhile, so the app may take
 * its time (read from a pipe, say); the claimed room is taken from the proxy's credit until then.
 */
public final class SendClaim
{
    private final XtsSocket socket;
    private final MemorySegment memory;
    private final ByteBuffer view;
    /** The ByteBuffer {@link #byteBuffer()} handed out for the open claim, and the room's start in it. */
    private ByteBuffer current;
    private int base;
    private long frame = -1;
    private long offset;
    private int length;

    SendClaim(final XtsSocket socket, final MemorySegment memory, final ByteBuffer view)
    {
        this.socket = socket;
        this.memory = memory;
        this.view = view;
    }

    void open(final long frame, final long offset, final int length)
    {
        this.frame = frame;
        this.offset = offset;
        this.length = length;
        current = null;
    }

    void close()
    {
        frame = -1;
    }

    boolean isOpen()
    {
        return -1 != frame;
    }

    long frame()
    {
        return frame;
    }

    /**
     * @return the memory to write into (the link's frame memory); only {@code [offset(), offset() + length())} is
     *         this claim's, and only until commit or abort.
     */
    public MemorySegment buffer()
    {
        return memory;
    }

    /**
     * @return where the claimed room starts in {@link #buffer()}.
     */
    public long offset()
    {
        return offset;
    }

    /**
     * @return bytes of room claimed: at most what {@link XtsSocket#claim(int)} asked for, maybe fewer (one frame's
     *         room, the proxy's credit).
     */
    public int length()
    {
        return length;
    }

    /**
     * @return a ByteBuffer over the claimed room (position 0 of the room at its position, limit at its end), reused
     *         by every claim of this socket; the bytes committed by {@link #commitBuffer()} are those before its
     *         position.
     */
    public ByteBuffer byteBuffer()
    {
        if (!isOpen())
        {
            throw new IllegalStateException("no open claim");
        }
        if (null == view)
        {
            // Link memory beyond 2 GiB: no one ByteBuffer covers it, so a view per claim.
            current = memory.asSlice(offset, length).asByteBuffer();
            base = 0;
        }
        else
        {
            view.limit((int)(offset + length)).position((int)offset);
            current = view;
            base = (int)offset;
        }
        return current;
    }

    /**
     * Send all the claimed bytes.
     *
     * @throws IOException as {@link XtsSocket#write}: the socket failed or closed (the room is given back).
     */
    public void commit() throws IOException
    {
        commit(length);
    }

    /**
     * Send the first {@code bytes} claimed bytes; 0 is an {@link #abort()}. Never waits for the proxy's credit (the
     * claim took it); only, for a moment, while the link itself has no room (its frame credit or send window), in
     * non-blocking mode too.
     *
     * @param bytes written, 0 to {@link #length()}.
     * @throws IOException as {@link XtsSocket#write}: the socket failed or closed (the room is given back).
     */
    public void commit(final int bytes) throws IOException
    {
        if (!isOpen())
        {
            throw new IllegalStateException("no open claim");
        }
        if (bytes < 0 || bytes > length)
        {
            throw new IllegalArgumentException("commit of " + bytes + " bytes: the claim has " + length);
        }
        socket.commitClaim(this, bytes);
    }

    /**
     * Send the bytes written through {@link #byteBuffer()}: those between the room's start and the buffer's position.
     *
     * @throws IOException as {@link #commit(int)}.
     */
    public void commitBuffer() throws IOException
    {
        if (null == current)
        {
            throw new IllegalStateException("byteBuffer() was not called for this claim");
        }
        commit(current.position() - base);
    }

    /**
     * Give the room back; nothing is sent.
     */
    public void abort()
    {
        if (isOpen())
        {
            socket.abortClaim(this);
        }
    }
}
