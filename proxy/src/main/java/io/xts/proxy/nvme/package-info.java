/**
 * The proxy's NVMe/TCP offload engine (docs/PROTOCOL.md "NVMe/TCP offload messages"): once an app pushes the ULP onto
 * a socket ({@link io.xts.proxy.nvme.NvmeOffloadControl}, which also handles registrations and resync answers), an
 * {@link io.xts.proxy.nvme.NvmeQueueOffload} delineates the controller's PDUs, checks their digests and places C2HData
 * directly (PDU_HEADER and DDP_PLACE messages), searches for a header when out of sync
 * ({@link io.xts.proxy.nvme.C2HHeaderCheck}), and fills in the digests of the app's PDUs on their way to TCP
 * ({@link io.xts.proxy.nvme.H2CDigestWriter}). Every header is checked by the codec's {@link io.xts.nvme.PduRules}. The
 * engine sees the rest of the proxy only through two narrow interfaces: {@link io.xts.proxy.nvme.OffloadPort} (the
 * link session: room on the link, its memory, the counters) and {@link io.xts.proxy.nvme.OffloadSocket} (the TCP
 * connection that carries the queue).
 */
package io.xts.proxy.nvme;
