package io.xts.nvme.host;

import io.xts.nvme.NvmeTcp;

/**
 * The status a {@link CompletionHandler} receives, as one {@code int}: bits 14..0 are the CQE status field without
 * the phase tag, as Linux keeps it (SC in 7:0, SCT in 10:8, CRD in 12:11, M in 13, DNR in 14); bit 16 marks an error
 * the host detected itself, never sent by the controller, with its code in the low bits. 0 is success.
 */
public final class NvmeStatus
{
    /** Success. */
    public static final int SUCCESS = 0;
    /** Set in host-detected errors. */
    public static final int HOST_ERROR = 0x1_0000;
    /** A C2HData PDU of the command failed its data digest: the data received is not trustworthy. */
    public static final int DATA_DIGEST_ERROR = HOST_ERROR | 1;
    /** The queue failed (malformed PDU, header digest error, TermReq, connection lost): see the queue's failure. */
    public static final int QUEUE_FAILED = HOST_ERROR | 2;
    /** The controller reported success for a read but sent fewer bytes than the command asked for. */
    public static final int SHORT_TRANSFER = HOST_ERROR | 3;
    /** The queue was closed before the command completed. */
    public static final int QUEUE_CLOSED = HOST_ERROR | 4;
    /** An administrative command did not complete in time (synchronous calls only). */
    public static final int TIMEOUT = HOST_ERROR | 5;
    /** No free command identifier: queue depth commands are already in flight (futures only). */
    public static final int QUEUE_FULL = HOST_ERROR | 6;

    private NvmeStatus()
    {
    }

    /**
     * @param statusField the 16-bit CQE status field.
     * @return the status value: the field without its phase tag.
     */
    public static int fromCqe(final int statusField)
    {
        return (statusField >>> 1) & 0x7FFF;
    }

    /**
     * @param status a status value.
     * @return whether it is a success (SCT and SC 0, no host error).
     */
    public static boolean isSuccess(final int status)
    {
        return 0 == (status & (HOST_ERROR | 0x7FF));
    }

    /**
     * @param status a status value.
     * @return whether the host detected the error itself.
     */
    public static boolean isHostError(final int status)
    {
        return 0 != (status & HOST_ERROR);
    }

    /**
     * @param status a status value.
     * @return SCT, status code type.
     */
    public static int statusCodeType(final int status)
    {
        return (status >>> 8) & 0x7;
    }

    /**
     * @param status a status value.
     * @return SC, status code.
     */
    public static int statusCode(final int status)
    {
        return status & 0xFF;
    }

    /**
     * @param status a status value.
     * @return whether DNR (do not retry) is set.
     */
    public static boolean doNotRetry(final int status)
    {
        return !isHostError(status) && 0 != (status & 0x4000);
    }

    /**
     * @param sct status code type.
     * @param sc  status code.
     * @return the status value.
     */
    public static int of(final int sct, final int sc)
    {
        return ((sct & 0x7) << 8) | (sc & 0xFF);
    }

    /**
     * Word a status, e.g. "SCT 0h SC 80h: LBA Out of Range (DNR)". Allocates: not for the data path.
     *
     * @param status a status value.
     * @return the text.
     */
    public static String describe(final int status)
    {
        if (isHostError(status))
        {
            return switch (status)
            {
                case DATA_DIGEST_ERROR -> "host: data digest error in C2HData";
                case QUEUE_FAILED -> "host: queue failed";
                case SHORT_TRANSFER -> "host: short transfer (success without all the data)";
                case QUEUE_CLOSED -> "host: queue closed";
                case TIMEOUT -> "host: command timed out";
                case QUEUE_FULL -> "host: no free command identifier";
                default -> String.format("host error %Xh", status & 0xFFFF);
            };
        }
        final int sct = statusCodeType(status);
        final int sc = statusCode(status);
        return String.format("SCT %Xh SC %02Xh: %s%s", sct, sc, name(sct, sc), doNotRetry(status) ? " (DNR)" : "");
    }

    private static String name(final int sct, final int sc)
    {
        if (NvmeTcp.SCT_GENERIC == sct)
        {
            return switch (sc)
            {
                case 0x00 -> "Success";
                case 0x01 -> "Invalid Command Opcode";
                case 0x02 -> "Invalid Field in Command";
                case 0x04 -> "Data Transfer Error";
                case 0x06 -> "Internal Error";
                case 0x0B -> "Invalid Namespace or Format";
                case 0x0C -> "Command Sequence Error";
                case 0x0F -> "Data SGL Length Invalid";
                case 0x11 -> "SGL Descriptor Type Invalid";
                case 0x16 -> "SGL Offset Invalid";
                case 0x18 -> "Host Identifier Inconsistent Format";
                case 0x19 -> "Keep Alive Timer Expired";
                case 0x1A -> "Keep Alive Timeout Invalid";
                case 0x22 -> "Transient Transport Error";
                case 0x80 -> "LBA Out of Range";
                case 0x81 -> "Capacity Exceeded";
                case 0x82 -> "Namespace Not Ready";
                default -> "generic status";
            };
        }
        if (NvmeTcp.SCT_COMMAND_SPECIFIC == sct)
        {
            return switch (sc)
            {
                case 0x01 -> "Invalid Queue Identifier";
                case 0x02 -> "Invalid Queue Size";
                case 0x80 -> "Connect: Incompatible Format";
                case 0x81 -> "Connect: Controller Busy";
                case 0x82 -> "Connect: Invalid Parameters";
                case 0x83 -> "Connect: Restart Discovery";
                case 0x84 -> "Connect: Invalid Host";
                case 0x90 -> "Discovery Restart";
                case 0x91 -> "Authentication Required";
                default -> "command specific status";
            };
        }
        return switch (sct)
        {
            case 2 -> "media or data integrity error";
            case 3 -> "path related status";
            case 7 -> "vendor specific";
            default -> "reserved status code type";
        };
    }
}
