package io.xts.nvme;

import java.util.UUID;

import static io.xts.nvme.NvmeTcp.CONNECT_DATA_LENGTH;

/**
 * The 1024 bytes of data of a Fabrics Connect command, sent in the capsule: the host identifier (a 128-bit UUID at
 * 0..15, in UUID byte order), the controller id (u16 at 16: FFFFh on the admin Connect, the one the admin Connect
 * returned on I/O Connects), and the subsystem and host NQNs (NUL-terminated ASCII in 256-byte fields at 256 and 512).
 */
public final class ConnectData extends NvmeFlyweight<ConnectData>
{
    /** Offset of HOSTID. */
    public static final int HOSTID_OFFSET = 0;
    /** Offset of CNTLID (u16). */
    public static final int CNTLID_OFFSET = 16;
    /** Offset of SUBNQN. */
    public static final int SUBNQN_OFFSET = 256;
    /** Offset of HOSTNQN. */
    public static final int HOSTNQN_OFFSET = 512;
    /** Bytes of an NQN field (at most 223 characters are meaningful, the rest NUL). */
    public static final int NQN_FIELD_LENGTH = 256;
    /** Bytes of the structure. */
    public static final int LENGTH = CONNECT_DATA_LENGTH;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public ConnectData()
    {
    }

    @Override
    protected ConnectData self()
    {
        return this;
    }

    /**
     * Write the whole structure, reserved bytes zeroed.
     *
     * @param hostId  host identifier.
     * @param cntlid  controller id ({@link NvmeTcp#CNTLID_DYNAMIC} on the admin Connect).
     * @param subNqn  subsystem NQN.
     * @param hostNqn host NQN.
     * @return this.
     */
    public ConnectData write(final UUID hostId, final int cntlid, final CharSequence subNqn, final CharSequence hostNqn)
    {
        zero(0, LENGTH);
        hostId(hostId);
        cntlid(cntlid);
        subNqn(subNqn);
        hostNqn(hostNqn);
        return this;
    }

    /** @return HOSTID's first 8 bytes as a big-endian number (UUID most significant bits). */
    public long hostIdHigh()
    {
        return Long.reverseBytes(i64(HOSTID_OFFSET));
    }

    /** @return HOSTID's last 8 bytes as a big-endian number (UUID least significant bits). */
    public long hostIdLow()
    {
        return Long.reverseBytes(i64(HOSTID_OFFSET + 8));
    }

    /** @return HOSTID as a UUID (allocates). */
    public UUID hostId()
    {
        return new UUID(hostIdHigh(), hostIdLow());
    }

    /**

     * @param hostId HOSTID, stored in UUID byte order.

     * @return this.

     */
    public ConnectData hostId(final UUID hostId)
    {
        i64(HOSTID_OFFSET, Long.reverseBytes(hostId.getMostSignificantBits()));
        i64(HOSTID_OFFSET + 8, Long.reverseBytes(hostId.getLeastSignificantBits()));
        return this;
    }

    /** @return CNTLID. */
    public int cntlid()
    {
        return u16(CNTLID_OFFSET);
    }

    /**

     * @param cntlid CNTLID.

     * @return this.

     */
    public ConnectData cntlid(final int cntlid)
    {
        u16(CNTLID_OFFSET, cntlid);
        return this;
    }

    /** @return SUBNQN (allocates). */
    public String subNqn()
    {
        return ascii(SUBNQN_OFFSET, NQN_FIELD_LENGTH);
    }

    /**

     * @param nqn SUBNQN, at most 255 ASCII characters.

     * @return this.

     */
    public ConnectData subNqn(final CharSequence nqn)
    {
        ascii(SUBNQN_OFFSET, NQN_FIELD_LENGTH, nqn, (byte)0, true);
        return this;
    }

    /** @return HOSTNQN (allocates). */
    public String hostNqn()
    {
        return ascii(HOSTNQN_OFFSET, NQN_FIELD_LENGTH);
    }

    /**

     * @param nqn HOSTNQN, at most 255 ASCII characters.

     * @return this.

     */
    public ConnectData hostNqn(final CharSequence nqn)
    {
        ascii(HOSTNQN_OFFSET, NQN_FIELD_LENGTH, nqn, (byte)0, true);
        return this;
    }
}
