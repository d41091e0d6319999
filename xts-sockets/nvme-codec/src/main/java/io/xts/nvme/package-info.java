/**
 * Codecs of the NVMe/TCP transport (summarised in {@code docs/PROTOCOL.md}): {@link io.xts.nvme.NvmeTcp} for the
 * numbers, flyweights over {@link java.lang.foreign.MemorySegment} for every PDU type and for the SQE, CQE, Connect
 * data and Identify structures, {@link io.xts.nvme.Crc32c} for header and data digests, {@link io.xts.nvme.PduRules},
 * the one statement of the rules a PDU header must follow (used by the parser here and by the proxy's transmit
 * digest writer and resync search), and {@link io.xts.nvme.PduParser}, which delineates a PDU stream fed in chunks of
 * any split and checks each header, streaming DATA to a {@link io.xts.nvme.PduHandler} without buffering it.
 * Everything is little endian, encodes and decodes in place and allocates nothing per PDU.
 */
package io.xts.nvme;
