package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.CONNECT_DATA_LENGTH;
import static io.xts.nvme.NvmeTcp.FCTYPE_CONNECT;
import static io.xts.nvme.NvmeTcp.FCTYPE_PROPERTY_GET;
import static io.xts.nvme.NvmeTcp.FCTYPE_PROPERTY_SET;
import static io.xts.nvme.NvmeTcp.IDENTIFY_DATA_LENGTH;
import static io.xts.nvme.NvmeTcp.OPC_FABRICS;
import static io.xts.nvme.NvmeTcp.OPC_IDENTIFY;
import static io.xts.nvme.NvmeTcp.OPC_KEEP_ALIVE;
import static io.xts.nvme.NvmeTcp.OPC_READ;
import static io.xts.nvme.NvmeTcp.OPC_SET_FEATURES;
import static io.xts.nvme.NvmeTcp.OPC_WRITE;
import static io.xts.nvme.NvmeTcp.PROP_SIZE_4;
import static io.xts.nvme.NvmeTcp.PROP_SIZE_8;
import static io.xts.nvme.NvmeTcp.SGL_IN_CAPSULE;
import static io.xts.nvme.NvmeTcp.SGL_TRANSPORT;
import static io.xts.nvme.NvmeTcp.SQE_FLAGS_PSDT_SGL;
import static io.xts.nvme.NvmeTcp.SQE_LENGTH;

/**
 * A 64-byte NVMe submission queue entry as a CapsuleCmd carries it (PDU bytes 8..71): the common dwords, the single
 * SGL descriptor that describes data on fabrics (SGL1, bytes 24..39), CDW10..15, and named views of the command
 * specific fields of the commands a host sends over TCP (Fabrics Connect, Property Get/Set, Identify, Set Features,
 * Keep Alive, Read, Write). The {@code write...} methods clear the entry and lay out a whole command with PSDT 01b,
 * which every command on TCP carries; SGL 01h means data in the capsule, 5Ah data moved by C2HData or R2T/H2CData.
 */
public final class Sqe extends NvmeFlyweight<Sqe>
{
    /** Offset of OPC. */
    public static final int OPCODE_OFFSET = 0;
    /** Offset of the FUSE/PSDT byte. */
    public static final int FLAGS_OFFSET = 1;
    /** Offset of CID (u16). */
    public static final int CID_OFFSET = 2;
    /** Offset of NSID (u32); of FCTYPE (u8) in Fabrics commands. */
    public static final int NSID_OFFSET = 4;
    /** Offset of FCTYPE in a Fabrics command. */
    public static final int FCTYPE_OFFSET = 4;
    /** Offset of CDW2. */
    public static final int CDW2_OFFSET = 8;
    /** Offset of CDW3. */
    public static final int CDW3_OFFSET = 12;
    /** Offset of MPTR (u64). */
    public static final int MPTR_OFFSET = 16;
    /** Offset of the SGL1 address (u64). */
    public static final int SGL_ADDRESS_OFFSET = 24;
    /** Offset of the SGL1 length (u32). */
    public static final int SGL_LENGTH_OFFSET = 32;
    /** Offset of the SGL1 identifier (type in bits 7:4, sub type in 3:0). */
    public static final int SGL_IDENTIFIER_OFFSET = 39;
    /** Offset of CDW10. */
    public static final int CDW10_OFFSET = 40;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public Sqe()
    {
    }

    @Override
    protected Sqe self()
    {
        return this;
    }

    /**
     * Zero all 64 bytes.
     *
     * @return this.
     */
    public Sqe clear()
    {
        zero(0, SQE_LENGTH);
        return this;
    }

    /**
     * Clear and start a command: opcode, PSDT 01b, CID and NSID; SGL1 still zero.
     *
     * @param opcode OPC.
     * @param cid    command identifier.
     * @param nsid   namespace (0 when none).
     * @return this.
     */
    public Sqe command(final int opcode, final int cid, final long nsid)
    {
        clear();
        u8(OPCODE_OFFSET, opcode);
        u8(FLAGS_OFFSET, SQE_FLAGS_PSDT_SGL);
        u16(CID_OFFSET, cid);
        i32(NSID_OFFSET, nsid);
        return this;
    }

    /**
     * Clear and start a Fabrics command.
     *
     * @param cid    command identifier.
     * @param fctype Fabrics command type.
     * @return this.
     */
    public Sqe fabrics(final int cid, final int fctype)
    {
        command(OPC_FABRICS, cid, 0);
        u8(FCTYPE_OFFSET, fctype);
        return this;
    }

    /**
     * Describe data carried in the capsule (SGL 01h, address = offset 0).
     *
     * @param length bytes of in-capsule data.
     * @return this.
     */
    public Sqe sglInCapsule(final long length)
    {
        return sgl(SGL_IN_CAPSULE, 0, length);
    }

    /**
     * Describe the command data buffer moved by C2HData or R2T/H2CData (SGL 5Ah, address 0), or no data (length 0).
     *
     * @param length bytes of the command's data.
     * @return this.
     */
    public Sqe sglTransport(final long length)
    {
        return sgl(SGL_TRANSPORT, 0, length);
    }

    /**
     * Write SGL1.
     *
     * @param identifier descriptor type (7:4) and sub type (3:0).
     * @param address    address or offset.
     * @param length     length.
     * @return this.
     */
    public Sqe sgl(final int identifier, final long address, final long length)
    {
        i64(SGL_ADDRESS_OFFSET, address);
        i32(SGL_LENGTH_OFFSET, length);
        zero(SGL_LENGTH_OFFSET + 4, 3);
        u8(SGL_IDENTIFIER_OFFSET, identifier);
        return this;
    }

    /**
     * Fabrics Connect, with its 1024 bytes of {@link ConnectData} in the capsule.
     *
     * @param cid    command identifier.
     * @param qid    queue: 0 admin, 1.. I/O.
     * @param sqsize queue size, 0's based.
     * @param cattr  connect attributes.
     * @param katoMs keep-alive timeout in ms (admin queue).
     * @return this.
     */
    public Sqe writeConnect(final int cid, final int qid, final int sqsize, final int cattr, final long katoMs)
    {
        fabrics(cid, FCTYPE_CONNECT).sglInCapsule(CONNECT_DATA_LENGTH);
        u16(40, 0);
        u16(42, qid);
        u16(44, sqsize);
        u8(46, cattr);
        i32(48, katoMs);
        return this;
    }

    /**
     * Fabrics Property Get (no data; the value comes back in CQE DW0/DW1).
     *
     * @param cid     command identifier.
     * @param offset  property offset.
     * @param eight   whether the property is 8 bytes (CAP).
     * @return this.
     */
    public Sqe writePropertyGet(final int cid, final long offset, final boolean eight)
    {
        fabrics(cid, FCTYPE_PROPERTY_GET).sglTransport(0);
        u8(40, eight ? PROP_SIZE_8 : PROP_SIZE_4);
        i32(44, offset);
        return this;
    }

    /**
     * Fabrics Property Set.
     *
     * @param cid    command identifier.
     * @param offset property offset.
     * @param eight  whether the property is 8 bytes.
     * @param value  the value.
     * @return this.
     */
    public Sqe writePropertySet(final int cid, final long offset, final boolean eight, final long value)
    {
        fabrics(cid, FCTYPE_PROPERTY_SET).sglTransport(0);
        u8(40, eight ? PROP_SIZE_8 : PROP_SIZE_4);
        i32(44, offset);
        i64(48, eight ? value : value & 0xFFFF_FFFFL);
        return this;
    }

    /**
     * Identify; 4096 bytes come back in C2HData.
     *
     * @param cid   command identifier.
     * @param cns   what to identify.
     * @param nsid  namespace (CNS 00h, 03h) or starting NSID (02h), else 0.
     * @param cntid controller id (CDW10 31:16), usually 0.
     * @return this.
     */
    public Sqe writeIdentify(final int cid, final int cns, final long nsid, final int cntid)
    {
        command(OPC_IDENTIFY, cid, nsid).sglTransport(IDENTIFY_DATA_LENGTH);
        u8(40, cns);
        u16(42, cntid);
        return this;
    }

    /**
     * Set Features.
     *
     * @param cid   command identifier.
     * @param fid   feature id (CDW10 7:0).
     * @param cdw11 feature value.
     * @return this.
     */
    public Sqe writeSetFeatures(final int cid, final int fid, final int cdw11)
    {
        command(OPC_SET_FEATURES, cid, 0).sglTransport(0);
        u8(40, fid);
        i32(44, cdw11);
        return this;
    }

    /**
     * Keep Alive: no data.
     *
     * @param cid command identifier.
     * @return this.
     */
    public Sqe writeKeepAlive(final int cid)
    {
        return command(OPC_KEEP_ALIVE, cid, 0).sglTransport(0);
    }

    /**
     * Read: data comes back in C2HData.
     *
     * @param cid    command identifier.
     * @param nsid   namespace.
     * @param slba   first logical block.
     * @param nlb    blocks, 0's based.
     * @param length bytes of the transfer: (nlb + 1) x block size.
     * @return this.
     */
    public Sqe writeRead(final int cid, final long nsid, final long slba, final int nlb, final long length)
    {
        command(OPC_READ, cid, nsid).sglTransport(length);
        i64(40, slba);
        u16(48, nlb);
        return this;
    }

    /**
     * Write: data in the capsule (SGL 01h) or sent in H2CData after R2T (SGL 5Ah).
     *
     * @param cid       command identifier.
     * @param nsid      namespace.
     * @param slba      first logical block.
     * @param nlb       blocks, 0's based.
     * @param length    bytes of the transfer.
     * @param inCapsule whether the data follows in the capsule.
     * @return this.
     */
    public Sqe writeWrite(final int cid, final long nsid, final long slba, final int nlb, final long length,
        final boolean inCapsule)
    {
        command(OPC_WRITE, cid, nsid);
        if (inCapsule)
        {
            sglInCapsule(length);
        }
        else
        {
            sglTransport(length);
        }
        i64(40, slba);
        u16(48, nlb);
        return this;
    }

    // ---- common fields ----

    /** @return OPC. */
    public int opcode()
    {
        return u8(OPCODE_OFFSET);
    }

    /**

     * @param opcode OPC.

     * @return this.

     */
    public Sqe opcode(final int opcode)
    {
        u8(OPCODE_OFFSET, opcode);
        return this;
    }

    /** @return byte 1: FUSE in bits 1:0, PSDT in bits 7:6. */
    public int flags()
    {
        return u8(FLAGS_OFFSET);
    }

    /**

     * @param flags byte 1.

     * @return this.

     */
    public Sqe flags(final int flags)
    {
        u8(FLAGS_OFFSET, flags);
        return this;
    }

    /** @return PSDT (01b on TCP: SGL). */
    public int psdt()
    {
        return flags() >>> 6;
    }

    /** @return FUSE (0: TCP targets reject fused commands). */
    public int fuse()
    {
        return flags() & 0x3;
    }

    /** @return CID. */
    public int cid()
    {
        return u16(CID_OFFSET);
    }

    /**

     * @param cid CID.

     * @return this.

     */
    public Sqe cid(final int cid)
    {
        u16(CID_OFFSET, cid);
        return this;
    }

    /** @return NSID. */
    public long nsid()
    {
        return u32(NSID_OFFSET);
    }

    /**

     * @param nsid NSID.

     * @return this.

     */
    public Sqe nsid(final long nsid)
    {
        i32(NSID_OFFSET, nsid);
        return this;
    }

    /** @return MPTR. */
    public long mptr()
    {
        return i64(MPTR_OFFSET);
    }

    /** @return SGL1 address (an offset for in-capsule data). */
    public long sglAddress()
    {
        return i64(SGL_ADDRESS_OFFSET);
    }

    /** @return SGL1 length. */
    public long sglLength()
    {
        return u32(SGL_LENGTH_OFFSET);
    }

    /** @return SGL1 identifier byte (01h in-capsule, 5Ah transport). */
    public int sglIdentifier()
    {
        return u8(SGL_IDENTIFIER_OFFSET);
    }

    /** @return SGL1 descriptor type (bits 7:4 of the identifier). */
    public int sglType()
    {
        return sglIdentifier() >>> 4;
    }

    /** @return SGL1 descriptor sub type (bits 3:0 of the identifier). */
    public int sglSubtype()
    {
        return sglIdentifier() & 0xF;
    }

    /**
     * @param n dword number, 0..15.
     * @return that dword, raw.
     */
    public int cdw(final int n)
    {
        return i32(4L * n);
    }

    /**
     * @param n     dword number, 0..15.
     * @param value the dword.
     * @return this.
     */
    public Sqe cdw(final int n, final int value)
    {
        i32(4L * n, value);
        return this;
    }

    /** @return CDW10. */
    public int cdw10()
    {
        return cdw(10);
    }

    /** @return CDW11. */
    public int cdw11()
    {
        return cdw(11);
    }

    /** @return CDW12. */
    public int cdw12()
    {
        return cdw(12);
    }

    /** @return CDW13. */
    public int cdw13()
    {
        return cdw(13);
    }

    /** @return CDW14. */
    public int cdw14()
    {
        return cdw(14);
    }

    /** @return CDW15. */
    public int cdw15()
    {
        return cdw(15);
    }

    // ---- Fabrics ----

    /** @return whether OPC is the Fabrics opcode. */
    public boolean isFabrics()
    {
        return OPC_FABRICS == opcode();
    }

    /** @return FCTYPE (Fabrics commands). */
    public int fctype()
    {
        return u8(FCTYPE_OFFSET);
    }

    /** @return Connect RECFMT. */
    public int connectRecfmt()
    {
        return u16(40);
    }

    /** @return Connect QID. */
    public int connectQid()
    {
        return u16(42);
    }

    /** @return Connect SQSIZE, 0's based. */
    public int connectSqsize()
    {
        return u16(44);
    }

    /** @return Connect CATTR. */
    public int connectCattr()
    {
        return u8(46);
    }

    /** @return Connect KATO in ms. */
    public long connectKato()
    {
        return u32(48);
    }

    /** @return Property Get/Set ATTRIB (bits 2:0 size: 0 four bytes, 1 eight). */
    public int propertyAttrib()
    {
        return u8(40);
    }

    /** @return Property Get/Set size in bytes, from ATTRIB. */
    public int propertySize()
    {
        return PROP_SIZE_8 == (propertyAttrib() & 0x7) ? 8 : 4;
    }

    /** @return Property Get/Set OFST. */
    public long propertyOffset()
    {
        return u32(44);
    }

    /** @return Property Set VALUE (8 bytes; the upper 4 are 0 for a 4-byte property). */
    public long propertyValue()
    {
        return i64(48);
    }

    // ---- admin and I/O ----

    /** @return Identify CNS (CDW10 7:0). */
    public int identifyCns()
    {
        return u8(40);
    }

    /** @return Identify CNTID (CDW10 31:16). */
    public int identifyCntid()
    {
        return u16(42);
    }

    /** @return Identify CSI (CDW11 31:24). */
    public int identifyCsi()
    {
        return u8(47);
    }

    /** @return Set/Get Features FID (CDW10 7:0). */
    public int featureId()
    {
        return u8(40);
    }

    /** @return Read/Write SLBA (CDW10..11). */
    public long slba()
    {
        return i64(40);
    }

    /** @return Read/Write NLB, 0's based (CDW12 15:0). */
    public int nlb()
    {
        return u16(48);
    }

    /** @return Read/Write control (CDW12 31:16: FUA bit 14, LR bit 15). */
    public int control()
    {
        return u16(50);
    }
}
