// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xts_lossy: the steering program with loss injection, for tests only.
 *
 * The testbed has no netem, so loss on the XTS link is injected here: a frame
 * of EtherType 0x88B5 is dropped with the probability configured in
 * xts_loss_cfg[0] (parts per million, 0 = never, 1000000 = always); a frame
 * that survives is redirected to the AF_XDP socket registered for the
 * receiving queue in xsks_map, exactly as xts_steer does. Every other frame
 * (ARP, IPv4, IPv6, ...) is passed to the kernel stack untouched and is
 * neither dropped nor counted.
 *
 * xts_loss_stats[0] counts 0x88B5 frames dropped, xts_loss_stats[1] those
 * passed on. A plain array with atomic adds, so user space reads one u64 per
 * counter; the cost of the atomic is irrelevant at test rates.
 *
 * Built by build.sh into xts_lossy.o, section "xdp" (single buffer).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xts_peer.h"

#define XTS_ETH_P 0x88B5
#define XTS_PPM 1000000U
#define XTS_STAT_DROPPED 0
#define XTS_STAT_PASSED 1

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xts_loss_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} xts_loss_stats SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *counter = bpf_map_lookup_elem(&xts_loss_stats, &index);

	if (counter)
		__sync_fetch_and_add(counter, 1);
}

SEC("xdp")
int xts_lossy(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 key = 0;
	__u32 *ppm;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(XTS_ETH_P))
		return XDP_PASS;
	if (xts_foreign_source(eth, ctx->rx_queue_index))
		return XDP_DROP;
	ppm = bpf_map_lookup_elem(&xts_loss_cfg, &key);
	if (ppm && *ppm && bpf_get_prandom_u32() % XTS_PPM < *ppm) {
		count(XTS_STAT_DROPPED);
		return XDP_DROP;
	}
	count(XTS_STAT_PASSED);
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
