/**
 * The NVMe/TCP host (initiator): {@link io.xts.nvme.host.NvmeController} brings a controller up over one TCP
 * connection per queue and {@link io.xts.nvme.host.NvmeQueue} reads and writes blocks with up to 128 commands in
 * flight, completed by {@link io.xts.nvme.host.CompletionHandler}, future or polling. The software transport frames
 * PDUs and computes CRC32C digests in this JVM with the {@link io.xts.nvme} codecs over kernel TCP; the offload
 * transport goes through the XTS proxy on an {@link io.xts.sockets.XtsSocket}, which frames PDUs, checks digests and
 * has read data placed (its receive path is {@code OffloadReceiver}). The API is the same for both. Reads come in two
 * kinds: into the caller's buffer (one copy on this host), or as scatter reads completing with a
 * {@link io.xts.nvme.host.ScatterList} of the memory the data arrived in (with the offload transport, the link frames:
 * no copy), which the caller releases.
 */
package io.xts.nvme.host;
