// SPDX-License-Identifier: MIT
/*
 * raw-syn - send a hand-made TCP SYN in a raw Ethernet frame, as a hostile
 * guest would.
 *
 * Usage: raw-syn [-q VID] IFNAME DSTMAC SRCADDR DSTADDR PORT [COUNT]
 *
 * Builds an Ethernet frame from IFNAME's own MAC to DSTMAC
 * ("52:55:0a:00:02:02") carrying an IPv4 or IPv6 packet (the family of
 * DSTADDR; SRCADDR must be of the same one) with a TCP SYN from
 * SRCADDR:SPORT to DSTADDR:PORT, every checksum right, and writes it COUNT
 * times (default 3, at most 20), 100 ms apart, on an AF_PACKET socket
 * bound to IFNAME.  With -q VID, the frame carries an 802.1Q tag of VLAN
 * VID (1..4094) before the IP header's ethertype.  No routing, no neighbour lookup, no martian check: the
 * kernel puts the frame on IFNAME's transmit path as it is, which is how
 * a guest's frame reaches a bridge, and how a bridged frame reaches
 * tap_host.  tests/integration/t-loopback-guard.sh uses it to send SYNs
 * to 127.0.0.1, ::1 and the like to slirp4netns's MAC.
 *
 * It prints one line saying what it sent, and how many of the frames
 * IFNAME's own queue dropped (sendto(2) fails with ENOBUFS when the
 * device's qdisc drops the frame at once, as tap_host's guard does).
 * Needs CAP_NET_RAW in the network namespace (a namespace's root has it).
 * Exit status: 0 when every frame was sent or dropped so, 1 on a failure
 * (said on stderr), 2 on a usage error.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>

#define COUNT_MAX 20
#define IP4_HDR 20
#define IP6_HDR 40
#define TCP_HDR 20
#define VLAN_TAG 4
#define FRAME_MAX (ETH_HLEN + VLAN_TAG + IP6_HDR + TCP_HDR)

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: raw-syn [-q VID] IFNAME DSTMAC SRCADDR DSTADDR "
		"PORT [COUNT]\n");
	exit(2);
}

static void __attribute__((noreturn)) die(const char *what, int err)
{
	fprintf(stderr, "raw-syn: %s: %s\n", what, strerror(err));
	exit(1);
}

/* One's complement sum of @len bytes into @sum (RFC 1071). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* "52:55:0a:00:02:02": six bytes of one or two hex digits each. */
static int parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	for (int i = 0; i < ETH_ALEN; i++) {
		char *end;
		unsigned long b;

		if (!isxdigit((unsigned char)s[0]))
			return -1;
		b = strtoul(s, &end, 16);
		if (end - s > 2 || *end != (i == ETH_ALEN - 1 ? '\0' : ':'))
			return -1;
		mac[i] = (uint8_t)b;
		s = end + 1;
	}
	return 0;
}

/* The TCP SYN at @tcp, its checksum over @pseudo (the pseudo-header) too. */
static void build_syn(uint8_t *tcp, uint16_t sport, uint16_t dport,
		      const uint8_t *pseudo, size_t pseudo_len)
{
	memset(tcp, 0, TCP_HDR);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, 0x48434b4eu);		/* sequence number: "HCKN" */
	tcp[12] = (TCP_HDR / 4) << 4;		/* data offset, no options */
	tcp[13] = 0x02;				/* SYN */
	put16(tcp + 14, 64240);			/* window */
	put16(tcp + 16, csum_fold(csum_add(csum_add(0, pseudo, pseudo_len),
					   tcp, TCP_HDR)));
}

/* IPv4 header + SYN at @ip.  Return: their length. */
static size_t build_ip4(uint8_t *ip, const uint8_t src[4], const uint8_t dst[4],
			uint16_t sport, uint16_t dport)
{
	uint8_t pseudo[12];

	memset(ip, 0, IP4_HDR);
	ip[0] = 0x45;				/* version 4, 5 words */
	put16(ip + 2, IP4_HDR + TCP_HDR);	/* total length */
	put16(ip + 4, (uint16_t)getpid());	/* identification */
	put16(ip + 6, 0x4000);			/* don't fragment */
	ip[8] = 64;				/* TTL */
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP4_HDR)));
	memcpy(pseudo, src, 4);
	memcpy(pseudo + 4, dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	put16(pseudo + 10, TCP_HDR);
	build_syn(ip + IP4_HDR, sport, dport, pseudo, sizeof(pseudo));
	return IP4_HDR + TCP_HDR;
}

/* IPv6 header + SYN at @ip.  Return: their length. */
static size_t build_ip6(uint8_t *ip, const uint8_t src[16],
			const uint8_t dst[16], uint16_t sport, uint16_t dport)
{
	uint8_t pseudo[40];

	memset(ip, 0, IP6_HDR);
	ip[0] = 0x60;				/* version 6 */
	put16(ip + 4, TCP_HDR);			/* payload length */
	ip[6] = IPPROTO_TCP;			/* next header */
	ip[7] = 64;				/* hop limit */
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memset(pseudo, 0, sizeof(pseudo));
	memcpy(pseudo, src, 16);
	memcpy(pseudo + 16, dst, 16);
	put32(pseudo + 32, TCP_HDR);
	pseudo[39] = IPPROTO_TCP;
	build_syn(ip + IP6_HDR, sport, dport, pseudo, sizeof(pseudo));
	return IP6_HDR + TCP_HDR;
}

/*
 * Write the @len bytes of @frame @count times, 100 ms apart, on @s to
 *  @dstmac through @ifname.  Return: how many of them its queue dropped.
 */
static unsigned long send_frames(int s, const char *ifname,
				 const uint8_t dstmac[ETH_ALEN],
				 uint16_t protocol, const uint8_t *frame,
				 size_t len, unsigned long count)
{
	struct timespec gap = { .tv_sec = 0, .tv_nsec = 100000000L };
	unsigned long dropped = 0;
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(protocol);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, dstmac, ETH_ALEN);
	if (sll.sll_ifindex == 0)
		die(ifname, errno);
	for (unsigned long i = 0; i < count; i++) {
		if (i)
			nanosleep(&gap, NULL);
		if (sendto(s, frame, len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) == (ssize_t)len)
			continue;
		/* IFNAME's own qdisc dropped it (NET_XMIT_DROP): say so. */
		if (errno != ENOBUFS)
			die("sendto", errno);
		dropped++;
	}
	return dropped;
}

int main(int argc, char **argv)
{
	uint8_t frame[FRAME_MAX], dstmac[ETH_ALEN], src[16], dst[16];
	struct ifreq ifr;
	unsigned long port, count = 3, dropped = 0, vid = 0;
	uint16_t sport, ethertype;
	size_t len, hlen = ETH_HLEN;
	int family, s;
	char *end;

	if (argc > 2 && strcmp(argv[1], "-q") == 0) {
		errno = 0;
		vid = strtoul(argv[2], &end, 10);
		if (errno || *end || vid == 0 || vid > 4094)
			usage();
		argv += 2;
		argc -= 2;
	}
	if (argc < 6 || argc > 7 || strlen(argv[1]) >= IFNAMSIZ)
		usage();
	if (parse_mac(argv[2], dstmac) < 0)
		usage();
	family = strchr(argv[4], ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, argv[3], src) != 1 ||
	    inet_pton(family, argv[4], dst) != 1)
		usage();
	errno = 0;
	port = strtoul(argv[5], &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		usage();
	if (argc == 7) {
		count = strtoul(argv[6], &end, 10);
		if (errno || *end || count == 0 || count > COUNT_MAX)
			usage();
	}

	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket(AF_PACKET)", errno);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, argv[1], strlen(argv[1]));
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		die(argv[1], errno);

	/* A source port of our own, so that two runs are two connections. */
	sport = (uint16_t)(32768 + getpid() % 28000);
	memcpy(frame, dstmac, ETH_ALEN);
	memcpy(frame + ETH_ALEN, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	ethertype = family == AF_INET ? ETH_P_IP : ETH_P_IPV6;
	if (vid) {
		/* The tag where the ethertype was: TPID, then the VLAN id. */
		put16(frame + ETH_HLEN - 2, ETH_P_8021Q);
		put16(frame + ETH_HLEN, (uint16_t)vid);
		hlen += VLAN_TAG;
	}
	put16(frame + hlen - 2, ethertype);
	if (family == AF_INET)
		len = build_ip4(frame + hlen, src, dst, sport, (uint16_t)port);
	else
		len = build_ip6(frame + hlen, src, dst, sport, (uint16_t)port);
	len += hlen;

	dropped = send_frames(s, argv[1], dstmac, vid ? ETH_P_8021Q : ethertype,
			      frame, len, count);
	close(s);
	printf("raw-syn: %lu frame%s of %zu bytes on %s: %s:%u > %s:%lu; "
	       "%lu dropped by %s's queue\n", count, count == 1 ? "" : "s",
	       len, argv[1], argv[3], (unsigned int)sport, argv[4], port,
	       dropped, argv[1]);
	return 0;
}
