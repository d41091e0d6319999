package io.xts.protocol;

/**
 * Why a received frame is dropped, as listed in the "Validation" section of the XTS link protocol: the verdict of
 * {@link FrameValidator} and of {@link MessageReader}, and the key of the link's drop counters. {@link #NONE} means
 * the frame is well formed. {@link #BAD_SEQUENCE} and {@link #STALE_EPOCH} are never produced by the codecs: they
 * depend on link state (the credit limit granted, the epoch learned), so the link decides them and only uses these
 * values to count.
 */
public enum MalformedReason
{
    /** Well formed. */
    NONE("well formed"),

    /** Shorter than the Ethernet header plus the XTS header. */
    TRUNCATED("shorter than the Ethernet and XTS headers"),

    /** The EtherType is not 0x88B5. */
    WRONG_ETHERTYPE("EtherType is not 0x88B5"),

    /** The version byte is not the version this side speaks. */
    BAD_VERSION("unsupported protocol version"),

    /** The kind is none of HELLO, DATA, ACK, RESET. */
    UNKNOWN_KIND("unknown frame kind"),

    /** The header's payloadLength runs past the end of the frame. */
    LENGTH_PAST_FRAME("payloadLength beyond the frame"),

    /** A message header or body (or a RESET text) runs past the end of the payload. */
    TRUNCATED_MESSAGE("message header or body past the payload"),

    /** A HELLO payload is short or inconsistent. */
    BAD_HELLO("short or inconsistent HELLO"),

    /** A DATA seq at or past the credit limit this side granted (decided by the link). */
    BAD_SEQUENCE("DATA seq at or past the granted credit limit"),

    /** A frame of an epoch that was replaced (decided by the link). */
    STALE_EPOCH("frame of a replaced epoch");

    private final String description;

    MalformedReason(final String description)
    {
        this.description = description;
    }

    /**
     * @return a short human description, for logs and counter labels.
     */
    public String description()
    {
        return description;
    }
}
