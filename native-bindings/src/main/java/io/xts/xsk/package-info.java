/**
 * The Java AF_XDP driver: a UMEM over native memory, the fill, completion, RX and TX rings as flyweights with the
 * kernel's acquire/release ordering, the XDP socket with its wakeups and statistics, and the XDP steering program
 * (plus the loss-injecting variant tests ask for). It knows frames and rings, nothing of the XTS protocol.
 */
package io.xts.xsk;
