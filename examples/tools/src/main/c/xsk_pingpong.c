// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xsk-pingpong-c: the raw AF_XDP round-trip floor of XTS-J (scripts/bench-rtt, case c).
 *
 * Two plain libxdp programs, one per side of a veth pair, each attaching the XTS steering program and binding one
 * AF_XDP socket (copy mode, need_wakeup) with both RX and TX rings:
 *
 *   xsk-pingpong-c pong --iface IF --prog xts_steer.o            echo every EtherType 0x88B5 frame back
 *   xsk-pingpong-c ping --iface IF --prog xts_steer.o [--size 64] [--warmup S] [--duration S]
 *
 * ping sends one frame, spins on its RX ring until the echo of that frame is back (closed loop, one in flight),
 * and repeats; round trips of the measured window (after --warmup) are kept exactly and sorted at the end. Both
 * sides busy-poll: they spin on the RX ring without syscalls and make one only when need_wakeup asks for it (the
 * TX kick, an RX wakeup), and they ask for busy polling on the socket as XTS's latency mode does (SO_BUSY_POLL 20 us,
 * SO_BUSY_POLL_BUDGET 64; not SO_PREFER_BUSY_POLL, see docs/ARCHITECTURE.md; refusals are printed and the run goes
 * on). Nothing else runs per frame: no link protocol, no sockets layer, no TCP. The frame carries a big-endian u64 sequence number at byte 14.
 *
 * ping prints "xsk-pingpong impl=c size=.. count=.. p50_us=.. p99_us=.. p999_us=.. max_us=.. mean_us=..".
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

#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define XTS_ETHERTYPE 0x88B5
#define SEQ_OFF 14
#define FRAME_SIZE 4096u
#define FRAMES 4096u
#define RING 2048u
/* Frames [0, RING) stock the fill ring; frames [RING, FRAMES) are for sending. */
#define TX_BASE RING

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct pp {
	bool ping;
	const char *iface;
	const char *prog_path;
	bool skb_mode;
	unsigned size;
	double warmup;
	double duration;
	int ifindex;
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xdp_program *prog;
	bool attached;
	enum xdp_attach_mode mode;
	unsigned tx_next;
	uint8_t own_mac[6];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(const struct pp *p, const char *call, int err)
{
	fprintf(stderr, "xsk-pingpong-c: %s on %s: %s\n", call, p->iface, strerror(err));
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xsk-pingpong-c ping|pong --iface IF --prog xts_steer.o [--attach native|skb]\n"
		   "                      [--size BYTES (64)] [--warmup S (2)] [--duration S (10)]\n");
}

static void set_busy_poll(const struct pp *p)
{
	const int fd = xsk_socket__fd(p->xsk);
	const struct { const char *name; int opt; int value; } opts[] = {
		{ "SO_BUSY_POLL", SO_BUSY_POLL, 20 },
		{ "SO_BUSY_POLL_BUDGET", SO_BUSY_POLL_BUDGET, 64 },
	};
	fprintf(stderr, "xsk-pingpong-c %s busy-poll:", p->ping ? "ping" : "pong");
	for (unsigned i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		int v = opts[i].value;
		if (setsockopt(fd, SOL_SOCKET, opts[i].opt, &v, sizeof(v)) == 0)
			fprintf(stderr, " %s=%d ok", opts[i].name, v);
		else
			fprintf(stderr, " %s=%d refused (%s)", opts[i].name, v, strerror(errno));
	}
	fprintf(stderr, "\n");
}

static int read_own_mac(struct pp *p)
{
	char path[128], buf[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", p->iface);
	FILE *f = fopen(path, "r");
	if (!f)
		return fail(p, "fopen(/sys/class/net/IF/address)", errno);
	bool ok = fgets(buf, sizeof(buf), f) != NULL &&
		  sscanf(buf, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &p->own_mac[0], &p->own_mac[1], &p->own_mac[2],
			 &p->own_mac[3], &p->own_mac[4], &p->own_mac[5]) == 6;
	fclose(f);
	return ok ? 0 : fail(p, "parse /sys/class/net/IF/address", EINVAL);
}

static int setup(struct pp *p)
{
	p->prog = xdp_program__open_file(p->prog_path, "xdp", NULL);
	long err = libxdp_get_error(p->prog);
	if (err) {
		p->prog = NULL;
		return fail(p, "xdp_program__open_file", (int)-err);
	}
	p->mode = p->skb_mode ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	int ret = xdp_program__attach(p->prog, p->ifindex, p->mode, 0);
	if (ret)
		return fail(p, "xdp_program__attach", -ret);
	p->attached = true;
	int map_fd = bpf_object__find_map_fd_by_name(xdp_program__bpf_obj(p->prog), "xsks_map");
	if (map_fd < 0)
		return fail(p, "bpf_object__find_map_fd_by_name(xsks_map)", ENOENT);

	size_t len = (size_t)FRAMES * FRAME_SIZE;
	p->area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->area == MAP_FAILED) {
		p->area = NULL;
		return fail(p, "mmap", errno);
	}
	struct xsk_umem_config ucfg = {
		.fill_size = RING, .comp_size = RING, .frame_size = FRAME_SIZE, .frame_headroom = 0, .flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = RING, .tx_size = RING,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	ret = xsk_umem__create(&p->umem, p->area, len, &p->fq, &p->cq, &ucfg);
	if (ret) {
		p->umem = NULL;
		return fail(p, "xsk_umem__create", -ret);
	}
	for (int attempt = 0; attempt < 8; attempt++) {
		if (attempt > 0)
			usleep(10000u << (attempt - 1));
		ret = xsk_socket__create(&p->xsk, p->iface, 0, p->umem, &p->rx, &p->tx, &scfg);
		if (ret != -EBUSY)
			break;
	}
	if (ret) {
		p->xsk = NULL;
		return fail(p, "xsk_socket__create", -ret);
	}
	uint32_t idx;
	if (xsk_ring_prod__reserve(&p->fq, RING, &idx) != RING)
		return fail(p, "xsk_ring_prod__reserve(fill)", ENOSPC);
	for (unsigned i = 0; i < RING; i++)
		*xsk_ring_prod__fill_addr(&p->fq, idx + i) = (uint64_t)i * FRAME_SIZE;
	xsk_ring_prod__submit(&p->fq, RING);
	ret = xsk_socket__update_xskmap(p->xsk, map_fd);
	if (ret)
		return fail(p, "xsk_socket__update_xskmap", -ret);
	set_busy_poll(p);
	return 0;
}

/* Send `len` bytes of `src` (or, with src NULL, the frame already built at the next TX slot). */
static void send_frame(struct pp *p, const uint8_t *src, unsigned len, uint64_t seq)
{
	const int fd = xsk_socket__fd(p->xsk);
	uint32_t n, cidx;
	/* Reap completions: TX frames are used round-robin, far apart, so a completion only frees the ring slot. */
	n = xsk_ring_cons__peek(&p->cq, RING, &cidx);
	if (n)
		xsk_ring_cons__release(&p->cq, n);
	uint64_t addr = (uint64_t)(TX_BASE + p->tx_next) * FRAME_SIZE;
	p->tx_next = (p->tx_next + 1) % (FRAMES - TX_BASE);
	uint8_t *frame = xsk_umem__get_data(p->area, addr);
	if (src) {
		memcpy(frame, src, len);
		/* Back to the sender: destination = the source, source = us. */
		memcpy(frame, src + 6, 6);
		memcpy(frame + 6, p->own_mac, 6);
	} else {
		memset(frame, 0xff, 6);
		memcpy(frame + 6, p->own_mac, 6);
		frame[12] = XTS_ETHERTYPE >> 8;
		frame[13] = XTS_ETHERTYPE & 0xff;
		uint64_t be = htobe64(seq);
		memcpy(frame + SEQ_OFF, &be, sizeof(be));
		for (unsigned i = SEQ_OFF + 8; i < len; i++)
			frame[i] = (uint8_t)i;
	}
	uint32_t tidx;
	while (xsk_ring_prod__reserve(&p->tx, 1, &tidx) != 1) {
		sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		n = xsk_ring_cons__peek(&p->cq, RING, &cidx);
		if (n)
			xsk_ring_cons__release(&p->cq, n);
	}
	struct xdp_desc *d = xsk_ring_prod__tx_desc(&p->tx, tidx);
	d->addr = addr;
	d->len = len;
	d->options = 0;
	xsk_ring_prod__submit(&p->tx, 1);
	if (xsk_ring_prod__needs_wakeup(&p->tx))
		sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
}

/* Spin until one frame is on the RX ring; take its sequence number (and a copy), recycle it. False when stopped. */
static bool receive_one(struct pp *p, uint64_t *seq_out, uint8_t *copy, unsigned *len_out)
{
	const int fd = xsk_socket__fd(p->xsk);
	uint32_t idx;
	while (!stop_flag) {
		if (xsk_ring_cons__peek(&p->rx, 1, &idx) == 1) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx);
			const uint8_t *data = xsk_umem__get_data(p->area, d->addr);
			uint64_t be = 0;
			if (d->len >= SEQ_OFF + 8)
				memcpy(&be, data + SEQ_OFF, sizeof(be));
			*seq_out = be64toh(be);
			unsigned len = d->len < FRAME_SIZE ? d->len : FRAME_SIZE;
			if (copy)
				memcpy(copy, data, len);
			*len_out = len;
			uint64_t base = d->addr - d->addr % FRAME_SIZE;
			xsk_ring_cons__release(&p->rx, 1);
			uint32_t fidx;
			while (xsk_ring_prod__reserve(&p->fq, 1, &fidx) != 1)
				;
			*xsk_ring_prod__fill_addr(&p->fq, fidx) = base;
			xsk_ring_prod__submit(&p->fq, 1);
			return true;
		}
		if (xsk_ring_prod__needs_wakeup(&p->fq))
			recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(q * (double)n);
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1000.0;
}

static int run_pong(struct pp *p)
{
	uint8_t buf[FRAME_SIZE];
	uint64_t seq;
	unsigned len;
	printf("ready\n");
	fflush(stdout);
	while (receive_one(p, &seq, buf, &len))
		send_frame(p, buf, len, seq);
	return 0;
}

static int run_ping(struct pp *p)
{
	size_t cap = 1u << 20, n = 0;
	uint64_t *rtt = malloc(cap * sizeof(uint64_t));
	if (!rtt)
		return fail(p, "malloc", ENOMEM);
	const uint64_t t0 = now_ns();
	const uint64_t measure_from = t0 + (uint64_t)(p->warmup * 1e9);
	const uint64_t end = measure_from + (uint64_t)(p->duration * 1e9);
	uint64_t seq = 0, lost = 0, sum = 0;
	for (;;) {
		uint64_t start = now_ns();
		if (start >= end || stop_flag)
			break;
		send_frame(p, NULL, p->size, seq);
		uint64_t got = 0;
		unsigned len;
		/* One in flight: anything else arriving (a stale echo) is skipped; a frame lost for 100 ms is resent. */
		bool ok = false;
		while (!stop_flag) {
			if (!receive_one(p, &got, NULL, &len))
				break;
			if (got == seq) {
				ok = true;
				break;
			}
			if (now_ns() - start > 100000000ull)
				break;
		}
		uint64_t t = now_ns();
		if (!ok) {
			lost++;
			seq++;
			continue;
		}
		if (start >= measure_from) {
			if (n == cap) {
				cap *= 2;
				uint64_t *grown = realloc(rtt, cap * sizeof(uint64_t));
				if (!grown)
					return fail(p, "realloc", ENOMEM);
				rtt = grown;
			}
			rtt[n++] = t - start;
			sum += t - start;
		}
		seq++;
	}
	qsort(rtt, n, sizeof(uint64_t), cmp_u64);
	printf("xsk-pingpong impl=c size=%u count=%zu lost=%llu p50_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f "
	       "mean_us=%.2f\n", p->size, n, (unsigned long long)lost, pct_us(rtt, n, 0.50), pct_us(rtt, n, 0.99),
	       pct_us(rtt, n, 0.999), n ? (double)rtt[n - 1] / 1000.0 : 0, n ? (double)sum / (double)n / 1000.0 : 0);
	fflush(stdout);
	free(rtt);
	return n > 0 ? 0 : fail(p, "ping (no round trip completed)", ETIMEDOUT);
}

static void cleanup(struct pp *p)
{
	if (p->xsk)
		xsk_socket__delete(p->xsk);
	if (p->umem)
		xsk_umem__delete(p->umem);
	if (p->area)
		munmap(p->area, (size_t)FRAMES * FRAME_SIZE);
	if (p->attached)
		xdp_program__detach(p->prog, p->ifindex, p->mode, 0);
	if (p->prog)
		xdp_program__close(p->prog);
}

int main(int argc, char **argv)
{
	struct pp p = { .size = 64, .warmup = 2, .duration = 10 };
	if (argc < 2 || (strcmp(argv[1], "ping") && strcmp(argv[1], "pong"))) {
		usage(stderr);
		return 2;
	}
	p.ping = !strcmp(argv[1], "ping");
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' }, { "prog", required_argument, NULL, 'p' },
		{ "attach", required_argument, NULL, 'a' }, { "size", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' }, { "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': p.iface = optarg; break;
		case 'p': p.prog_path = optarg; break;
		case 'a':
			if (strcmp(optarg, "native") && strcmp(optarg, "skb")) {
				fprintf(stderr, "xsk-pingpong-c: --attach must be native or skb, got '%s'\n", optarg);
				return 2;
			}
			p.skb_mode = !strcmp(optarg, "skb");
			break;
		case 's': p.size = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': p.warmup = strtod(optarg, NULL); break;
		case 'd': p.duration = strtod(optarg, NULL); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!p.iface || !p.prog_path) {
		fprintf(stderr, "xsk-pingpong-c: --iface and --prog are required\n");
		return 2;
	}
	if (p.size < SEQ_OFF + 8 || p.size > 1514) {
		fprintf(stderr, "xsk-pingpong-c: --size must be %d..1514, got %u\n", SEQ_OFF + 8, p.size);
		return 2;
	}
	if (!(p.warmup >= 0) || !(p.duration > 0)) {
		fprintf(stderr, "xsk-pingpong-c: --warmup must be >= 0 and --duration > 0\n");
		return 2;
	}
	p.ifindex = (int)if_nametoindex(p.iface);
	if (!p.ifindex)
		return fail(&p, "if_nametoindex", errno);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	int rc = read_own_mac(&p);
	if (!rc)
		rc = setup(&p);
	if (!rc)
		rc = p.ping ? run_ping(&p) : run_pong(&p);
	cleanup(&p);
	return rc;
}
