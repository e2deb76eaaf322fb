// status.h is header-only; this file gives the common library at least one object.
#include "common/status.h"
