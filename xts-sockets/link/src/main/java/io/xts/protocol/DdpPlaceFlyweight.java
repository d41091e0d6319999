package io.xts.protocol;

import static io.xts.protocol.UlpMessages.PLACE_CID_OFFSET;
import static io.xts.protocol.UlpMessages.PLACE_DATA_OFFSET_OFFSET;
import static io.xts.protocol.UlpMessages.PLACE_FLAGS_OFFSET;
import static io.xts.protocol.UlpMessages.PLACE_HEADER_LENGTH;

/**
 * Body of DDP_PLACE (proxy to app): a piece of a C2HData PDU's data, to be written at {@link #dataOffset()} of the
 * command's registered buffer; the bytes follow the 8-byte header up to the end of the body.
 */
public final class DdpPlaceFlyweight extends SocketBodyFlyweight<DdpPlaceFlyweight>
{
    @Override
    protected DdpPlaceFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return PLACE_HEADER_LENGTH;
    }

    /** @return the command id. */
    public int cid()
    {
        return u16(PLACE_CID_OFFSET);
    }

    /** @return flags ({@link UlpMessages#PLACE_LAST} ...). */
    public int flags()
    {
        return u16(PLACE_FLAGS_OFFSET);
    }

    /** @return offset of the bytes in the command's data, unsigned. */
    public long dataOffset()
    {
        return i32(PLACE_DATA_OFFSET_OFFSET) & 0xFFFF_FFFFL;
    }

    /** @return offset of the bytes within the wrapped segment. */
    public long bytesOffset()
    {
        return offset + PLACE_HEADER_LENGTH;
    }

    /** @return how many bytes the body carries. */
    public int bytesLength()
    {
        return length - PLACE_HEADER_LENGTH;
    }

    /**
     * Write the header fields; the caller puts the bytes after them.
     *
     * @return bytes of the header written.
     */
    public int writeHeader(final int cid, final int flags, final long dataOffset)
    {
        u16(PLACE_CID_OFFSET, cid);
        u16(PLACE_FLAGS_OFFSET, flags);
        i32(PLACE_DATA_OFFSET_OFFSET, (int)dataOffset);
        return PLACE_HEADER_LENGTH;
    }
}
