/**
 * xts xsk-bench: the Java AF_XDP driver's raw send and receive benchmark, the counterpart of the C reference
 * benchmark built beside it.
 */
package io.xts.tools.xsk;
