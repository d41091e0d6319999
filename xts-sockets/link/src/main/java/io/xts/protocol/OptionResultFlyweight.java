package io.xts.protocol;

import static io.xts.protocol.SocketMessages.OPTION_ID_OFFSET;
import static io.xts.protocol.SocketMessages.OPTION_RESULT_ERRNO_OFFSET;
import static io.xts.protocol.SocketMessages.OPTION_RESULT_LENGTH;
import static io.xts.protocol.SocketMessages.OPTION_RESULT_VALUE_OFFSET;

/**
 * Body of OPTION_RESULT (proxy to app): the option id, the errno of setting it and the value in effect
 * afterwards as the kernel reports it (SO_RCVBUF comes back doubled, as Linux does).
 */
public final class OptionResultFlyweight extends SocketBodyFlyweight<OptionResultFlyweight>
{
    /** Bytes of the body. */
    public static final int LENGTH = OPTION_RESULT_LENGTH;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a body before use.
     */
    public OptionResultFlyweight()
    {
    }

    @Override
    protected OptionResultFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return LENGTH;
    }

    /**
     * @return u16 option id.
     */
    public int option()
    {
        return u16(OPTION_ID_OFFSET);
    }

    /**
     * @param value u16 option id.
     * @return this.
     */
    public OptionResultFlyweight option(final int value)
    {
        u16(OPTION_ID_OFFSET, value);
        return this;
    }

    /**
     * @return errno, 0 when set.
     */
    public int errno()
    {
        return i32(OPTION_RESULT_ERRNO_OFFSET);
    }

    /**
     * @param value errno, 0 when set.
     * @return this.
     */
    public OptionResultFlyweight errno(final int value)
    {
        i32(OPTION_RESULT_ERRNO_OFFSET, value);
        return this;
    }

    /**
     * @return value in effect.
     */
    public long value()
    {
        return i64(OPTION_RESULT_VALUE_OFFSET);
    }

    /**
     * @param value value in effect.
     * @return this.
     */
    public OptionResultFlyweight value(final long value)
    {
        i64(OPTION_RESULT_VALUE_OFFSET, value);
        return this;
    }
}
