#pragma once
// Process exit codes, from sysexits(3). Every mb-* tool exits with one of these.
namespace mb {
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,       // the operation ran and its answer is "no" (e.g. a check failed)
    kExitUsage = 64,        // EX_USAGE: wrong command-line arguments
    kExitDataErr = 65,      // EX_DATAERR: malformed input data (image, packet capture, JSON)
    kExitNoInput = 66,      // EX_NOINPUT: an input file does not exist or is unreadable
    kExitNoUser = 67,       // EX_NOUSER
    kExitNoHost = 68,       // EX_NOHOST
    kExitUnavailable = 69,  // EX_UNAVAILABLE: a peer (switch, factory, server) is unavailable
    kExitSoftware = 70,     // EX_SOFTWARE: internal error
    kExitOsErr = 71,        // EX_OSERR
    kExitCantCreate = 73,   // EX_CANTCREAT: an output file cannot be created
    kExitIoErr = 74,        // EX_IOERR
    kExitTempFail = 75,     // EX_TEMPFAIL: try again later (e.g. lock held)
    kExitNoPerm = 77,       // EX_NOPERM
    kExitConfig = 78,       // EX_CONFIG: the configuration tree is invalid
};
}  // namespace mb
