#include "ipxe/template.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::ipxe {

std::string render_template(std::string_view text, const Variables& vars, std::string_view source) {
    std::string out;
    out.reserve(text.size() + 256);
    size_t i = 0;
    while (i < text.size()) {
        const auto open = text.find("{{", i);
        if (open == std::string_view::npos) {
            out.append(text.substr(i));
            break;
        }
        out.append(text.substr(i, open - i));
        const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(open), '\n');
        const auto close = text.find("}}", open + 2);
        if (close == std::string_view::npos)
            throw config_error(std::string(source) + ":" + std::to_string(line) + ": unterminated '{{'");
        const auto name = trim(text.substr(open + 2, close - open - 2));
        auto it = vars.find(name);
        if (it == vars.end())
            throw config_error(std::string(source) + ":" + std::to_string(line) + ": unknown template variable " +
                               mb::quoted(name));
        out.append(it->second);
        i = close + 2;
    }
    return out;
}

}  // namespace mb::ipxe
