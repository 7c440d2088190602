/* The QEMU guest agent (qemu-ga) part of the QEMU backend: what the core
 * (Shutdown/Reboot with the guest agent flag) needs from it. */
#pragma once

#include "vb-qemu-private.h"

G_BEGIN_DECLS

/* What to do when the agent cannot shut the guest down (flags asked for
 * the ACPI power button too): completes @task [void] itself. */
typedef void (*VbQemuAgentFallback) (VbObj *dom, GTask *task);

/* TRUE when running @dom has a guest agent channel whose agent (in the
 * guest) has it open. */
gboolean vb_qemu_agent_is_connected (VbObj *dom);

/* guest-shutdown (mode powerdown, or reboot): completes @task [void] once
 * the guest acts on it (QEMU reports its power-off/reset, or the agent
 * goes away), or fails — or, with @fallback, hands @task over to it when
 * the agent is missing, unconnected, refuses or does not answer. */
void vb_qemu_agent_shutdown (VbObj *dom, gboolean reboot, VbQemuAgentFallback fallback, GTask *task);

/* How many vcpus the guest has online (all it knows with @all), from
 * guest-get-vcpus: completes @task with a GVariant "u" [pointer]. */
void vb_qemu_agent_count_vcpus (VbObj *dom, gboolean all, GTask *task);

/* Brings @count of the guest's vcpus online and the others offline
 * (guest-set-vcpus, changing as few as it can): completes @task [boolean]. */
void vb_qemu_agent_set_online_vcpus (VbObj *dom, guint count, GTask *task);

/* guest-fsfreeze-freeze / guest-fsfreeze-thaw of all the guest's file
 * systems: completes @task with the count as a GVariant "u" [pointer]. */
void vb_qemu_agent_freeze_all (VbObj *dom, GTask *task);
void vb_qemu_agent_thaw_all (VbObj *dom, GTask *task);

G_END_DECLS
