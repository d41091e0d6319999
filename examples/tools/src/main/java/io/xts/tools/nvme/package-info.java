/**
 * NVMe/TCP tools: a small NVMe/TCP controller over kernel TCP (null and RAM backends, fault injection) for tests
 * and benchmarks, and nvme-bench, a fio-like load generator over the host library in offload or software mode.
 */
package io.xts.tools.nvme;
