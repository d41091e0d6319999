/**
 * The NVMe/TCP host (initiator): {@link io.xts.nvme.host.NvmeController} brings a controller up over one TCP
 * connection per queue and {@link io.xts.nvme.host.NvmeQueue} reads and writes blocks with up to 128 commands in
 * flight, completed by {@link io.xts.nvme.host.CompletionHandler}, future or polling. The software transport frames
 * PDUs and computes CRC32C digests in this JVM with the {@link io.xts.nvme} codecs; the API is transport neutral so an
 * offload transport through the XTS proxy can implement it later.
 */
package io.xts.nvme.host;
