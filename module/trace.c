// SPDX-License-Identifier: GPL-2.0
/*
 * The one instance of altfutex's tracepoints: their definitions, their
 * tracefs formats and their perf hooks are made here, from trace.h.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
