#include "vb-sched.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The attributes of sched_setattr(2): glibc 2.36 has no wrapper. */
struct vb_sched_attr {
  guint32 size;
  guint32 sched_policy;
  guint64 sched_flags;
  gint32 sched_nice;
  guint32 sched_priority;
  guint64 sched_runtime;
  guint64 sched_deadline;
  guint64 sched_period;
};

int
vb_sched_set_slice_of (int tid, guint64 slice_ns)
{
  struct vb_sched_attr attr = { .size = sizeof attr, .sched_policy = 0 /* SCHED_OTHER */ };

  errno = 0;
  attr.sched_nice = getpriority (PRIO_PROCESS, tid);
  if (errno != 0)
    return errno;
  attr.sched_runtime = slice_ns;
  return syscall (SYS_sched_setattr, tid, &attr, 0) < 0 ? errno : 0;
}

int
vb_sched_set_slice (guint64 slice_ns)
{
  return vb_sched_set_slice_of (0, slice_ns);
}
