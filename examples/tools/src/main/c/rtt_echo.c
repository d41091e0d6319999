// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * rtt-echo-c: the echo server of scripts/bench-rtt, in the peer namespace. Plain kernel TCP: it accepts connections
 * on --port (IPv4, any address), gives each a thread, sets TCP_NODELAY, and writes back every byte it reads, in
 * order, with blocking read and write (the peer is an ordinary server: it sleeps while idle). The XTS case (through
 * the proxy) and the kernel TCP case (over the direct veth) talk to the same server, so what it costs is in both.
 *
 *   rtt-echo-c --port PORT      prints "ready port=PORT" once it listens; runs until SIGTERM or SIGINT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *echo(void *arg)
{
	int fd = (int)(long)arg;
	char buf[65536];
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto done;
			off += w;
		}
	}
done:
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	long port = -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: rtt-echo-c --port PORT\n");
			return 2;
		}
	}
	if (port < 1 || port > 65535) {
		fprintf(stderr, "rtt-echo-c: --port must be 1..65535\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 64)) {
		fprintf(stderr, "rtt-echo-c: cannot listen on port %ld: %s\n", port, strerror(errno));
		return 1;
	}
	printf("ready port=%ld\n", port);
	fflush(stdout);
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "rtt-echo-c: accept: %s\n", strerror(errno));
			return 1;
		}
		pthread_t t;
		if (pthread_create(&t, NULL, echo, (void *)(long)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}
