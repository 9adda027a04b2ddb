/*
 * The floor of a fan-out on this machine, without Node and without a chat server: one
 * process writes one 80-byte line to each of N accepted loopback TCP sockets in a plain
 * write() loop (TCP_NODELAY, as dummy-chat), while another process reads every socket
 * with epoll. It times the loop ROUNDS times, 100 ms apart, and prints one JSON line.
 *
 * usage: fanout-floor N ROUNDS WRITER_CPU READER_CPU   (CPU -1: not pinned)
 * Built and run by `make bench` (bench/main.ts, with --profile) when a C compiler is there.
 * Bounded: at most 100,000 sockets and 1,000 rounds; the reader exits after 5 s without data.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s N ROUNDS WRITER_CPU READER_CPU\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[1]), rounds = atoi(argv[2]), writer_cpu = atoi(argv[3]), reader_cpu = atoi(argv[4]);
  if (n < 1 || n > 100000 || rounds < 1 || rounds > 1000) return 2;
  int one = 1;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(ls, (struct sockaddr *)&addr, sizeof addr) || listen(ls, 4096) || getsockname(ls, (struct sockaddr *)&addr, &len)) {
    perror("listen");
    return 1;
  }
  pid_t reader = fork();
  if (reader == 0) {
    close(ls);
    pin(reader_cpu);
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr)) {
        perror("connect");
        _exit(1);
      }
      struct epoll_event e = {.events = EPOLLIN, .data.fd = c};
      epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
    }
    struct epoll_event ev[1024];
    char buf[4096];
    for (;;) {
      int k = epoll_wait(ep, ev, 1024, 5000);
      if (k <= 0) _exit(0);
      for (int j = 0; j < k; j++)
        if (read(ev[j].data.fd, buf, sizeof buf) <= 0) _exit(0);
    }
  }
  pin(writer_cpu);
  int *s = malloc(n * sizeof(int));
  for (int i = 0; i < n; i++) {
    s[i] = accept(ls, 0, 0);
    if (s[i] < 0) {
      perror("accept");
      kill(reader, SIGKILL);
      return 1;
    }
    setsockopt(s[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  char line[80];
  memset(line, 'x', sizeof line - 1);
  line[sizeof line - 1] = '\n';
  usleep(300000);
  double *ms = malloc(rounds * sizeof(double));
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  for (int r = 0; r < rounds; r++) {
    double t0 = now_us();
    for (int i = 0; i < n; i++)
      if (write(s[i], line, sizeof line) != sizeof line) {
        perror("write");
        kill(reader, SIGKILL);
        return 1;
      }
    ms[r] = (now_us() - t0) / 1e3;
    usleep(100000);
  }
  getrusage(RUSAGE_SELF, &r1);
  double cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
               (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  double sys = (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  qsort(ms, rounds, sizeof(double), cmp);
  printf("{\"sockets\":%d,\"rounds\":%d,\"minMs\":%.2f,\"medianMs\":%.2f,\"maxMs\":%.2f,\"cpuUsPerWrite\":%.3f,\"sysShare\":%.3f}\n", n, rounds, ms[0],
         ms[rounds / 2], ms[rounds - 1], cpu * 1e6 / ((double)n * rounds), cpu > 0 ? sys / cpu : 0);
  kill(reader, SIGTERM);
  waitpid(reader, 0, 0);
  return 0;
}
