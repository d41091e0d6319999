package io.xts.sockets;

import org.agrona.concurrent.IdleStrategy;

/**
 * The idle strategy of a thread that drives an {@link XtsStack}'s link over AF_XDP: after a duty cycle that found
 * nothing it spins a little (work usually comes within microseconds under load), then sleeps until frames arrive on
 * the RX ring, another thread rings, or the link's next timer is due. A quiet link so costs its driving thread
 * nothing, and a busy one no context switch per idle moment: the kernel wakes the thread when the NIC delivers, as
 * it wakes a blocking TCP reader, instead of the thread polling on a timer. One instance per thread.
 */
final class LinkIdleStrategy implements IdleStrategy
{
    /** Empty duty cycles spun through before sleeping: a few microseconds. */
    private static final int SPINS = 32;

    private final XtsStack stack;
    private int idleCycles;

    LinkIdleStrategy(final XtsStack stack)
    {
        this.stack = stack;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
            return;
        }
        idle();
    }

    @Override
    public void idle()
    {
        if (idleCycles++ < SPINS)
        {
            Thread.onSpinWait();
            return;
        }
        stack.idleUntilFrames();
    }

    @Override
    public void reset()
    {
        idleCycles = 0;
    }

    @Override
    public String alias()
    {
        return "xts-rx-sleep";
    }
}
