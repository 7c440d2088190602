/* vb-bench-call: the benchmarks' lean D-Bus client (bench/run.py).
 *
 * Calls one method again and again on a bus given by its address, reading
 * every value of every reply (as a client that uses the answer would), and
 * prints what it measured.  It is built on libsystemd's sd-bus, which reads a
 * message whole and hands out its values without copying them, so that the
 * client's own CPU time is a small part of a round trip and the figures show
 * the bus and the service.  The same binary measures both stacks.
 *
 *   vb-bench-call --address ADDR [--count N] DEST PATH IFACE METHOD [SIG [ARG...]]
 *       prints "items K" (the values read from the last reply), then the
 *       duration of each of the N calls in microseconds, one a line.
 *   vb-bench-call --address ADDR --worker SECONDS DEST PATH IFACE METHOD [SIG [ARG...]]
 *       connects, prints "ready", reads a start time (seconds since the
 *       epoch) from stdin, waits for it, calls back to back for SECONDS and
 *       prints the calls per second.
 *
 * SIG may only hold basic types (one ARG each): y b n q i u x t d s o g.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define CALL_TIMEOUT_USEC (120ULL * 1000 * 1000)

typedef struct {
  const char *dest, *path, *iface, *method, *sig;
  char **args;
  int n_args;
} Call;

/* Seconds on @clock: CLOCK_MONOTONIC to time calls, CLOCK_REALTIME for the
 * workers' shared start time. */
static double
now (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die (const char *what, int r)
{
  fprintf (stderr, "vb-bench-call: %s: %s\n", what, strerror (r < 0 ? -r : r));
  exit (1);
}

/* A number of the integer type T: within its range, else FALSE. */
static bool
parse_number (char t, const char *s, uint64_t *out)
{
  bool is_signed = t == 'n' || t == 'i' || t == 'x';
  int64_t lo = t == 'n' ? INT16_MIN : t == 'i' ? INT32_MIN : INT64_MIN;
  int64_t hi = t == 'n' ? INT16_MAX : t == 'i' ? INT32_MAX : INT64_MAX;
  uint64_t max = t == 'y' ? UINT8_MAX : t == 'q' ? UINT16_MAX : t == 'u' ? UINT32_MAX : UINT64_MAX;
  char *end;

  errno = 0;
  if (is_signed) {
    long long v = strtoll (s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
      return false;
    *out = (uint64_t) v;
    return true;
  }
  if (s[0] == '-')
    return false;
  *out = strtoull (s, &end, 0);
  return errno == 0 && end != s && *end == '\0' && *out <= max;
}

/* Appends ARG as a value of the basic type T. */
static int
append_arg (sd_bus_message *m, char t, const char *arg)
{
  uint64_t n;
  char *end;
  double d;
  int b;

  switch (t) {
  case 's':
  case 'o':
  case 'g':
    return sd_bus_message_append_basic (m, t, arg);
  case 'd':
    d = strtod (arg, &end);
    if (end == arg || *end != '\0')
      return -EINVAL;
    return sd_bus_message_append_basic (m, t, &d);
  case 'b':
    if (strcmp (arg, "true") == 0 || strcmp (arg, "1") == 0)
      b = 1;
    else if (strcmp (arg, "false") == 0 || strcmp (arg, "0") == 0)
      b = 0;
    else
      return -EINVAL;
    return sd_bus_message_append_basic (m, t, &b);
  case 'y':
  case 'n':
  case 'q':
  case 'i':
  case 'u':
  case 'x':
  case 't':
    if (!parse_number (t, arg, &n))
      return -EINVAL;
    if (t == 'y') {
      uint8_t v = (uint8_t) n;
      return sd_bus_message_append_basic (m, t, &v);
    }
    if (t == 'n' || t == 'q') {
      uint16_t v = (uint16_t) n;
      return sd_bus_message_append_basic (m, t, &v);
    }
    if (t == 'i' || t == 'u') {
      uint32_t v = (uint32_t) n;
      return sd_bus_message_append_basic (m, t, &v);
    }
    return sd_bus_message_append_basic (m, t, &n);
  default:
    return -EINVAL;
  }
}

/* Reads every value of the current container, counting the basic ones. */
static int
read_all (sd_bus_message *m, unsigned long *items)
{
  for (;;) {
    union {
      uint8_t y;
      int b;
      int16_t n;
      uint16_t q;
      int32_t i;
      uint32_t u;
      int64_t x;
      uint64_t t;
      double d;
      const char *s;
      int h;
    } v;
    const char *contents;
    char type;
    int r = sd_bus_message_peek_type (m, &type, &contents);

    if (r <= 0)
      return r;
    if (type != SD_BUS_TYPE_ARRAY && type != SD_BUS_TYPE_VARIANT && type != SD_BUS_TYPE_STRUCT &&
        type != SD_BUS_TYPE_DICT_ENTRY) {
      r = sd_bus_message_read_basic (m, type, &v);
      if (r < 0)
        return r;
      (*items)++;
      continue;
    }
    r = sd_bus_message_enter_container (m, type, contents);
    if (r >= 0)
      r = read_all (m, items);
    if (r >= 0)
      r = sd_bus_message_exit_container (m);
    if (r < 0)
      return r;
  }
}

/* One call; returns the number of basic values in its reply. */
static unsigned long
call_once (sd_bus *bus, const Call *c)
{
  sd_bus_message *m = NULL, *reply = NULL;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  unsigned long items = 0;
  int r;

  r = sd_bus_message_new_method_call (bus, &m, c->dest, c->path, c->iface, c->method);
  if (r < 0)
    die ("building the call", r);
  for (int i = 0; i < c->n_args; i++) {
    if (append_arg (m, c->sig[i], c->args[i]) < 0) {
      fprintf (stderr, "vb-bench-call: argument %d (%s) is not a valid '%c'\n", i + 1, c->args[i], c->sig[i]);
      exit (2);
    }
  }
  r = sd_bus_call (bus, m, CALL_TIMEOUT_USEC, &error, &reply);
  if (r < 0) {
    fprintf (stderr, "vb-bench-call: %s.%s: %s: %s\n", c->iface, c->method, error.name ? error.name : "error",
             error.message ? error.message : strerror (-r));
    exit (1);
  }
  r = read_all (reply, &items);
  if (r < 0)
    die ("reading the reply", r);
  sd_bus_message_unref (reply);
  sd_bus_message_unref (m);
  return items;
}

static void
usage (void)
{
  fprintf (stderr, "usage: vb-bench-call --address ADDR [--count N | --worker SECONDS] "
                   "DEST PATH IFACE METHOD [SIG [ARG...]]\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  const char *address = NULL;
  long count = 1;
  double worker_seconds = -1;
  Call c = { 0 };
  sd_bus *bus = NULL;
  int i, r;

  for (i = 1; i < argc && strncmp (argv[i], "--", 2) == 0; i += 2) {
    char *end;

    if (i + 1 >= argc)
      usage ();
    errno = 0;
    if (strcmp (argv[i], "--address") == 0) {
      address = argv[i + 1];
    } else if (strcmp (argv[i], "--count") == 0) {
      count = strtol (argv[i + 1], &end, 10);
      if (errno != 0 || end == argv[i + 1] || *end != '\0' || count < 1 || count > 100000000)
        usage ();
    } else if (strcmp (argv[i], "--worker") == 0) {
      worker_seconds = strtod (argv[i + 1], &end);
      if (errno != 0 || end == argv[i + 1] || *end != '\0' || !(worker_seconds > 0))
        usage ();
    } else {
      usage ();
    }
  }
  if (address == NULL || argc - i < 4)
    usage ();
  c.dest = argv[i];
  c.path = argv[i + 1];
  c.iface = argv[i + 2];
  c.method = argv[i + 3];
  c.sig = argc - i > 4 ? argv[i + 4] : "";
  c.args = argv + i + 5;
  c.n_args = argc - i > 5 ? argc - i - 5 : 0;
  if ((int) strlen (c.sig) != c.n_args) {
    fprintf (stderr, "vb-bench-call: signature '%s' wants %zu arguments, %d given\n", c.sig, strlen (c.sig),
             c.n_args);
    return 2;
  }

  r = sd_bus_new (&bus);
  if (r < 0)
    die ("sd_bus_new", r);
  r = sd_bus_set_address (bus, address);
  if (r < 0)
    die ("the bus address", r);
  r = sd_bus_set_bus_client (bus, 1);
  if (r < 0)
    die ("sd_bus_set_bus_client", r);
  r = sd_bus_start (bus);
  if (r < 0)
    die ("connecting to the bus", r);
  /* The bus' Hello answered before anything is timed. */
  r = sd_bus_get_unique_name (bus, &(const char *){ NULL });
  if (r < 0)
    die ("the bus' Hello", r);

  if (worker_seconds > 0) {
    char line[64];
    double start_at, end;
    long n = 0;

    printf ("ready\n");
    fflush (stdout);
    if (fgets (line, sizeof line, stdin) == NULL) {
      fprintf (stderr, "vb-bench-call: no start time on stdin\n");
      return 1;
    }
    start_at = strtod (line, NULL);
    while (now (CLOCK_REALTIME) < start_at)
      usleep (1000);
    end = start_at + worker_seconds;
    while (now (CLOCK_REALTIME) < end) {
      call_once (bus, &c);
      n++;
    }
    printf ("%f\n", n / (now (CLOCK_REALTIME) - start_at));
  } else {
    double *took = calloc (count, sizeof *took);
    unsigned long items = 0;

    if (took == NULL)
      die ("calloc", ENOMEM);
    for (long k = 0; k < count; k++) {
      double t0 = now (CLOCK_MONOTONIC);

      items = call_once (bus, &c);
      took[k] = now (CLOCK_MONOTONIC) - t0;
    }
    printf ("items %lu\n", items);
    for (long k = 0; k < count; k++)
      printf ("%.3f\n", took[k] * 1e6);
    free (took);
  }
  sd_bus_flush_close_unref (bus);
  return 0;
}
