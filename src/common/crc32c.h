#pragma once
// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78): the checksum etcd's WAL
// chains through its records. Uses the SSE4.2 crc32 instruction when the CPU has it (checked
// once at run time) and a slicing-by-8 table otherwise; both give identical results.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etcdpp::crc32c {

// Returns the CRC-32C of the concatenation of A and data[0, n), where `crc` is the CRC-32C of
// some string A. Extend(0, ...) starts a new checksum. Equivalent to Go's
// crc32.Update(crc, crc32.MakeTable(crc32.Castagnoli), data).
uint32_t Extend(uint32_t crc, const char* data, size_t n);

inline uint32_t Extend(uint32_t crc, std::string_view data) {
  return Extend(crc, data.data(), data.size());
}

// The CRC-32C of data[0, n).
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data); }

// The portable table-driven implementation; exposed so tests can compare it with the hardware
// path on machines that have one.
uint32_t ExtendPortableForTest(uint32_t crc, const char* data, size_t n);
// True when Extend uses the SSE4.2 instruction on this machine.
bool HardwareAcceleratedForTest();

}  // namespace etcdpp::crc32c
