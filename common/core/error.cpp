#include "core/error.hpp"

#include <cstring>

namespace mb {

Error io_error(const std::string& message, int errnum) {
    if (errnum == 0) return Error(kExitIoErr, message);
    return Error(kExitIoErr, message + ": " + std::strerror(errnum));
}

}  // namespace mb
