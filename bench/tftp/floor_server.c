/* The lower bound of a lock-step TFTP server on this machine: serves one file to one client at a
 * time with the least work possible per block (a blocking recv of the ACK, one send of the next
 * DATA from a file held in memory; no event loop, no timers, no retransmission, no checks beyond
 * the block number). Not a server to use: a yardstick for bench/tftp/lockstep.py, to show how much
 * of a lock-step round trip any server can still save. Answers an RRQ that asks for blksize with an
 * OACK of blksize only.
 * WAIT (optional third argument) is how the ACK is awaited: "recv" (default, a blocking recv),
 * "poll" (poll() for readability, then recv) or "epoll" (epoll_wait, then recv), to compare the
 * cost of waiting through an event mechanism with a plain blocking read.
 * Build: cc -O2 -o floor_server bench/tftp/floor_server.c
 * Run:   floor_server PORT FILE [recv|poll|epoll] */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 3 && argc != 4) return fprintf(stderr, "usage: floor_server PORT FILE [recv|poll|epoll]\n"), 2;
    const char* wait = argc == 4 ? argv[3] : "recv";
    const int use_poll = strcmp(wait, "poll") == 0, use_epoll = strcmp(wait, "epoll") == 0;
    int ep = epoll_create1(0);
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return perror(argv[2]), 1;
    char* data = malloc(st.st_size + 1);
    if (read(fd, data, st.st_size) != st.st_size) return perror("read"), 1;
    int ls = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr*)&a, sizeof a) != 0) return perror("bind"), 1;
    static unsigned char pkt[65536], ack[600];
    for (;;) {
        struct sockaddr_in c;
        socklen_t cl = sizeof c;
        ssize_t n = recvfrom(ls, pkt, sizeof pkt - 1, 0, (struct sockaddr*)&c, &cl);
        if (n < 4 || pkt[1] != 1) continue;
        pkt[n] = 0;
        size_t blksize = 512;
        int oack = 0;
        for (char* p = (char*)pkt + 2; p < (char*)pkt + n;) {
            char* k = p;
            p += strlen(p) + 1;
            if (p >= (char*)pkt + n) break;
            char* v = p;
            p += strlen(p) + 1;
            if (strcasecmp(k, "blksize") == 0) blksize = atoi(v), oack = 1;
        }
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        a.sin_port = 0;
        bind(s, (struct sockaddr*)&a, sizeof a);
        connect(s, (struct sockaddr*)&c, cl);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
        if (use_epoll) epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
        unsigned block = 0;
        if (oack) {
            int len = sprintf((char*)pkt + 2, "blksize%c%zu", 0, blksize) + 3;
            pkt[0] = 0, pkt[1] = 6;
            send(s, pkt, len, 0);
            if (recv(s, ack, sizeof ack, 0) < 4) {
                close(s);
                continue;
            }
        }
        for (;;) {
            ++block;
            size_t off = (size_t)(block - 1) * blksize;
            size_t len = off < (size_t)st.st_size ? (size_t)st.st_size - off : 0;
            if (len > blksize) len = blksize;
            pkt[0] = 0, pkt[1] = 3, pkt[2] = block >> 8, pkt[3] = block;
            memcpy(pkt + 4, data + off, len);
            send(s, pkt, 4 + len, 0);
            do {
                if (use_poll) {
                    struct pollfd p = {s, POLLIN, 0};
                    poll(&p, 1, -1);
                } else if (use_epoll) {
                    struct epoll_event out;
                    epoll_wait(ep, &out, 1, -1);
                }
                n = recv(s, ack, sizeof ack, 0);
            } while (n >= 4 && (ack[1] != 4 || (unsigned)(ack[2] << 8 | ack[3]) != (block & 0xffffu)));
            if (n < 4 || len < blksize) break;
        }
        close(s);
    }
}
