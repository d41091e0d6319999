/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * xts_peer.h: the peer filter shared by the XTS-J XDP programs.
 *
 * Once a link has learned its peer at the handshake, its endpoint writes the
 * peer's MAC into xts_peer[queue] (the six bytes as a big-endian number in
 * the low 48 bits; 0 while no peer is learned). An XTS frame on that queue from
 * any other source MAC is dropped here, before it costs the link anything,
 * and counted in xts_foreign[queue]. Frames of other EtherTypes are not
 * affected.
 */
#ifndef XTS_PEER_H
#define XTS_PEER_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#define XTS_MAX_QUEUES 64

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XTS_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u64);
} xts_peer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XTS_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u64);
} xts_foreign SEC(".maps");

/* 1 when the frame comes from someone other than the queue's learned peer (and was counted). */
static __always_inline int xts_foreign_source(const struct ethhdr *eth, __u32 queue)
{
	const __u8 *s = eth->h_source;
	__u64 *peer = bpf_map_lookup_elem(&xts_peer, &queue);
	__u64 *count;
	__u64 src;

	if (!peer || !*peer)
		return 0;
	src = ((__u64)s[0] << 40) | ((__u64)s[1] << 32) | ((__u64)s[2] << 24) |
	      ((__u64)s[3] << 16) | ((__u64)s[4] << 8) | (__u64)s[5];
	if (src == *peer)
		return 0;
	count = bpf_map_lookup_elem(&xts_foreign, &queue);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 1;
}

#endif
