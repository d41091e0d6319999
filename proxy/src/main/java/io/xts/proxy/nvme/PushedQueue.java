package io.xts.proxy.nvme;

import io.xts.protocol.UlpPushFlyweight;

/**
 * One NVMe/TCP queue as the app's ULP_PUSH describes it: what ICReq/ICResp negotiated (digests, each side's data
 * alignment, MAXH2CDATA), the queue size, and where each stream stood when the app handed the framing over. The
 * settings the proxy's offload of that queue works with, in place of a long list of positional arguments.
 *
 * @param headerDigest whether header digests are on.
 * @param dataDigest   whether data digests are on.
 * @param cpda         the controller's alignment code, for data the host sends.
 * @param hpda         the host's alignment code, for data the controller sends.
 * @param maxH2cData   MAXH2CDATA: most DATA bytes one H2CData may carry.
 * @param qsize        the queue size: registrations are capped by it.
 * @param c2hConsumed  bytes of the controller-to-host stream the app has consumed (a PDU boundary).
 * @param h2cSent      bytes of the host-to-controller stream the app has sent (a PDU boundary).
 */
public record PushedQueue(
    boolean headerDigest, boolean dataDigest, int cpda, int hpda, long maxH2cData, int qsize, long c2hConsumed,
    long h2cSent)
{
    /**
     * @param push a complete ULP_PUSH body.
     * @return its queue.
     */
    public static PushedQueue of(final UlpPushFlyweight push)
    {
        return new PushedQueue(push.headerDigest(), push.dataDigest(), push.cpda(), push.hpda(), push.maxH2cData(),
            push.qsize(), push.c2hConsumed(), push.h2cSent());
    }
}
