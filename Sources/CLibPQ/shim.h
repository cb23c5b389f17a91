// Exposes libpq to Swift.
#ifndef RECOUP_CLIBPQ_SHIM_H
#define RECOUP_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
