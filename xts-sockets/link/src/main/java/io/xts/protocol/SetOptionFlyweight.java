package io.xts.protocol;

import static io.xts.protocol.SocketMessages.OPTION_ID_OFFSET;
import static io.xts.protocol.SocketMessages.SET_OPTION_LENGTH;
import static io.xts.protocol.SocketMessages.SET_OPTION_VALUE_OFFSET;

/**
 * Body of SET_OPTION (app to proxy): the option id (SocketMessages.OPTION_*) and its value.
 */
public final class SetOptionFlyweight extends SocketBodyFlyweight<SetOptionFlyweight>
{
    /** Bytes of the body. */
    public static final int LENGTH = SET_OPTION_LENGTH;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a body before use.
     */
    public SetOptionFlyweight()
    {
    }

    @Override
    protected SetOptionFlyweight self()
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
    public SetOptionFlyweight option(final int value)
    {
        u16(OPTION_ID_OFFSET, value);
        return this;
    }

    /**
     * @return value; booleans 0 or 1.
     */
    public long value()
    {
        return i64(SET_OPTION_VALUE_OFFSET);
    }

    /**
     * @param value value; booleans 0 or 1.
     * @return this.
     */
    public SetOptionFlyweight value(final long value)
    {
        i64(SET_OPTION_VALUE_OFFSET, value);
        return this;
    }
}
