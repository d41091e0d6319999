package io.xts.nvme.host;

/**
 * What Identify Namespace told about a namespace.
 *
 * @param nsid      the namespace id.
 * @param blockSize bytes of a logical block in the format in use.
 * @param blocks    NSZE, the size in logical blocks.
 */
public record Namespace(long nsid, int blockSize, long blocks)
{
    /** @return bytes of the namespace. */
    public long capacityBytes()
    {
        return blocks * blockSize;
    }
}
