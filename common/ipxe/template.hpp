#pragma once
// A deliberately small template engine for iPXE scripts: "{{name}}" (spaces inside the braces
// allowed) is replaced by the variable's text, verbatim — no HTML or shell escaping, because iPXE
// reads URLs with '&' and '?' as they are. Everything else, including iPXE's own ${var}
// expansions, passes through untouched. An unknown name is an error naming the template and
// line, so a typo in templates/ipxe/*.ipxe is reported instead of booting a broken script.
#include <map>
#include <string>
#include <string_view>

namespace mb::ipxe {

using Variables = std::map<std::string, std::string, std::less<>>;

// Throws mb::Error(kExitConfig) "<source>:<line>: unknown template variable 'x'" or for an
// unterminated "{{".
std::string render_template(std::string_view text, const Variables& vars, std::string_view source);

}  // namespace mb::ipxe
