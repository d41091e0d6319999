package io.xts.link;

import java.lang.foreign.MemorySegment;

/**
 * One end of an {@link InProcessTransport} pair made safe for two threads: the pair is single-threaded (flush copies
 * into the other end's memory and queues), so both ends serialise on one shared monitor. In tests, the stack's poller
 * drives one end and a fake proxy's thread the other, as a real proxy on its own host would.
 */
public final class LockedTransport implements FrameTransport
{
    private final FrameTransport delegate;
    private final Object pairLock;

    private LockedTransport(final FrameTransport delegate, final Object pairLock)
    {
        this.delegate = delegate;
        this.pairLock = pairLock;
    }

    /**
     * @return the app's end [0] and the proxy's end [1].
     */
    public static LockedTransport[] pair()
    {
        return pair(256);
    }

    /**
     * @param rxFrames receive frames of each end (2048 bytes each).
     * @return the app's end [0] and the proxy's end [1].
     */
    public static LockedTransport[] pair(final int rxFrames)
    {
        final InProcessTransport[] pair = InProcessTransport.pair(2048, 512, rxFrames, 1024);
        final Object lock = new Object();
        return new LockedTransport[] {new LockedTransport(pair[0], lock), new LockedTransport(pair[1], lock)};
    }

    @Override
    public MemorySegment memory()
    {
        return delegate.memory();
    }

    @Override
    public int maxFrameLength()
    {
        return delegate.maxFrameLength();
    }

    @Override
    public int receiveCapacity()
    {
        return delegate.receiveCapacity();
    }

    @Override
    public long acquire()
    {
        synchronized (pairLock)
        {
            return delegate.acquire();
        }
    }

    @Override
    public boolean transmit(final long frame, final int length)
    {
        synchronized (pairLock)
        {
            return delegate.transmit(frame, length);
        }
    }

    @Override
    public void release(final long frame)
    {
        synchronized (pairLock)
        {
            delegate.release(frame);
        }
    }

    @Override
    public int transmitBacklog()
    {
        synchronized (pairLock)
        {
            return delegate.transmitBacklog();
        }
    }

    @Override
    public int flush()
    {
        synchronized (pairLock)
        {
            return delegate.flush();
        }
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        synchronized (pairLock)
        {
            return delegate.receive(handler, limit);
        }
    }

    @Override
    public void recycle(final long frame)
    {
        synchronized (pairLock)
        {
            delegate.recycle(frame);
        }
    }

    @Override
    public void close()
    {
        synchronized (pairLock)
        {
            delegate.close();
        }
    }
}
