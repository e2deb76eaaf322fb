#include "low/low.h"
#include "high/high.h"  // forbidden: low does not link high
int Low() { return 1; }
