/**
 * An example of the NVMe/TCP host library: connect, write, read back and compare, through the proxy's offload or over
 * kernel TCP.
 */
package io.xts.examples.nvme;
