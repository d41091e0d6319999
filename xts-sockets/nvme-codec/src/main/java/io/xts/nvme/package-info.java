/**
 * Codecs of the NVMe/TCP transport ({@code /work/shared/NVME-TCP-FACTS.md}, summary in {@code docs/PROTOCOL.md}):
 * {@link io.xts.nvme.NvmeTcp} for the numbers, flyweights over {@link java.lang.foreign.MemorySegment} for every PDU
 * type and for the SQE, CQE, Connect data and Identify structures, {@link io.xts.nvme.Crc32c} for header and data
 * digests, and {@link io.xts.nvme.PduParser}, which delineates a PDU stream fed in chunks of any split and checks
 * each header, streaming DATA to a {@link io.xts.nvme.PduHandler} without buffering it. Everything is little endian,
 * encodes and decodes in place and allocates nothing per PDU.
 */
package io.xts.nvme;
