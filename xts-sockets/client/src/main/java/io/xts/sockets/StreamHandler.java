package io.xts.sockets;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Receives a socket's bytes where they arrived, shaped like Aeron's {@code FragmentHandler}: {@link XtsSocket#poll}
 * and {@link XtsSocket#receive} call it once per piece of the stream, in order, with the memory that holds the
 * piece (the link's frame memory the proxy's DATA message landed in, or the socket's receive buffer when the bytes
 * had to be set aside there) and where in it the piece is. The bytes are valid only during the call: their frame
 * goes back to the link, and their room to the proxy's credit, when the handler returns. Copy out what must outlive
 * the call. A handler that throws ends its socket: the exception goes to the caller of poll, the proxy gets a RESET
 * and later calls on the socket fail; the frames are returned all the same.
 */
@FunctionalInterface
public interface StreamHandler
{
    /**
     * The next {@code length} bytes of the stream.
     *
     * @param buffer memory holding them; only {@code [offset, offset + length)} is the stream's, valid during this
     *               call.
     * @param offset where they start in {@code buffer}.
     * @param length how many, at least 1.
     * @throws IOException for the caller of poll (the socket is then reset).
     */
    void onData(MemorySegment buffer, long offset, int length) throws IOException;
}
