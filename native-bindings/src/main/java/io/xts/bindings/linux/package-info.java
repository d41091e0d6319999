/**
 * Constants and struct layouts of the Linux UAPI header linux/if_xdp.h (xdp_desc, xdp_options, xdp_statistics, the
 * XDP socket options and bind flags) and the interface constants the driver needs.
 */
package io.xts.bindings.linux;
