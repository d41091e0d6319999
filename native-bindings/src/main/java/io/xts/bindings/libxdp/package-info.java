/**
 * Downcalls into libxdp (program attach and detach, xsk_umem and xsk_socket set-up) and the ring and configuration
 * structs of xdp/xsk.h, as jextract lays them out. The inline ring helpers of xsk.h are not bindable; io.xts.xsk
 * implements them in Java over these layouts.
 */
package io.xts.bindings.libxdp;
