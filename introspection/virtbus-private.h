/* virtbus client library: what the library's files share and do not export. */
#pragma once

#include "virtbus.h"
#include "vb-generated.h"

G_BEGIN_DECLS

#define VIRTBUS_BUS_NAME "org.libvirt"
#define VIRTBUS_MANAGER_PATH "/org/libvirt"

GError *virtbus_error_from_dbus (GError *error);

GDBusCallFlags virtbus_client_get_call_flags (VirtbusClient *self);

/* Reports a D-Bus call's error, mapped into VIRTBUS_ERROR, on @task. */
void virtbus_task_return_dbus_error (GTask *task, GError *error);

G_END_DECLS
