#include "net/edge/auth/token_store.hpp"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "runtime/base/files/read_file.hpp"

namespace aragora::edge {

std::string_view to_string(auth_errc x) {
  switch (x) {
    case auth_errc::bad_line: return "token_file_bad_line";
    case auth_errc::unknown_role: return "unknown_role";
    case auth_errc::bad_name: return "bad_token_name";
    case auth_errc::bad_token_hash: return "bad_token_hash";
    case auth_errc::bad_token_chars: return "bad_token_chars";
    case auth_errc::token_too_short: return "token_too_short";
    case auth_errc::duplicate_name: return "duplicate_token_name";
    case auth_errc::duplicate_token: return "duplicate_token";
    case auth_errc::token_file_permissions: return "token_file_permissions";
    case auth_errc::token_file_unreadable: return "token_file_unreadable";
  }
  return "unknown";
}

std::string hash_token(std::string_view token) {
  return crypto::to_hex(crypto::sha256(token));
}

bool valid_principal_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

size_t token_store::digest_hash::operator()(const crypto::sha256_digest& d) const noexcept {
  size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

bool token_store::digest_equal::operator()(const crypto::sha256_digest& a,
                                           const crypto::sha256_digest& b) const noexcept {
  return crypto::constant_time_equal(
      std::string_view{reinterpret_cast<const char*>(a.data()), a.size()},
      std::string_view{reinterpret_cast<const char*>(b.data()), b.size()});
}

token_store::token_store(size_t min_token_chars) : min_token_chars_(min_token_chars) {}

std::optional<auth_error> token_store::add_hashed(std::string name, role r,
                                                  std::string_view sha256_hex) {
  if (!valid_principal_name(name))
    return auth_error{auth_errc::bad_name,
                      "token entry: a name is 1-64 characters of A-Z a-z 0-9 _ . -"};
  auto origin = "configuration entry '" + name + "'";
  auto bytes = sha256_hex.size() == 64 ? crypto::from_hex(sha256_hex) : std::nullopt;
  if (!bytes)
    return auth_error{auth_errc::bad_token_hash,
                      origin + ": sha256 is not 64 hex digits (as hash-token prints it)"};
  if (auto it = origin_of_name_.find(name); it != origin_of_name_.end())
    return auth_error{auth_errc::duplicate_name, origin + ": the name is taken by " + it->second};
  crypto::sha256_digest d{};
  std::memcpy(d.data(), bytes->data(), d.size());
  if (auto it = by_digest_.find(d); it != by_digest_.end())
    return auth_error{auth_errc::duplicate_token,
                      origin + ": the same token as " + it->second.origin};
  origin_of_name_.emplace(name, origin);
  by_digest_.emplace(d, entry{principal{std::move(name), r}, std::move(origin)});
  return std::nullopt;
}

namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The fields of a line separated by blanks (at most 4: a fourth is already an error).
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size() && out.size() < 4) {
    while (i < line.size() && blank(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool visible_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

}  // namespace

std::optional<auth_error> token_store::load_text(std::string_view text, std::string_view source) {
  // Checked in full before anything is added, so a refused file leaves the store as it was.
  struct parsed {
    principal who;
    crypto::sha256_digest digest;
    uint32_t line;
  };
  std::vector<parsed> entries;
  std::unordered_map<std::string, uint32_t> names_here;
  std::unordered_map<crypto::sha256_digest, uint32_t, digest_hash, digest_equal> digests_here;
  auto at = [&](uint32_t n) { return std::string(source) + ":" + std::to_string(n) + ": "; };

  uint32_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    auto f = fields_of(line);
    if (f.empty() || f[0].front() == '#') continue;
    // Fields are never echoed: any of them may be a token written in the wrong place.
    if (f.size() != 3)
      return auth_error{auth_errc::bad_line,
                        at(line_no) + "expected three fields, name role token, found " +
                            (f.size() > 3 ? std::string("more") : std::to_string(f.size())),
                        line_no};
    if (!valid_principal_name(f[0]))
      return auth_error{auth_errc::bad_name,
                        at(line_no) + "a name is 1-64 characters of A-Z a-z 0-9 _ . -", line_no};
    auto r = parse_role(f[1]);
    if (!r)
      return auth_error{auth_errc::unknown_role,
                        at(line_no) + "the role is not one of read, write, admin", line_no};
    if (!visible_ascii(f[2]))
      return auth_error{auth_errc::bad_token_chars,
                        at(line_no) + "the token has a byte outside visible ASCII", line_no};
    if (f[2].size() < min_token_chars_)
      return auth_error{auth_errc::token_too_short,
                        at(line_no) + "the token is shorter than " +
                            std::to_string(min_token_chars_) + " characters",
                        line_no};
    std::string name(f[0]);
    if (auto it = names_here.find(name); it != names_here.end())
      return auth_error{auth_errc::duplicate_name,
                        at(line_no) + "the name is taken by line " + std::to_string(it->second),
                        line_no};
    if (auto it = origin_of_name_.find(name); it != origin_of_name_.end())
      return auth_error{auth_errc::duplicate_name,
                        at(line_no) + "the name is taken by " + it->second, line_no};
    auto d = crypto::sha256(f[2]);
    if (auto it = digests_here.find(d); it != digests_here.end())
      return auth_error{auth_errc::duplicate_token,
                        at(line_no) + "the same token as line " + std::to_string(it->second),
                        line_no};
    if (auto it = by_digest_.find(d); it != by_digest_.end())
      return auth_error{auth_errc::duplicate_token,
                        at(line_no) + "the same token as " + it->second.origin, line_no};
    names_here.emplace(name, line_no);
    digests_here.emplace(d, line_no);
    entries.push_back(parsed{principal{std::move(name), *r}, d, line_no});
  }

  for (auto& e : entries) {
    auto origin = "line " + std::to_string(e.line) + " of " + std::string(source);
    origin_of_name_.emplace(e.who.name, origin);
    by_digest_.emplace(e.digest, entry{std::move(e.who), std::move(origin)});
  }
  return std::nullopt;
}

std::optional<auth_error> token_store::load_file(const std::string& path, size_t max_bytes) {
  // The mode is checked on the path before reading (as ssh does for a key); stat follows a
  // symlink, so it is the target's mode that counts. This guards against a careless chmod, not
  // against someone who can replace the file between the two calls.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return auth_error{auth_errc::token_file_permissions,
                      path + ": permissions " + mode +
                          " are too open: group and others must have no access (chmod 600 " +
                          path + ")"};
  }
  auto text = files::read_file(path, max_bytes);
  if (!text)
    return auth_error{auth_errc::token_file_unreadable,
                      text.error().message + " (" + std::string(text.error().code_name()) + ")"};
  auto result = load_text(*text, path);
  OPENSSL_cleanse(text->data(), text->size());
  return result;
}

std::optional<principal> token_store::authenticate(std::string_view presented) const {
  auto it = by_digest_.find(crypto::sha256(presented));
  if (it == by_digest_.end()) return std::nullopt;
  return it->second.who;
}

}  // namespace aragora::edge
