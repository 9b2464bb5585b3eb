#pragma once
// The web page's files (net/edge/web/), compiled into the binary at build time
// (cmake/embed_assets.cmake): the page works from any directory, with nothing to install.

#include <optional>
#include <string_view>

namespace aragora::edge {

struct asset {
  std::string_view bytes;
  std::string_view content_type;
};

/// "index.html", "app.js", "style.css"; nullopt for any other name.
[[nodiscard]] std::optional<asset> find_asset(std::string_view name);

}  // namespace aragora::edge
