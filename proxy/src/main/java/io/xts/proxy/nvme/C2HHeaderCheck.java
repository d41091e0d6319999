package io.xts.proxy.nvme;

import io.xts.nvme.Crc32c;
import io.xts.nvme.PduError;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.nvme.PduRules;

import java.lang.foreign.MemorySegment;

import static io.xts.nvme.NvmeTcp.CH_LENGTH;
import static io.xts.nvme.PduFlyweight.PLEN_OFFSET;

/**
 * Whether bytes of the controller-to-host stream could be the start of a PDU header, for the resync search: the
 * {@link PduRules} of a host whose initialization is over (so ICResp is refused with the other out-of-place types),
 * then their plausibility checks, which refuse what the specification allows but no controller writes. The bytes are
 * looked at in steps, as far as they are there: the type alone (most positions fail on their first byte), the common
 * header through PDO, PLEN, the PSH, HDGST. Whether the command id is outstanding is not used (the proxy only knows
 * commands with a registration); the chain of PDUs and the app's confirmation are the caller's. Reads only the bytes it
 * needs, allocates nothing.
 */
final class C2HHeaderCheck
{
    /** More bytes are needed to decide. */
    static final long NEED_MORE = -1;
    /** Not a plausible header. */
    static final long NO = 0;

    private final PduRules rules;
    private final PduHeader header = new PduHeader();
    private final Crc32c crc = new Crc32c();
    private PduError rejection = PduError.NONE;

    /**
     * @param queue         the queue as the app's ULP_PUSH describes it: digests and HPDA.
     * @param maxDataLength most DATA bytes a C2HData may carry.
     */
    C2HHeaderCheck(final PushedQueue queue, final long maxDataLength)
    {
        this.rules = new PduRules(PduParser.Side.HOST).digests(queue.headerDigest(), queue.dataDigest())
            .receivePda(queue.hpda()).maxDataLength(maxDataLength);
    }

    /**
     * @param memory    where the bytes are.
     * @param at        the candidate's first byte.
     * @param available bytes there are from {@code at} on.
     * @return the candidate's PLEN (more than 0) when it passes, {@link #NO}, or {@link #NEED_MORE} when the bytes
     *         available do not decide.
     */
    long check(final MemorySegment memory, final long at, final long available)
    {
        rejection = PduError.NONE;
        if (available < 1)
        {
            return NEED_MORE;
        }
        header.wrap(memory, at);
        final int length = available < PLEN_OFFSET ? 1 : available < CH_LENGTH ? PLEN_OFFSET : CH_LENGTH;
        if (refused(rules.checkCommonHeader(header, true, length)))
        {
            return NO;
        }
        if (length < CH_LENGTH)
        {
            return NEED_MORE;
        }
        if (!rules.plausibleDataLength(header))
        {
            return NO;
        }
        final int hlen = header.hlen();
        if (available < hlen)
        {
            return NEED_MORE;
        }
        if (refused(rules.checkDataLength(header)) || !rules.plausibleFields(header))
        {
            return NO;
        }
        if (header.hasHeaderDigest())
        {
            if (available < header.headerLengthWithDigest())
            {
                return NEED_MORE;
            }
            if (refused(rules.checkHeaderDigest(header, crc)))
            {
                return NO;
            }
        }
        return header.plen();
    }

    /**
     * @return the rule the last candidate refused by {@link #check} broke, as {@link PduParser} would report it;
     *         {@link PduError#NONE} when it broke none (it passed, more bytes were needed, or only the plausibility
     *         checks refused it).
     */
    PduError rejection()
    {
        return rejection;
    }

    private boolean refused(final PduError broken)
    {
        rejection = broken;
        return PduError.NONE != broken;
    }
}
