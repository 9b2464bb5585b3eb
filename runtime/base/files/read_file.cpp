#include "runtime/base/files/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace aragora::files {

std::string_view to_string(read_errc x) {
  switch (x) {
    case read_errc::not_found: return "file_not_found";
    case read_errc::not_regular: return "not_a_regular_file";
    case read_errc::too_large: return "file_too_large";
    case read_errc::unreadable: return "unreadable";
  }
  return "unknown";
}

namespace {

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

std::string size_text(size_t bytes) {
  if (bytes >= (size_t{1} << 20) && bytes % (size_t{1} << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

expected<std::string, read_errc> read_file(const std::string& path, size_t max_bytes) {
  auto fail = [&](read_errc code, std::string why) {
    return read_error{code, path + ": " + std::move(why)};
  };
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (f.fd < 0) {
    int e = errno;
    return fail(e == ENOENT || e == ENOTDIR ? read_errc::not_found : read_errc::unreadable,
                std::strerror(e));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return fail(read_errc::unreadable, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(read_errc::not_regular,
                S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return fail(read_errc::too_large, "larger than the limit of " + size_text(max_bytes));
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[64 * 1024];
  // The size may change while reading (or be 0 for /proc files): the cap holds either way.
  for (;;) {
    auto n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(read_errc::unreadable, std::strerror(errno));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes)
      return fail(read_errc::too_large, "larger than the limit of " + size_text(max_bytes));
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace aragora::files
