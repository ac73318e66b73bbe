/* probe/engine/probe_neterr.h: libuv's error codes, classified for diagnosis (which never sees
 * libuv). */
#ifndef PROBE_ENGINE_PROBE_NETERR_H
#define PROBE_ENGINE_PROBE_NETERR_H

#include "probe/model/probe.h"

/* The classification of a libuv error code (negative; 0 gives kind NONE). name and text are
 * libuv's uv_err_name/uv_strerror strings for the codes it knows. */
struct probe_net_error probe_net_error_from_uv(int code);

#endif
