/* The scheduler slice of virtbusd's threads and of the processes it starts. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sets the calling thread's EEVDF slice (Linux >= 6.12; sched_setattr(2))
 * to @slice_ns, or back to the kernel's default when 0, keeping its nice
 * value and SCHED_OTHER. Returns 0, or an errno value (ENOSYS/EINVAL on
 * older kernels). Async-signal-safe: usable between fork and exec. */
int vb_sched_set_slice (guint64 slice_ns);
/* The same for thread (or process) @tid, another of ours or one we may
 * schedule (same user, or root). */
int vb_sched_set_slice_of (int tid, guint64 slice_ns);

G_END_DECLS
