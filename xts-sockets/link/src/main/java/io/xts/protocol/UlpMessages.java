package io.xts.protocol;

/**
 * Offsets, lengths and values of the NVMe/TCP offload message bodies (docs/PROTOCOL.md "NVMe/TCP offload
 * messages"): ULP_PUSH, ULP_RESULT, DDP_SETUP, DDP_TEARDOWN, DDP_PLACE, PDU_HEADER, RESYNC_REQUEST and
 * RESYNC_RESPONSE. Big endian like every link field; the NVMe/TCP bytes they carry stay little endian.
 */
public final class UlpMessages
{
    /** ULP id of NVMe/TCP. */
    public static final int ULP_NVME_TCP = 1;

    /** ULP_PUSH flag: header digest negotiated. */
    public static final int PUSH_FLAG_HDGST = 1;
    /** ULP_PUSH flag: data digest negotiated. */
    public static final int PUSH_FLAG_DDGST = 2;
    public static final int PUSH_ULP_OFFSET = 0;
    public static final int PUSH_FLAGS_OFFSET = 1;
    public static final int PUSH_CPDA_OFFSET = 2;
    public static final int PUSH_HPDA_OFFSET = 3;
    public static final int PUSH_MAXH2CDATA_OFFSET = 4;
    public static final int PUSH_C2H_CONSUMED_OFFSET = 8;
    public static final int PUSH_H2C_SENT_OFFSET = 16;
    public static final int PUSH_QID_OFFSET = 24;
    public static final int PUSH_QSIZE_OFFSET = 26;
    /** Bytes of a ULP_PUSH body. */
    public static final int PUSH_LENGTH = 28;

    /** ULP_RESULT state: the proxy delineates the stream from the result's offset on. */
    public static final int RESULT_IN_SYNC = 0;
    /** ULP_RESULT state: bytes past the app's position were already forwarded; the proxy searches (resync). */
    public static final int RESULT_SEARCHING = 1;
    public static final int RESULT_ERRNO_OFFSET = 0;
    public static final int RESULT_STATE_OFFSET = 4;
    public static final int RESULT_STREAM_OFFSET = 8;
    /** Bytes of a ULP_RESULT body. */
    public static final int RESULT_LENGTH = 16;

    public static final int SETUP_CID_OFFSET = 0;
    public static final int SETUP_BUFFER_LENGTH_OFFSET = 4;
    /** Bytes of a DDP_SETUP body. */
    public static final int SETUP_LENGTH = 8;

    /** DDP_TEARDOWN reason: the app cancels its registration. */
    public static final int TEARDOWN_APP_CANCEL = 0;
    /** DDP_TEARDOWN reason: the proxy refused the registration (table full, CID in use, bad length). */
    public static final int TEARDOWN_REFUSED = 1;
    /** DDP_TEARDOWN reason: a stream error ended it. */
    public static final int TEARDOWN_STREAM_ERROR = 2;
    public static final int TEARDOWN_CID_OFFSET = 0;
    public static final int TEARDOWN_REASON_OFFSET = 2;
    /** Bytes of a DDP_TEARDOWN body. */
    public static final int TEARDOWN_LENGTH = 4;

    /** DDP_PLACE flag: the last piece of its PDU's data. */
    public static final int PLACE_LAST = 1;
    /** DDP_PLACE flag (on the last piece): the PDU's data digest did not match. */
    public static final int PLACE_DIGEST_ERROR = 2;
    /** DDP_PLACE flag (on the last piece): the C2HData carried SUCCESS, the command is complete. */
    public static final int PLACE_SUCCESS = 4;
    /** DDP_PLACE flag: the CID had no usable registration; the app copies the bytes itself. */
    public static final int PLACE_UNREGISTERED = 8;
    public static final int PLACE_CID_OFFSET = 0;
    public static final int PLACE_FLAGS_OFFSET = 2;
    public static final int PLACE_DATA_OFFSET_OFFSET = 4;
    /** Bytes of a DDP_PLACE body before its data. */
    public static final int PLACE_HEADER_LENGTH = 8;

    public static final int PDU_HEADER_STATUS_OFFSET = 0;
    /** Offset of the NVMe/TCP header (CH + PSH) in a PDU_HEADER body. */
    public static final int PDU_HEADER_PDU_OFFSET = 4;

    public static final int RESYNC_OFFSET_OFFSET = 0;
    public static final int RESYNC_CONFIRMED_OFFSET = 8;
    /** Bytes of a RESYNC_REQUEST body. */
    public static final int RESYNC_REQUEST_LENGTH = 8;
    /** Bytes of a RESYNC_RESPONSE body. */
    public static final int RESYNC_RESPONSE_LENGTH = 9;

    private UlpMessages()
    {
    }
}
