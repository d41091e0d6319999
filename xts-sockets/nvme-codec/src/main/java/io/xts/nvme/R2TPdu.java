package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.HLEN_24;
import static io.xts.nvme.NvmeTcp.TYPE_R2T;

/**
 * R2T (type 09h, HLEN 24, never data): the controller's request for a range of a write command's data (R2TO, R2TL)
 * under a transfer tag (TTAG, opaque to the host, echoed in each H2CData).
 */
public final class R2TPdu extends DataPduFlyweight<R2TPdu>
{
    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public R2TPdu()
    {
    }

    @Override
    protected R2TPdu self()
    {
        return this;
    }

    /**
     * Write the whole header (then {@link #writeHeaderDigest} if digests are on).
     *
     * @param headerDigest whether header digests are on.
     * @param cccid        command identifier.
     * @param ttag         transfer tag.
     * @param r2to         offset requested.
     * @param r2tl         bytes requested.
     * @return this.
     */
    public R2TPdu write(final boolean headerDigest, final int cccid, final int ttag, final long r2to, final long r2tl)
    {
        layout(TYPE_R2T, 0, HLEN_24, headerDigest, false, 0, 0);
        psh(cccid, ttag, r2to, r2tl);
        return this;
    }

    /** @return TTAG. */
    public int ttag()
    {
        return u16(TTAG_OFFSET);
    }

    /** @return R2TO. */
    public long r2to()
    {
        return u32(DATA_OFFSET_OFFSET);
    }

    /** @return R2TL. */
    public long r2tl()
    {
        return u32(DATA_LENGTH_OFFSET);
    }
}
