package io.xts.nvme;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Builds NVMe/TCP byte streams of many PDU types with the flyweights, and the events a parser must report for them.
 */
final class TestStreams
{
    /** A built stream: its bytes and the expected events (as {@link RecordingHandler} words them). */
    record Stream(MemorySegment bytes, int length, List<String> events)
    {
    }

    private final MemorySegment memory = Arena.ofAuto().allocate(64 * 1024);
    private final List<String> events = new ArrayList<>();
    private final Crc32c crc = new Crc32c();
    private final boolean hd;
    private final boolean dd;
    private final int pda;
    private long at;

    private TestStreams(final boolean hd, final boolean dd, final int pda)
    {
        this.hd = hd;
        this.dd = dd;
        this.pda = pda;
    }

    /**
     * A controller-to-host stream: ICResp, C2HData (two for one command, the last with SUCCESS), R2T, CapsuleResp,
     * C2HData with LAST, an error CapsuleResp and a C2HTermReq carrying an offending header.
     */
    static Stream toHost(final boolean hd, final boolean dd, final int hpda)
    {
        final TestStreams s = new TestStreams(hd, dd, hpda);
        s.add(new ICRespPdu().wrap(s.memory, s.at).write(0, hd, dd, 8192), 0);
        C2HDataPdu c2h = new C2HDataPdu().wrap(s.memory, s.at).write(hd, dd, hpda, 1, 0, 400, false, false);
        s.add(c2h, 1);
        c2h = new C2HDataPdu().wrap(s.memory, s.at).write(hd, dd, hpda, 1, 400, 4, true, true);
        s.add(c2h, 2);
        s.add(new R2TPdu().wrap(s.memory, s.at).write(hd, 2, 3, 0, 4096), 0);
        s.add(new CapsuleRespPdu().wrap(s.memory, s.at).write(hd, 0, 0, 5, 1, 2, 0), 0);
        c2h = new C2HDataPdu().wrap(s.memory, s.at).write(hd, dd, hpda, 4, 0, 1024, true, false);
        s.add(c2h, 3);
        s.add(new CapsuleRespPdu().wrap(s.memory, s.at).write(hd, 0, 0, 6, 1, 4,
            NvmeTcp.status(0, NvmeTcp.SC_LBA_OUT_OF_RANGE, true)), 0);
        final TermReqPdu term = new TermReqPdu().wrap(s.memory, s.at)
            .write(NvmeTcp.TYPE_C2H_TERM_REQ, NvmeTcp.FES_SEQUENCE_ERROR, 0, s.memory, 0, 24);
        s.add(term, -1);
        return s.build();
    }

    /**
     * A host-to-controller stream: ICReq, Connect with in-capsule data, Keep Alive, a write announced for R2T, two
     * H2CData for it, a write with 8 bytes in the capsule and an H2CTermReq.
     */
    static Stream toController(final boolean hd, final boolean dd, final int cpda)
    {
        final TestStreams s = new TestStreams(hd, dd, cpda);
        s.add(new ICReqPdu().wrap(s.memory, s.at).write(0, hd, dd, 0), 0);
        CapsuleCmdPdu cmd = new CapsuleCmdPdu().wrap(s.memory, s.at).writeHeader(hd, dd, cpda, 1024);
        cmd.sqe().writeConnect(1, 0, 31, 0, 5000);
        new ConnectData().wrap(s.memory, s.at + cmd.dataOffset())
            .write(new UUID(1, 2), NvmeTcp.CNTLID_DYNAMIC, "nqn.sub", "nqn.host");
        s.add(cmd, -1);
        cmd = new CapsuleCmdPdu().wrap(s.memory, s.at).writeHeader(hd, dd, cpda, 0);
        cmd.sqe().writeKeepAlive(2);
        s.add(cmd, 0);
        cmd = new CapsuleCmdPdu().wrap(s.memory, s.at).writeHeader(hd, dd, cpda, 0);
        cmd.sqe().writeWrite(3, 1, 0, 0, 516, false);
        s.add(cmd, 0);
        s.add(new H2CDataPdu().wrap(s.memory, s.at).write(hd, dd, cpda, 3, 0, 0, 512, false), 4);
        s.add(new H2CDataPdu().wrap(s.memory, s.at).write(hd, dd, cpda, 3, 0, 512, 4, true), 5);
        cmd = new CapsuleCmdPdu().wrap(s.memory, s.at).writeHeader(hd, dd, cpda, 8);
        cmd.sqe().writeWrite(4, 1, 0, 0, 8, true);
        s.add(cmd, 6);
        s.add(new TermReqPdu().wrap(s.memory, s.at).write(NvmeTcp.TYPE_H2C_TERM_REQ, 1, 2, s.memory, 128, 8), -1);
        return s.build();
    }

    /**
     * Append a PDU written at the current position: fill its data with a pattern (unless {@code seed} is -1: data
     * already in place), store its digests and note the events it must produce.
     */
    private void add(final PduFlyweight<?> pdu, final int seed)
    {
        final long data = at + pdu.dataOffset();
        final long length = pdu.dataLength();
        if (seed >= 0)
        {
            for (long i = 0; i < length; i++)
            {
                memory.set(ValueLayout.JAVA_BYTE, data + i, (byte)(seed * 31 + i * 7));
            }
        }
        pdu.writeHeaderDigest(crc).writeDataDigest(crc);
        events.add(RecordingHandler.headerEvent(memory, at, pdu.headerLengthWithDigest()));
        events.add(RecordingHandler.endEvent(true, Hex.of(memory, data, length)));
        at += pdu.plen();
    }

    private Stream build()
    {
        return new Stream(memory, (int)at, List.copyOf(events));
    }
}
