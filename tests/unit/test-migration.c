/* service/vb-migration.c: libvirt connection URIs as migration
 * destinations, and the migration parameters a call may carry. */
#include "vb-error.h"
#include "vb-migration.h"

static void
test_destinations (void)
{
  static const struct {
    const char *uri;
    const char *destination;
  } cases[] = {
    { "qemu+ssh://host.example/system", "ssh://host.example/system" },
    { "qemu+ssh://admin@10.0.0.2:2222/system", "ssh://admin@10.0.0.2:2222/system" },
    { "qemu+ssh://root@host/session", "ssh://root@host/session" },
    { "qemu+libssh2://host/system", "ssh://host/system" },
    { "qemu+libssh://host/system?no_tty=1", "ssh://host/system" },
    { "QEMU+SSH://host/system", "ssh://host/system" },
    { "qemu+ssh://root@[fe80::1]:22/system", "ssh://root@[fe80::1]:22/system" },
    /* A user name that needs escaping survives the way to ssh://. */
    { "qemu+ssh://a%20b@host/system", "ssh://a%20b@host/system" },
    { "qemu+unix:///system?socket=/run/dest/bus", "unix:path=/run/dest/bus" },
    { "qemu+unix:///session?socket=/tmp/a%20b,c", "unix:path=/tmp/a%20b%2Cc" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *destination = vb_migration_destination_for_uri (cases[i].uri, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (destination, ==, cases[i].destination);
  }
}

static void
test_bad_destinations (void)
{
  static const struct {
    const char *uri;
    int code;
    const char *message;
  } cases[] = {
    { "", VB_ERROR_INVALID_ARG, "is not a connection URI" },
    { "host.example", VB_ERROR_INVALID_ARG, "is not a connection URI" },
    { "test:///default", VB_ERROR_INVALID_ARG, "only qemu connections" },
    { "xen+ssh://host/system", VB_ERROR_INVALID_ARG, "only qemu connections" },
    { "qemu:///system", VB_ERROR_INVALID_ARG, "this host's own daemon" },
    { "qemu+unix:///system", VB_ERROR_INVALID_ARG, "this host's own daemon" },
    { "qemu+unix:///system?socket=relative/bus", VB_ERROR_INVALID_ARG, "absolute path" },
    { "qemu+unix://host/system?socket=/run/bus", VB_ERROR_INVALID_ARG, "no host to name" },
    { "qemu+ssh:///system", VB_ERROR_INVALID_ARG, "names no host" },
    { "qemu+ssh://host", VB_ERROR_INVALID_ARG, "the path must be /system or /session" },
    { "qemu+ssh://host/embed", VB_ERROR_INVALID_ARG, "the path must be /system or /session" },
    { "qemu+ssh://host/system?keyfile=/root/.ssh/other", VB_ERROR_INVALID_ARG, "URI parameter 'keyfile'" },
    { "qemu+ssh://host/system?socket=/run/bus", VB_ERROR_INVALID_ARG, "URI parameter 'socket'" },
    { "qemu+unix:///system?socket=/run/bus&no_tty=1", VB_ERROR_INVALID_ARG, "URI parameter 'no_tty'" },
    { "qemu+ssh://host/system?x=%zz", VB_ERROR_INVALID_ARG, "is not a connection URI" },
    { "qemu+ssh://host/system?x=1&&=2", VB_ERROR_INVALID_ARG, "malformed URI parameters" },
    { "qemu+tcp://host/system", VB_ERROR_NOT_SUPPORTED, "the tcp transport is not supported" },
    { "qemu+tls://host:16514/system", VB_ERROR_NOT_SUPPORTED, "the tls transport" },
    { "qemu://host/system", VB_ERROR_NOT_SUPPORTED, "the tls transport" },
    { "qemu+ext://host/system?command=/bin/sh", VB_ERROR_INVALID_ARG, "URI parameter 'command'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *destination = vb_migration_destination_for_uri (cases[i].uri, &error);

    g_assert_null (destination);
    g_assert_error (error, VB_ERROR, cases[i].code);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("%s: '%s' does not say '%s'", cases[i].uri, error->message, cases[i].message);
  }
}

static GVariant *
params (const char *text)
{
  g_autoptr(GError) error = NULL;
  GVariant *v = g_variant_parse (G_VARIANT_TYPE ("a{sv}"), text, NULL, NULL, &error);

  g_assert_no_error (error);
  return v;
}

static void
test_params (void)
{
  static const struct {
    const char *params;
    const char *message; /* NULL: accepted */
  } cases[] = {
    { "@a{sv} {}", NULL },
    { "{'migrate_uri': <'tcp:10.0.0.2'>, 'destination_name': <'b'>, 'destination_xml': <'<domain/>'>, "
      "'persistent_xml': <'<domain/>'>, 'bandwidth': <uint64 10>, 'bandwidth.postcopy': <uint64 20>, "
      "'downtime': <uint64 300>}", NULL },
    /* The short names of earlier versions are no longer taken silently. */
    { "{'dest_name': <'b'>}", "migration parameter 'dest_name' is not supported" },
    { "{'migrate_disks': <'vda'>}", "migration parameter 'migrate_disks' is not supported" },
    { "{'bandwidth': <uint32 10>}", "migration parameter 'bandwidth' must be of type 't', not 'u'" },
    { "{'migrate_uri': <uint64 1>}", "migration parameter 'migrate_uri' must be of type 's', not 't'" },
    { "{'destination_name': <<'b'>>}", "must be of type 's', not 'v'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GVariant) p = params (cases[i].params);
    g_autoptr(GError) error = NULL;
    gboolean ok = vb_migration_check_params (p, &error);

    if (cases[i].message == NULL) {
      g_assert_no_error (error);
      g_assert_true (ok);
    } else {
      g_assert_false (ok);
      g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("%s: '%s' does not say '%s'", cases[i].params, error->message, cases[i].message);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/migration/destinations", test_destinations);
  g_test_add_func ("/migration/bad-destinations", test_bad_destinations);
  g_test_add_func ("/migration/params", test_params);
  return g_test_run ();
}
