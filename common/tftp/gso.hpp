#pragma once
// Sending a window of DATA packets with one system call: UDP generic segmentation offload
// (sendmsg with UDP_SEGMENT). The packets are laid out back to back in one buffer, each one
// segment of 4 + blksize bytes (only the last DATA block of a file is shorter, and it is always the
// last of its window), and the kernel cuts the buffer into datagrams. Pure arithmetic, no I/O.
#include <cstddef>
#include <cstdint>

namespace mb::tftp {

// Most segments the kernel takes in one UDP GSO send (UDP_MAX_SEGMENTS, 64 since Linux 4.18).
inline constexpr size_t kGsoMaxSegments = 64;
// Largest UDP payload of one send (65,535 - 8 UDP - 20 IPv4 header bytes).
inline constexpr size_t kGsoMaxBytes = 65507;

// How many DATA packets of `blksize` fit one GSO send; 1 means send packet by packet.
size_t gso_segments(uint32_t blksize);

}  // namespace mb::tftp
