/* probe/drivers/probe_driver_int.h: private to probe/drivers/: each driver's texts (defined in
 * probe_driver_text.c), referred to by its row in probe_driver.c. */
#ifndef PROBE_PROBE_DRIVER_INT_H
#define PROBE_PROBE_DRIVER_INT_H

#include "probe/drivers/probe_driver.h"

extern const struct probe_driver_texts probe_texts_sqlclient;
extern const struct probe_driver_texts probe_texts_odbc18;
extern const struct probe_driver_texts probe_texts_odbc17;
extern const struct probe_driver_texts probe_texts_jdbc;
extern const struct probe_driver_texts probe_texts_go;
extern const struct probe_driver_texts probe_texts_tedious;
extern const struct probe_driver_texts probe_texts_freetds;

#endif
