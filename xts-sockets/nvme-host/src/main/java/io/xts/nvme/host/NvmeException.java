package io.xts.nvme.host;

/**
 * An NVMe/TCP host failure: a command completed with an error status (see {@link #status()}), or a queue or
 * controller could not be brought up or failed.
 */
public final class NvmeException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status  the {@link NvmeStatus} value.
     * @param message what happened.
     */
    public NvmeException(final int status, final String message)
    {
        super(message);
        this.status = status;
    }

    /**
     * @param status  the {@link NvmeStatus} value.
     * @param message what happened.
     * @param cause   the underlying failure.
     */
    public NvmeException(final int status, final String message, final Throwable cause)
    {
        super(message, cause);
        this.status = status;
    }

    /** @return the {@link NvmeStatus} value. */
    public int status()
    {
        return status;
    }
}
