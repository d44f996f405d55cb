// Exit codes of every rdnsprov command (DESIGN.md "Exit codes"; docs/EXIT-CODES.md).
#pragma once

namespace rdnsprov::cli {

inline constexpr int kExitOk = 0;         // success; for diff: no change
inline constexpr int kExitError = 1;      // error: nothing was published
inline constexpr int kExitUsage = 2;      // usage or configuration error
inline constexpr int kExitChanges = 3;    // diff only: changes, all of which would publish
inline constexpr int kExitHeld = 4;       // at least one zone, zone list or export held by a gate
inline constexpr int kExitLocked = 5;     // another run holds the lock
inline constexpr int kExitLagging = 6;    // published, but a server does not serve the new serial yet
inline constexpr int kExitFrozen = 7;     // publication is frozen

}  // namespace rdnsprov::cli
