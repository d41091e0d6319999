/**
 * Downcalls into the few libc functions the driver needs (poll, sendto, recvfrom, getsockopt, setns, open, close,
 * if_nametoindex, errno and strerror) and the pollfd layout, as jextract lays them out.
 */
package io.xts.bindings.libc;
