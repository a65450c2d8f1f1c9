#include "device/record.hpp"

#include "device/mac.hpp"

namespace mb::device {

std::string Record::id() const {
    if (!name.empty()) return name;
    if (!hostname.empty()) return hostname;
    if (auto m = Mac::parse(mac)) return m->dashed();
    return mac;
}

}  // namespace mb::device
