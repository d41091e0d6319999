package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.IDENTIFY_DATA_LENGTH;

/**
 * Identify Controller data (CNS 01h, 4096 bytes): the fields a host checks when it brings a controller up over TCP,
 * and that a test target must therefore fill: identity (VID, SN, MN, FR), MDTS, CNTLID (must match the admin
 * Connect's), version, attributes, KAS (must be non-zero on fabrics), queue entry sizes, NN, SGL support, SUBNQN and
 * the fabrics capsule sizes (IOCCSZ, IORCSZ in 16-byte units; ICDOFF must be 0 on TCP; MSDBD).
 */
public final class IdentifyController extends NvmeFlyweight<IdentifyController>
{
    /** Bytes of the structure. */
    public static final int LENGTH = IDENTIFY_DATA_LENGTH;
    /** Offset of VID. */
    public static final int VID_OFFSET = 0;
    /** Offset of SSVID. */
    public static final int SSVID_OFFSET = 2;
    /** Offset of SN (20 ASCII bytes, space padded). */
    public static final int SN_OFFSET = 4;
    /** Offset of MN (40 ASCII bytes, space padded). */
    public static final int MN_OFFSET = 24;
    /** Offset of FR (8 ASCII bytes, space padded). */
    public static final int FR_OFFSET = 64;
    /** Offset of MDTS. */
    public static final int MDTS_OFFSET = 77;
    /** Offset of CNTLID. */
    public static final int CNTLID_OFFSET = 78;
    /** Offset of VER. */
    public static final int VER_OFFSET = 80;
    /** Offset of CTRATT. */
    public static final int CTRATT_OFFSET = 96;
    /** Offset of CNTRLTYPE. */
    public static final int CNTRLTYPE_OFFSET = 111;
    /** Offset of KAS. */
    public static final int KAS_OFFSET = 320;
    /** Offset of SQES. */
    public static final int SQES_OFFSET = 512;
    /** Offset of CQES. */
    public static final int CQES_OFFSET = 513;
    /** Offset of MAXCMD. */
    public static final int MAXCMD_OFFSET = 514;
    /** Offset of NN. */
    public static final int NN_OFFSET = 516;
    /** Offset of ONCS. */
    public static final int ONCS_OFFSET = 520;
    /** Offset of VWC. */
    public static final int VWC_OFFSET = 525;
    /** Offset of SGLS. */
    public static final int SGLS_OFFSET = 536;
    /** Offset of SUBNQN (256 bytes). */
    public static final int SUBNQN_OFFSET = 768;
    /** Offset of IOCCSZ. */
    public static final int IOCCSZ_OFFSET = 1792;
    /** Offset of IORCSZ. */
    public static final int IORCSZ_OFFSET = 1796;
    /** Offset of ICDOFF. */
    public static final int ICDOFF_OFFSET = 1800;
    /** Offset of the fabrics CTRATTR. */
    public static final int FCATT_OFFSET = 1802;
    /** Offset of MSDBD. */
    public static final int MSDBD_OFFSET = 1803;
    /** CNTRLTYPE: I/O controller. */
    public static final int CNTRLTYPE_IO = 1;
    /** CNTRLTYPE: discovery controller. */
    public static final int CNTRLTYPE_DISCOVERY = 2;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public IdentifyController()
    {
    }

    @Override
    protected IdentifyController self()
    {
        return this;
    }

    /**
     * Zero all 4096 bytes.
     *
     * @return this.
     */
    public IdentifyController clear()
    {
        zero(0, LENGTH);
        return this;
    }

    /** @return VID. */
    public int vid()
    {
        return u16(VID_OFFSET);
    }

    /**

     * @param vid VID.

     * @return this.

     */
    public IdentifyController vid(final int vid)
    {
        u16(VID_OFFSET, vid);
        return this;
    }

    /** @return SN without padding (allocates). */
    public String serialNumber()
    {
        return ascii(SN_OFFSET, 20);
    }

    /**

     * @param sn SN, at most 20 ASCII characters.

     * @return this.

     */
    public IdentifyController serialNumber(final CharSequence sn)
    {
        ascii(SN_OFFSET, 20, sn, (byte)' ', false);
        return this;
    }

    /** @return MN without padding (allocates). */
    public String modelNumber()
    {
        return ascii(MN_OFFSET, 40);
    }

    /**

     * @param mn MN, at most 40 ASCII characters.

     * @return this.

     */
    public IdentifyController modelNumber(final CharSequence mn)
    {
        ascii(MN_OFFSET, 40, mn, (byte)' ', false);
        return this;
    }

    /** @return FR without padding (allocates). */
    public String firmwareRevision()
    {
        return ascii(FR_OFFSET, 8);
    }

    /**

     * @param fr FR, at most 8 ASCII characters.

     * @return this.

     */
    public IdentifyController firmwareRevision(final CharSequence fr)
    {
        ascii(FR_OFFSET, 8, fr, (byte)' ', false);
        return this;
    }

    /** @return MDTS: max transfer as a power of two of the minimum page size; 0 = no limit. */
    public int mdts()
    {
        return u8(MDTS_OFFSET);
    }

    /**

     * @param mdts MDTS.

     * @return this.

     */
    public IdentifyController mdts(final int mdts)
    {
        u8(MDTS_OFFSET, mdts);
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
    public IdentifyController cntlid(final int cntlid)
    {
        u16(CNTLID_OFFSET, cntlid);
        return this;
    }

    /** @return VER (VS format: major 31:16, minor 15:8, tertiary 7:0). */
    public int version()
    {
        return i32(VER_OFFSET);
    }

    /**

     * @param version VER.

     * @return this.

     */
    public IdentifyController version(final int version)
    {
        i32(VER_OFFSET, version);
        return this;
    }

    /** @return CTRATT. */
    public int ctratt()
    {
        return i32(CTRATT_OFFSET);
    }

    /**

     * @param ctratt CTRATT.

     * @return this.

     */
    public IdentifyController ctratt(final int ctratt)
    {
        i32(CTRATT_OFFSET, ctratt);
        return this;
    }

    /** @return CNTRLTYPE. */
    public int controllerType()
    {
        return u8(CNTRLTYPE_OFFSET);
    }

    /**

     * @param type CNTRLTYPE.

     * @return this.

     */
    public IdentifyController controllerType(final int type)
    {
        u8(CNTRLTYPE_OFFSET, type);
        return this;
    }

    /** @return KAS (keep alive granularity; the unit is taken as 100 ms, see the fact sheet). */
    public int kas()
    {
        return u16(KAS_OFFSET);
    }

    /**

     * @param kas KAS.

     * @return this.

     */
    public IdentifyController kas(final int kas)
    {
        u16(KAS_OFFSET, kas);
        return this;
    }

    /** @return SQES (required size 3:0, maximum 7:4, as powers of two). */
    public int sqes()
    {
        return u8(SQES_OFFSET);
    }

    /**

     * @param sqes SQES.

     * @return this.

     */
    public IdentifyController sqes(final int sqes)
    {
        u8(SQES_OFFSET, sqes);
        return this;
    }

    /** @return CQES (required size 3:0, maximum 7:4). */
    public int cqes()
    {
        return u8(CQES_OFFSET);
    }

    /**

     * @param cqes CQES.

     * @return this.

     */
    public IdentifyController cqes(final int cqes)
    {
        u8(CQES_OFFSET, cqes);
        return this;
    }

    /** @return MAXCMD. */
    public int maxcmd()
    {
        return u16(MAXCMD_OFFSET);
    }

    /**

     * @param maxcmd MAXCMD.

     * @return this.

     */
    public IdentifyController maxcmd(final int maxcmd)
    {
        u16(MAXCMD_OFFSET, maxcmd);
        return this;
    }

    /** @return NN, the number of namespaces. */
    public long nn()
    {
        return u32(NN_OFFSET);
    }

    /**

     * @param nn NN.

     * @return this.

     */
    public IdentifyController nn(final long nn)
    {
        i32(NN_OFFSET, nn);
        return this;
    }

    /** @return ONCS. */
    public int oncs()
    {
        return u16(ONCS_OFFSET);
    }

    /**

     * @param oncs ONCS.

     * @return this.

     */
    public IdentifyController oncs(final int oncs)
    {
        u16(ONCS_OFFSET, oncs);
        return this;
    }

    /** @return VWC. */
    public int vwc()
    {
        return u8(VWC_OFFSET);
    }

    /**

     * @param vwc VWC.

     * @return this.

     */
    public IdentifyController vwc(final int vwc)
    {
        u8(VWC_OFFSET, vwc);
        return this;
    }

    /** @return SGLS. */
    public int sgls()
    {
        return i32(SGLS_OFFSET);
    }

    /**

     * @param sgls SGLS.

     * @return this.

     */
    public IdentifyController sgls(final int sgls)
    {
        i32(SGLS_OFFSET, sgls);
        return this;
    }

    /** @return SUBNQN (allocates). */
    public String subNqn()
    {
        return ascii(SUBNQN_OFFSET, 256);
    }

    /**

     * @param nqn SUBNQN.

     * @return this.

     */
    public IdentifyController subNqn(final CharSequence nqn)
    {
        ascii(SUBNQN_OFFSET, 256, nqn, (byte)0, true);
        return this;
    }

    /** @return IOCCSZ, in 16-byte units. */
    public long ioccsz()
    {
        return u32(IOCCSZ_OFFSET);
    }

    /**

     * @param ioccsz IOCCSZ.

     * @return this.

     */
    public IdentifyController ioccsz(final long ioccsz)
    {
        i32(IOCCSZ_OFFSET, ioccsz);
        return this;
    }

    /** @return IORCSZ, in 16-byte units (1 on TCP). */
    public long iorcsz()
    {
        return u32(IORCSZ_OFFSET);
    }

    /**

     * @param iorcsz IORCSZ.

     * @return this.

     */
    public IdentifyController iorcsz(final long iorcsz)
    {
        i32(IORCSZ_OFFSET, iorcsz);
        return this;
    }

    /** @return ICDOFF, in 16-byte units (0 on TCP). */
    public int icdoff()
    {
        return u16(ICDOFF_OFFSET);
    }

    /**

     * @param icdoff ICDOFF.

     * @return this.

     */
    public IdentifyController icdoff(final int icdoff)
    {
        u16(ICDOFF_OFFSET, icdoff);
        return this;
    }

    /** @return the fabrics controller attributes byte (bit 0: static controller model). */
    public int fabricsAttributes()
    {
        return u8(FCATT_OFFSET);
    }

    /**

     * @param attributes fabrics CTRATTR.

     * @return this.

     */
    public IdentifyController fabricsAttributes(final int attributes)
    {
        u8(FCATT_OFFSET, attributes);
        return this;
    }

    /** @return MSDBD. */
    public int msdbd()
    {
        return u8(MSDBD_OFFSET);
    }

    /**

     * @param msdbd MSDBD.

     * @return this.

     */
    public IdentifyController msdbd(final int msdbd)
    {
        u8(MSDBD_OFFSET, msdbd);
        return this;
    }

    /** @return bytes of in-capsule data an I/O command may carry: IOCCSZ x 16 - 64. */
    public long inCapsuleDataLimit()
    {
        return Math.max(0, ioccsz() * 16 - NvmeTcp.SQE_LENGTH);
    }
}
