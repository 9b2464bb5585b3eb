// `aragora backup` and `aragora restore`: a store's backups (storage/backup.hpp) from the command
// line. A running node's store is backed up through the node (`aragora-admin backup`), which
// holds it open: this command opens the store itself, so it backs up one no process holds.

#include <cstdio>
#include <iostream>
#include <string_view>

#include "runtime/cli/commands.hpp"
#include "runtime/cli/storage_options.hpp"
#include "storage/backup.hpp"

namespace aragora::cli {

namespace {

int print_backup_error(const storage::backup_error& e) {
  return print_error(exit_failed, to_string(e.code), e.message);
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string json_of(const storage::backup_info& b) {
  return "{\"id\":" + std::to_string(b.id) + ",\"timestamp\":" + std::to_string(b.timestamp) +
         ",\"bytes\":" + std::to_string(b.bytes) + ",\"files\":" + std::to_string(b.files) +
         ",\"damaged\":" + (b.damaged ? "true" : "false") + "}";
}

void print_row(const storage::backup_info& b) {
  if (b.damaged) {
    std::cout << "backup " << b.id << ": damaged (a file is missing or its metadata unreadable)\n";
    return;
  }
  std::cout << "backup " << b.id << ": taken at " << b.timestamp << " (unix s), " << b.files << " files, "
            << b.bytes << " bytes\n";
}

constexpr int64_t max_id = 0xffffffffLL;

}  // namespace

int run_backup(const backup_options& o, const config::node_config& cfg) {
  if (o.out.empty()) return print_error(exit_usage, "bad_usage", "aragora backup needs --out BACKUP_DIR");
  if (o.list) {
    auto all = storage::list_backups(o.out);
    if (!all) return print_backup_error(all.error());
    if (o.json) {
      std::string out = "{\"backups\":[";
      for (size_t i = 0; i < all->size(); ++i) out += (i ? "," : "") + json_of((*all)[i]);
      std::cout << out << "]}\n";
    } else {
      if (all->empty()) std::cout << "no backups in " << o.out << "\n";
      for (const auto& b : *all) print_row(b);
    }
    return exit_ok;
  }
  if (o.keep < 0 || o.keep > max_id) return print_error(exit_usage, "bad_usage", "--keep is 0 (all) or more, up to 4294967295");
  auto db = open_store(o.data_dir, cfg, storage::open_mode::existing);
  if (!db) {
    std::cerr << "(a store a running node holds is backed up through the node: aragora-admin backup)\n";
    return exit_failed;
  }
  auto b = storage::create_backup(*db, o.out, static_cast<uint32_t>(o.keep));
  if (!b) return print_backup_error(b.error());
  if (o.json) std::cout << json_of(*b) << "\n";
  else print_row(*b);
  return exit_ok;
}

int run_restore(const restore_options& o) {
  if (o.from.empty() || o.data_dir.empty())
    return print_error(exit_usage, "bad_usage", "aragora restore needs --from BACKUP_DIR and --data-dir NEW_DIR");
  if (o.id && (*o.id < 1 || *o.id > max_id))
    return print_error(exit_usage, "bad_usage", "--id is a backup's id (1 .. 4294967295)");
  std::optional<uint32_t> id;
  if (o.id) id = static_cast<uint32_t>(*o.id);
  auto b = storage::restore_backup(o.from, id, o.data_dir);
  if (!b) return print_backup_error(b.error());
  if (o.json) {
    std::cout << "{\"restored\":" << json_of(*b) << ",\"data_dir\":" << json_string(o.data_dir) << "}\n";
  } else {
    std::cout << "restored backup " << b->id << " into " << o.data_dir << "\n";
  }
  return exit_ok;
}

}  // namespace aragora::cli
