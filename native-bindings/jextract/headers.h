/*
 * The C declarations XTS-J binds through FFM, in one header: the input of regenerate.sh (jextract) and of
 * StructLayoutTest (gcc). includes.txt picks the symbols each generated header class gets.
 *
 * _GNU_SOURCE is needed for setns() and CLONE_NEWNET in <sched.h>.
 */
#ifndef XTS_JEXTRACT_HEADERS_H
#define XTS_JEXTRACT_HEADERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

/* libc_h: errno values, poll and ppoll, eventfd, sockets, namespaces, files, strerror */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* if_xdp_h: AF_XDP UAPI (structs and socket options), XDP attach flags, XDP_PACKET_HEADROOM */
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

/* libbpf_h: map access and errors */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* libxdp_h and xsk_h: XDP program management and the AF_XDP socket API */
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#endif
