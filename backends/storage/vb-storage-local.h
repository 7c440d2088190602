/* Local storage for a connection backend (qemu://): storage pools of type
 * 'dir' — a directory of image files — and their volumes, made, cloned,
 * resized and wiped with plain file operations and qemu-img.
 *
 * A backend that manages storage implements VbStorageOps with
 * vb_storage_local_ops_init, loads the pools when it opens and starts the
 * autostarted ones once it is ready. Everything else (definitions under
 * <config>/virtbus/storage, the active pools' state under the run dir,
 * scans off the main thread) is this module's. See README.md. */
#pragma once

#include "vb-storage-ops.h"

G_BEGIN_DECLS

void vb_storage_local_ops_init (VbStorageOpsInterface *iface);

/* Reads the pools' definitions and which of them were active, registers
 * them on @backend and scans the active ones; completes once their
 * volumes are known. @qemu_img: the qemu-img to run (NULL: from $PATH). */
void vb_storage_local_load_async (VbBackend *backend, const char *qemu_img, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_storage_local_load_finish (VbBackend *backend, GAsyncResult *result, GError **error);

/* Starts the persistent pools marked autostart that are not active. */
void vb_storage_local_autostart (VbBackend *backend);

G_END_DECLS
