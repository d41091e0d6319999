package io.xts.link;

/**
 * A byte-position credit window for one stream, the reusable mechanism behind per-stream flow control (the socket
 * layer uses it for TCP-like windows). Positions are monotonic 64-bit byte counts, as in Aeron: the receiver
 * advertises (consumed position, window) and the sender may send up to {@code consumed + window}; because the limit
 * is absolute, a lost update is repaired by any later one. The receiver sends an update when the consumer has moved
 * a quarter of the window since the last one, so updates cost little and the sender never stalls for a full
 * round trip. One instance is either a sender's or a receiver's view; single-threaded.
 */
public final class CreditWindow
{
    private final int window;
    private long sentPosition;
    private long senderLimit;
    private long consumedPosition;
    private long advertisedPosition;
    private long stalls;

    /**
     * @param window window size in bytes, positive.
     */
    public CreditWindow(final int window)
    {
        if (window <= 0)
        {
            throw new IllegalArgumentException("window must be positive, got " + window);
        }
        this.window = window;
        this.senderLimit = window;
    }

    /**
     * @return the window size.
     */
    public int window()
    {
        return window;
    }

    // ---- sender side ----

    /**
     * @return bytes the sender may send now.
     */
    public long available()
    {
        return senderLimit - sentPosition;
    }

    /**
     * Take up to {@code wanted} bytes of credit.
     *
     * @param wanted bytes the sender would like to send.
     * @return bytes granted, 0 when the window is closed (counted as a stall).
     */
    public int take(final int wanted)
    {
        final long granted = Math.min(wanted, available());
        if (granted <= 0)
        {
            stalls++;
            return 0;
        }
        sentPosition += granted;
        return (int)granted;
    }

    /**
     * Apply a credit update from the receiver. Older or smaller updates never shrink the limit.
     *
     * @param consumed the receiver's consumed position.
     * @param windowBytes the receiver's window.
     */
    public void onCredit(final long consumed, final int windowBytes)
    {
        if (consumed < 0 || windowBytes < 0)
        {
            throw new IllegalArgumentException("credit update with negative position or window: " + consumed +
                ", " + windowBytes);
        }
        senderLimit = Math.max(senderLimit, consumed + windowBytes);
    }

    /**
     * @return bytes sent so far.
     */
    public long sentPosition()
    {
        return sentPosition;
    }

    /**
     * @return the position the sender may send up to.
     */
    public long senderLimit()
    {
        return senderLimit;
    }

    /**
     * @return times {@link #take(int)} found the window closed.
     */
    public long stalls()
    {
        return stalls;
    }

    // ---- receiver side ----

    /**
     * The consumer has taken {@code bytes} more.
     *
     * @param bytes bytes consumed.
     */
    public void consumed(final int bytes)
    {
        consumedPosition += bytes;
    }

    /**
     * @return the receiver's consumed position.
     */
    public long consumedPosition()
    {
        return consumedPosition;
    }

    /**
     * @return true when an update is due: the consumer moved a quarter of the window since the last one.
     */
    public boolean updateDue()
    {
        return consumedPosition - advertisedPosition >= (window >> 2);
    }

    /**
     * Record that an update with the current consumed position was sent.
     *
     * @return the position advertised.
     */
    public long advertise()
    {
        advertisedPosition = consumedPosition;
        return consumedPosition;
    }
}
