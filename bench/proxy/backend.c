/*
 * Stand-in notebooks for the proxy benchmark's HTTP rounds, in C: N listening ports on
 * 127.0.0.1 (one per route), each answering every request with the same small JSON over
 * keep-alive. On a real site the notebooks run on other machines; here they share the 2 cores
 * with the proxies, so the cheaper they are, the more of the machine the proxies under test
 * get (the Node stand-in, bench/proxy/backend.ts, still serves the websocket soak).
 *
 * Prints one port per line, then "ready". Requests are GETs without bodies: a request ends at
 * its blank line. Built by bench/proxy/c-backend.ts with the machine's C compiler.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 65536

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\n"
    "content-type: application/json\r\n"
    "content-length: 30\r\n"
    "\r\n"
    "{\"version\":\"2.14.0\",\"ok\":true}";

static unsigned char listener[MAX_FDS];
/* How much of "\r\n\r\n" the connection's last read ended in (a request head may span reads). */
static unsigned char matched[MAX_FDS];
static char in[65536];

static int watch(int epoll, int fd) {
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv) {
  int ports = argc > 1 ? atoi(argv[1]) : 1000;
  int epoll = epoll_create1(0);
  for (int i = 0; i < ports; i++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || s >= MAX_FDS || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1024) ||
        getsockname(s, (struct sockaddr *)&a, &len) || watch(epoll, s)) {
      perror("backend: listen");
      return 1;
    }
    listener[s] = 1;
    printf("%d\n", ntohs(a.sin_port));
  }
  printf("ready\n");
  fflush(stdout);

  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epoll, events, 256, -1);
    if (n < 0 && errno != EINTR) return 1;
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (listener[fd]) {
        int c;
        while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          int one = 1;
          if (c >= MAX_FDS || watch(epoll, c)) {
            close(c);
            continue;
          }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          matched[c] = 0;
        }
        continue;
      }
      ssize_t r = read(fd, in, sizeof in);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) {
        close(fd); /* also leaves the epoll set */
        continue;
      }
      int requests = 0;
      unsigned char m = matched[fd];
      for (ssize_t j = 0; j < r; j++) {
        char want = (m % 2 == 0) ? '\r' : '\n';
        if (in[j] == want) {
          if (++m == 4) {
            requests++;
            m = 0;
          }
        } else {
          m = in[j] == '\r' ? 1 : 0;
        }
      }
      matched[fd] = m;
      for (int q = 0; q < requests; q++) {
        if (write(fd, RESPONSE, sizeof RESPONSE - 1) < 0) {
          close(fd);
          break;
        }
      }
    }
  }
}
