// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xsk-bench-c: the C reference AF_XDP benchmark of XTS-J.
 *
 * A plain libxdp program (copy mode, need_wakeup, libxdp's inline ring helpers from
 * <xdp/xsk.h>) that the Java AF_XDP driver is measured against.
 *
 *   xsk-bench-c rx --iface IF [--prog xts_steer.o] ...   attach the steering program, count frames
 *   xsk-bench-c tx --iface IF ...                         send EtherType 0x88B5 frames for --duration s
 *
 * Frames carry a big-endian u64 sequence number at byte offset 14 (right after the Ethernet
 * header), starting at 0. Both roles print one summary line "xsk-bench role=... impl=c ..." at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <endian.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

/* Older uapi headers (Debian 12 ships 6.1) lack the multi-buffer bits; the values are ABI. */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define XTS_ETHERTYPE 0x88B5
#define ETH_HLEN_ 14
#define SEQ_OFF 14

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct opts {
	bool rx;
	const char *iface;
	unsigned queue;
	const char *prog;
	bool skb_mode;
	unsigned size;
	bool size_given;
	double duration;
	unsigned batch;
	unsigned ring;
	unsigned frame_size;
	unsigned frames;
	bool sg;
	unsigned idle_timeout_ms;
	uint8_t dst_mac[6];
	double max_wait;
	bool max_wait_given;
};

struct bench {
	struct opts o;
	int ifindex;
	void *area;
	size_t area_len;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xdp_program *prog;
	bool prog_attached;
	enum xdp_attach_mode mode;

	uint64_t packets;
	uint64_t bytes;
	uint64_t seq_errors;
	uint64_t kicks;
	double seconds;

	/* Diagnostics, printed to stderr only when XSK_BENCH_DEBUG is set in the environment. */
	bool debug;
	uint64_t loops, reserve_fails, no_free, kick_errs;
	double kick_seconds;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xsk-bench-c rx|tx --iface IF [--queue 0] [--prog PATH.o] [--attach native|skb]\n"
		"       [--size BYTES] [--duration SECONDS] [--batch 64] [--ring 8192] [--frame-size 4096]\n"
		"       [--frames 16384] [--sg] [--idle-timeout-ms 1000] [--dst-mac aa:bb:cc:dd:ee:ff]\n"
		"       [--max-wait S]\n");
}

static void die_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "xsk-bench-c: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	usage(stderr);
	exit(1);
}

static unsigned parse_uint(const char *name, const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v > UINT32_MAX)
		die_usage("bad number for", name);
	return (unsigned)v;
}

static double parse_double(const char *name, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *s == '\0' || *end != '\0' || v < 0)
		die_usage("bad number for", name);
	return v;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_IFACE = 256, O_QUEUE, O_PROG, O_ATTACH, O_SIZE, O_DURATION, O_BATCH, O_RING,
	       O_FRAME_SIZE, O_FRAMES, O_SG, O_IDLE, O_DST_MAC, O_MAX_WAIT, O_HELP };
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, O_IFACE },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "prog", required_argument, NULL, O_PROG },
		{ "attach", required_argument, NULL, O_ATTACH },
		{ "size", required_argument, NULL, O_SIZE },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "ring", required_argument, NULL, O_RING },
		{ "frame-size", required_argument, NULL, O_FRAME_SIZE },
		{ "frames", required_argument, NULL, O_FRAMES },
		{ "sg", no_argument, NULL, O_SG },
		{ "idle-timeout-ms", required_argument, NULL, O_IDLE },
		{ "dst-mac", required_argument, NULL, O_DST_MAC },
		{ "max-wait", required_argument, NULL, O_MAX_WAIT },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};

	memset(o, 0, sizeof(*o));
	o->size = 64;
	o->duration = 5;
	o->batch = 64;
	o->ring = 8192;
	o->frame_size = 4096;
	o->frames = 16384;
	o->idle_timeout_ms = 1000;
	memset(o->dst_mac, 0xff, sizeof(o->dst_mac));

	if (argc < 2)
		die_usage("missing role (rx or tx)", NULL);
	if (strcmp(argv[1], "rx") == 0)
		o->rx = true;
	else if (strcmp(argv[1], "tx") == 0)
		o->rx = false;
	else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		exit(0);
	} else
		die_usage("role must be rx or tx, got", argv[1]);

	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_IFACE: o->iface = optarg; break;
		case O_QUEUE: o->queue = parse_uint("--queue", optarg); break;
		case O_PROG: o->prog = optarg; break;
		case O_ATTACH:
			if (strcmp(optarg, "native") == 0)
				o->skb_mode = false;
			else if (strcmp(optarg, "skb") == 0)
				o->skb_mode = true;
			else
				die_usage("--attach must be native or skb, got", optarg);
			break;
		case O_SIZE: o->size = parse_uint("--size", optarg); o->size_given = true; break;
		case O_DURATION: o->duration = parse_double("--duration", optarg); break;
		case O_BATCH: o->batch = parse_uint("--batch", optarg); break;
		case O_RING: o->ring = parse_uint("--ring", optarg); break;
		case O_FRAME_SIZE: o->frame_size = parse_uint("--frame-size", optarg); break;
		case O_FRAMES: o->frames = parse_uint("--frames", optarg); break;
		case O_SG: o->sg = true; break;
		case O_IDLE: o->idle_timeout_ms = parse_uint("--idle-timeout-ms", optarg); break;
		case O_DST_MAC:
			if (!parse_mac(optarg, o->dst_mac))
				die_usage("bad --dst-mac", optarg);
			break;
		case O_MAX_WAIT:
			o->max_wait = parse_double("--max-wait", optarg);
			o->max_wait_given = true;
			break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument", argv[optind]);
	if (!o->iface)
		die_usage("--iface is required", NULL);
	if (!o->max_wait_given)
		o->max_wait = o->duration + 20;
	if (o->rx && !o->prog)
		die_usage("rx needs --prog PATH.o (the steering program)", NULL);
	if (o->batch == 0 || o->ring == 0 || o->frames == 0 || o->frame_size == 0)
		die_usage("--batch, --ring, --frames and --frame-size must be > 0", NULL);
	if ((o->ring & (o->ring - 1)) != 0)
		die_usage("--ring must be a power of two", NULL);
	if (!o->rx) {
		if (o->size < 60)
			die_usage("--size must be >= 60 (the L2 frame without FCS)", NULL);
		if (o->size > o->frame_size && !o->sg)
			die_usage("--size larger than --frame-size needs --sg", NULL);
	}
}

/* Prints "xsk-bench-c: CALL on IFACE: ERRNO TEXT" and returns 1. err is a positive errno. */
static int fail(const struct bench *b, const char *call, int err)
{
	fprintf(stderr, "xsk-bench-c: %s on %s: %s\n", call, b->o.iface, strerror(err));
	return 1;
}

static int setup_umem_and_socket(struct bench *b)
{
	const struct opts *o = &b->o;
	struct xsk_umem_config ucfg = {
		.fill_size = o->ring,
		.comp_size = o->ring,
		.frame_size = o->frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = o->ring,
		.tx_size = o->ring,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP | (o->sg ? XDP_USE_SG : 0),
	};
	int ret = 0;

	/* The queue's previous socket may still be tearing down (asynchronous): retry EBUSY. */
	for (int attempt = 0; attempt < 8; attempt++) {
		if (attempt > 0)
			usleep(10000u << (attempt - 1)); /* 10, 20, 40 ... 640 ms */
		ret = xsk_umem__create(&b->umem, b->area, b->area_len, &b->fq, &b->cq, &ucfg);
		if (ret) {
			b->umem = NULL;
			return fail(b, "xsk_umem__create", -ret);
		}
		ret = xsk_socket__create(&b->xsk, o->iface, o->queue, b->umem,
					 o->rx ? &b->rx : NULL, o->rx ? NULL : &b->tx, &scfg);
		if (ret == 0)
			return 0;
		b->xsk = NULL;
		xsk_umem__delete(b->umem);
		b->umem = NULL;
		if (ret != -EBUSY)
			break;
		fprintf(stderr, "xsk-bench-c: xsk_socket__create on %s: EBUSY, retrying\n", o->iface);
	}
	return fail(b, "xsk_socket__create", -ret);
}

static void get_stats(struct bench *b, struct xdp_statistics *st)
{
	memset(st, 0, sizeof(*st));
	if (!b->xsk)
		return;
	socklen_t len = sizeof(*st);
	if (getsockopt(xsk_socket__fd(b->xsk), SOL_XDP, XDP_STATISTICS, st, &len) != 0)
		fprintf(stderr, "xsk-bench-c: getsockopt(XDP_STATISTICS) on %s: %s\n", b->o.iface,
			strerror(errno));
}

static void print_summary(struct bench *b)
{
	struct xdp_statistics st;
	get_stats(b, &st);
	uint64_t size = b->o.size;
	double bits;
	if (b->o.rx && !b->o.size_given) {
		/* rx without --size: report the mean received packet size and the bytes seen. */
		size = b->packets ? b->bytes / b->packets : 0;
		bits = (double)b->bytes * 8.0;
	} else {
		bits = (double)b->packets * (double)size * 8.0;
	}
	double mpps = b->seconds > 0 ? (double)b->packets / b->seconds / 1e6 : 0;
	double gbps = b->seconds > 0 ? bits / b->seconds / 1e9 : 0;
	printf("xsk-bench role=%s impl=c size=%llu frames=%llu seconds=%.6g mpps=%.6g gbps=%.6g "
	       "seq_errors=%llu rx_dropped=%llu rx_invalid_descs=%llu tx_invalid_descs=%llu "
	       "rx_ring_full=%llu rx_fill_ring_empty_descs=%llu tx_ring_empty_descs=%llu kicks=%llu\n",
	       b->o.rx ? "rx" : "tx", (unsigned long long)size, (unsigned long long)b->packets,
	       b->seconds, mpps, gbps, (unsigned long long)b->seq_errors,
	       (unsigned long long)st.rx_dropped, (unsigned long long)st.rx_invalid_descs,
	       (unsigned long long)st.tx_invalid_descs, (unsigned long long)st.rx_ring_full,
	       (unsigned long long)st.rx_fill_ring_empty_descs,
	       (unsigned long long)st.tx_ring_empty_descs, (unsigned long long)b->kicks);
	fflush(stdout);
}

/* ---------------------------------------------------------------- rx */

static int attach_prog(struct bench *b)
{
	const struct opts *o = &b->o;
	const char *section = o->sg ? "xdp.frags" : "xdp";
	b->prog = xdp_program__open_file(o->prog, section, NULL);
	long err = libxdp_get_error(b->prog);
	if (err) {
		b->prog = NULL;
		fprintf(stderr, "xsk-bench-c: xdp_program__open_file(%s, %s) for %s: %s\n", o->prog,
			section, o->iface, strerror((int)-err));
		return 1;
	}
	b->mode = o->skb_mode ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	int ret = xdp_program__attach(b->prog, b->ifindex, b->mode, 0);
	if (ret)
		return fail(b, o->skb_mode ? "xdp_program__attach(skb)" : "xdp_program__attach(native)",
			    -ret);
	b->prog_attached = true;
	return 0;
}

static int run_rx(struct bench *b)
{
	const struct opts *o = &b->o;
	int ret = attach_prog(b);
	if (ret)
		return ret;
	int map_fd = bpf_object__find_map_fd_by_name(xdp_program__bpf_obj(b->prog), "xsks_map");
	if (map_fd < 0)
		return fail(b, "bpf_object__find_map_fd_by_name(xsks_map)", map_fd == -1 ? ENOENT : -map_fd);
	ret = setup_umem_and_socket(b);
	if (ret)
		return ret;
	ret = xsk_socket__update_xskmap(b->xsk, map_fd);
	if (ret)
		return fail(b, "xsk_socket__update_xskmap", -ret);

	/* Fill the fill ring completely. */
	unsigned nfill = o->ring < o->frames ? o->ring : o->frames;
	uint32_t idx;
	if (xsk_ring_prod__reserve(&b->fq, nfill, &idx) != nfill)
		return fail(b, "xsk_ring_prod__reserve(fill)", ENOSPC);
	for (unsigned i = 0; i < nfill; i++)
		*xsk_ring_prod__fill_addr(&b->fq, idx + i) = (uint64_t)i * o->frame_size;
	xsk_ring_prod__submit(&b->fq, nfill);

	printf("ready\n");
	fflush(stdout);

	const int fd = xsk_socket__fd(b->xsk);
	const uint64_t fmask = ~(uint64_t)(o->frame_size - 1);
	const bool pow2 = (o->frame_size & (o->frame_size - 1)) == 0;
	const double idle = o->idle_timeout_ms / 1000.0;
	const double t_begin = now_s();
	double t_first = 0, t_last = 0;
	bool got_any = false, in_packet = false;
	uint64_t expected = 0, pkt_bytes = 0;

	while (!stop_flag) {
		uint32_t rx_idx;
		unsigned n = xsk_ring_cons__peek(&b->rx, o->batch, &rx_idx);
		if (n == 0) {
			if (xsk_ring_prod__needs_wakeup(&b->fq)) {
				recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
				b->kicks++;
			}
			double t = now_s();
			if (got_any && t - t_last >= idle)
				break;
			if (t - t_begin >= o->max_wait)
				break;
			continue;
		}
		double t = now_s();
		if (!got_any) {
			got_any = true;
			t_first = t;
		}
		t_last = t;

		uint32_t fq_idx = 0;
		while (xsk_ring_prod__reserve(&b->fq, n, &fq_idx) != n) {
			/* Cannot happen with a fill ring of >= RX-ring size, but stay safe. */
			if (xsk_ring_prod__needs_wakeup(&b->fq)) {
				recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
				b->kicks++;
			}
			if (stop_flag)
				break;
		}
		if (stop_flag)
			break;

		for (unsigned i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&b->rx, rx_idx + i);
			if (!in_packet) {
				pkt_bytes = 0;
				if (d->len >= SEQ_OFF + 8) {
					uint64_t be;
					memcpy(&be, (uint8_t *)xsk_umem__get_data(b->area, d->addr) + SEQ_OFF,
					       sizeof(be));
					uint64_t seq = be64toh(be);
					if (seq != expected)
						b->seq_errors++;
					expected = seq + 1;
				} else {
					b->seq_errors++;
					expected++;
				}
			}
			pkt_bytes += d->len;
			if (d->options & XDP_PKT_CONTD) {
				in_packet = true;
			} else {
				in_packet = false;
				b->packets++;
				b->bytes += pkt_bytes;
			}
			uint64_t base = pow2 ? (d->addr & fmask) : d->addr - d->addr % o->frame_size;
			*xsk_ring_prod__fill_addr(&b->fq, fq_idx + i) = base;
		}
		xsk_ring_cons__release(&b->rx, n);
		xsk_ring_prod__submit(&b->fq, n);
	}
	b->seconds = got_any ? t_last - t_first : 0;
	return 0;
}

/* ---------------------------------------------------------------- tx */

static int read_own_mac(struct bench *b, uint8_t mac[6])
{
	char path[128], buf[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", b->o.iface);
	FILE *f = fopen(path, "r");
	if (!f)
		return fail(b, "fopen(/sys/class/net/IF/address)", errno);
	bool ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (ok) {
		buf[strcspn(buf, "\n")] = '\0';
		ok = parse_mac(buf, mac);
	}
	if (!ok)
		return fail(b, "parse /sys/class/net/IF/address", EINVAL);
	return 0;
}

/* Returns false on a real error (errno set); EAGAIN/EBUSY/ENOBUFS count as normal. */
static bool tx_kick(struct bench *b, int fd)
{
	b->kicks++;
	double t0 = b->debug ? now_s() : 0;
	ssize_t r = sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	int err = errno;
	if (b->debug)
		b->kick_seconds += now_s() - t0;
	if (r >= 0)
		return true;
	b->kick_errs++;
	errno = err;
	return err == EAGAIN || err == EBUSY || err == ENOBUFS || err == EINTR;
}

static int run_tx(struct bench *b)
{
	const struct opts *o = &b->o;
	uint8_t src_mac[6];
	int ret = read_own_mac(b, src_mac);
	if (ret)
		return ret;
	ret = setup_umem_and_socket(b);
	if (ret)
		return ret;

	/* A slot holds one packet: nfrags consecutive frames (1 unless --sg splits the packet). */
	const unsigned nfrags = (o->size + o->frame_size - 1) / o->frame_size;
	const uint64_t slot_bytes = (uint64_t)nfrags * o->frame_size;
	const unsigned nslots = o->frames / nfrags;
	if (nslots == 0)
		return fail(b, "slot layout (--frames too small for --size)", EINVAL);

	/* Pre-build every packet once: Ethernet header, then a fixed payload pattern. */
	for (unsigned s = 0; s < nslots; s++) {
		uint8_t *p = (uint8_t *)b->area + s * slot_bytes;
		memcpy(p, o->dst_mac, 6);
		memcpy(p + 6, src_mac, 6);
		p[12] = XTS_ETHERTYPE >> 8;
		p[13] = XTS_ETHERTYPE & 0xff;
		for (unsigned i = ETH_HLEN_; i < o->size; i++)
			p[i] = (uint8_t)(i * 7 + 1);
	}

	uint64_t *free_slots = malloc(sizeof(uint64_t) * nslots);
	if (!free_slots)
		return fail(b, "malloc", ENOMEM);
	unsigned nfree = 0;
	for (unsigned s = nslots; s-- > 0;)
		free_slots[nfree++] = s * slot_bytes;

	const int fd = xsk_socket__fd(b->xsk);
	unsigned pkts_per_batch = o->batch / nfrags;
	if (pkts_per_batch == 0)
		pkts_per_batch = 1;
	uint64_t seq = 0, out_descs = 0, completed_descs = 0;
	const double t_start = now_s();
	const double t_end = t_start + o->duration;
	double t_last_comp = t_start;
	int rc = 0;

	for (;;) {
		/* Reclaim completions. */
		uint32_t cidx;
		unsigned nc = xsk_ring_cons__peek(&b->cq, o->ring, &cidx);
		if (nc) {
			for (unsigned i = 0; i < nc; i++) {
				uint64_t addr = *xsk_ring_cons__comp_addr(&b->cq, cidx + i);
				if (addr % slot_bytes == 0)
					free_slots[nfree++] = addr;
			}
			xsk_ring_cons__release(&b->cq, nc);
			out_descs -= nc;
			completed_descs += nc;
		}
		double t = now_s();
		if (nc)
			t_last_comp = t;
		if (t >= t_end || stop_flag)
			break;

		b->loops++;
		unsigned npk = nfree < pkts_per_batch ? nfree : pkts_per_batch;
		uint32_t tidx;
		if (npk == 0)
			b->no_free++;
		if (npk == 0 || xsk_ring_prod__reserve(&b->tx, npk * nfrags, &tidx) != npk * nfrags) {
			if (npk)
				b->reserve_fails++;
			if (!tx_kick(b, fd)) {
				rc = fail(b, "sendto(kick)", errno);
				goto out;
			}
			continue;
		}
		for (unsigned k = 0; k < npk; k++) {
			uint64_t addr = free_slots[--nfree];
			uint64_t be = htobe64(seq++);
			memcpy((uint8_t *)b->area + addr + SEQ_OFF, &be, sizeof(be));
			unsigned left = o->size;
			for (unsigned f = 0; f < nfrags; f++) {
				struct xdp_desc *d = xsk_ring_prod__tx_desc(&b->tx, tidx++);
				unsigned len = left > o->frame_size ? o->frame_size : left;
				d->addr = addr + (uint64_t)f * o->frame_size;
				d->len = len;
				d->options = f + 1 < nfrags ? XDP_PKT_CONTD : 0;
				left -= len;
			}
		}
		xsk_ring_prod__submit(&b->tx, npk * nfrags);
		out_descs += (uint64_t)npk * nfrags;
		if (xsk_ring_prod__needs_wakeup(&b->tx) && !tx_kick(b, fd)) {
			rc = fail(b, "sendto(kick)", errno);
			goto out;
		}
	}

	/* Drain: kick until every submitted descriptor has completed (at most 2 s). */
	const double t_drain_end = now_s() + 2.0;
	while (out_descs > 0 && now_s() < t_drain_end && !stop_flag) {
		if (!tx_kick(b, fd)) {
			rc = fail(b, "sendto(kick)", errno);
			goto out;
		}
		uint32_t cidx;
		unsigned nc = xsk_ring_cons__peek(&b->cq, o->ring, &cidx);
		if (nc) {
			xsk_ring_cons__release(&b->cq, nc);
			out_descs -= nc;
			completed_descs += nc;
			t_last_comp = now_s();
		}
	}
	if (out_descs > 0)
		fprintf(stderr, "xsk-bench-c: tx on %s: %llu descriptors not completed after drain\n",
			o->iface, (unsigned long long)out_descs);
out:
	b->packets = completed_descs / nfrags;
	b->seconds = t_last_comp - t_start;
	free(free_slots);
	return rc;
}

/* ---------------------------------------------------------------- main */

static void cleanup(struct bench *b)
{
	if (b->xsk)
		xsk_socket__delete(b->xsk);
	b->xsk = NULL;
	if (b->umem)
		xsk_umem__delete(b->umem);
	b->umem = NULL;
	if (b->prog_attached) {
		int ret = xdp_program__detach(b->prog, b->ifindex, b->mode, 0);
		if (ret)
			fail(b, "xdp_program__detach", -ret);
		b->prog_attached = false;
	}
	if (b->prog)
		xdp_program__close(b->prog);
	b->prog = NULL;
	if (b->area)
		munmap(b->area, b->area_len);
	b->area = NULL;
}

int main(int argc, char **argv)
{
	static struct bench b;
	parse_opts(argc, argv, &b.o);
	b.debug = getenv("XSK_BENCH_DEBUG") != NULL;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	b.ifindex = (int)if_nametoindex(b.o.iface);
	if (b.ifindex == 0)
		return fail(&b, "if_nametoindex", errno);

	b.area_len = (size_t)b.o.frames * b.o.frame_size;
	b.area = mmap(NULL, b.area_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b.area == MAP_FAILED) {
		b.area = NULL;
		return fail(&b, "mmap(umem)", errno);
	}

	int rc = b.o.rx ? run_rx(&b) : run_tx(&b);
	/* Statistics need the socket: print the summary before tearing it down. */
	if (rc == 0 || b.packets > 0)
		print_summary(&b);
	if (b.debug && !b.o.rx)
		fprintf(stderr, "xsk-bench-c debug: loops=%llu no_free=%llu reserve_fails=%llu "
			"kick_errs=%llu kick_seconds=%.6g\n", (unsigned long long)b.loops,
			(unsigned long long)b.no_free, (unsigned long long)b.reserve_fails,
			(unsigned long long)b.kick_errs, b.kick_seconds);
	cleanup(&b);
	return rc;
}
