/**
 * NVMe/TCP codecs: PDU and command flyweights, the PDU rules, the stream parser and CRC32C digests. Needs nothing
 * but the JDK, so that both the proxy and the host library build on it without the link or the sockets.
 */
module io.xts.nvme
{
    exports io.xts.nvme;
}
