// File: process.h
// Process-wide settings every binary (service, tool, benchmark) applies at startup.
#pragma once

namespace eda {

// In release builds (NDEBUG), turns off Abseil's Mutex lock-order cycle detection, a debug aid
// that Debian's Abseil leaves on and that costs a few per cent of a busy process's CPU. Debug
// builds keep it. Call before starting threads.
void ApplyReleaseDefaults();

}  // namespace eda
