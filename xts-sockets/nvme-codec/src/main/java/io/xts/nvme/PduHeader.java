package io.xts.nvme;

/**
 * A view of any PDU through its common header only: what a receiver looks at before it knows the type, and what
 * {@link PduParser} hands to {@link PduHandler}. Wrap a typed flyweight over the same {@link #segment()} and
 * {@link #offset()} to read the PSH.
 */
public final class PduHeader extends PduFlyweight<PduHeader>
{
    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public PduHeader()
    {
    }

    @Override
    protected PduHeader self()
    {
        return this;
    }

    /**
     * @return the type's name, for logs.
     */
    public String typeName()
    {
        return NvmeTcp.typeName(type());
    }
}
