#pragma once
// TxnWrite is declared in kvstore.h (the store and its write txn share private state); this
// header exists so that users of the write txn can say what they use.
#include "mvcc/kvstore.h"
