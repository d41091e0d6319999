// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xts_steer: the XTS-J XDP steering program.
 *
 * Frames with EtherType 0x88B5 (the XTS link protocol) are redirected to the
 * AF_XDP socket registered for the receiving queue in xsks_map; if no socket
 * is registered there, the frame falls back to XDP_PASS. Every other frame
 * (ARP, IPv4, IPv6, ...) is passed to the kernel stack unchanged, so ordinary
 * traffic such as ping keeps working while the program is attached.
 *
 * Built twice by build.sh: section "xdp" (single buffer) and, with
 * -DXTS_FRAGS, section "xdp.frags" (multi-buffer aware, for AF_XDP XDP_USE_SG
 * and MTUs larger than one page). Only the Ethernet header is read, which is
 * always in the first (linear) buffer, so the same code serves both. XTS
 * frames from a source other than the queue's learned peer are dropped and
 * counted (xts_peer.h).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xts_peer.h"

#define XTS_ETH_P 0x88B5

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

#ifdef XTS_FRAGS
SEC("xdp.frags")
#else
SEC("xdp")
#endif
int xts_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(XTS_ETH_P))
		return XDP_PASS;
	if (xts_foreign_source(eth, ctx->rx_queue_index))
		return XDP_DROP;
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
