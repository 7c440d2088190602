/* virtbus client library: the one header to include. */
#pragma once

#define VIRTBUS_INSIDE
#include "virtbus-client.h"
#include "virtbus-domain-snapshot.h"
#include "virtbus-domain.h"
#include "virtbus-enum-types.h"
#include "virtbus-error.h"
#include "virtbus-interface.h"
#include "virtbus-network.h"
#include "virtbus-node-device.h"
#include "virtbus-object.h"
#include "virtbus-storage-pool.h"
#include "virtbus-storage-vol.h"
#undef VIRTBUS_INSIDE
