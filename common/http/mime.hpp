#pragma once
// Content-Type by file name extension (case-insensitive). `application/efi` for EFI binaries (UEFI
// HTTP boot checks it), text types with charset, application/octet-stream for everything unknown
// (kernels, initrds, raw images).
#include <string_view>

namespace mb::http {

std::string_view content_type_for(std::string_view file_name);

}  // namespace mb::http
