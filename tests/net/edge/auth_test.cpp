// Roles and the token store: pinned digests, constant-time comparison, every token-file error
// with its stable code and line (and no token in any message), the file-mode refusal.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "net/edge/auth/role.hpp"
#include "net/edge/auth/token_store.hpp"
#include "runtime/base/crypto/sha256.hpp"

namespace aragora::edge {
namespace {

constexpr std::string_view alice_token = "tok_alice_0123456789";
constexpr std::string_view alice_sha =
    "70b26687a27aa731a16b33f06f27dc72f0aa6b751d57b7d5692f27e755a3fe02";
constexpr std::string_view bob_token = "tok_bob_abcdefghijkl";

TEST(Role, IsHierarchical) {
  EXPECT_TRUE(permits(role::admin, role::admin));
  EXPECT_TRUE(permits(role::admin, role::write));
  EXPECT_TRUE(permits(role::admin, role::read));
  EXPECT_TRUE(permits(role::write, role::read));
  EXPECT_FALSE(permits(role::write, role::admin));
  EXPECT_FALSE(permits(role::read, role::write));
}

TEST(Role, ParsesExactNamesOnly) {
  for (role r : {role::read, role::write, role::admin}) EXPECT_EQ(parse_role(to_string(r)), r);
  EXPECT_EQ(to_string(role::write), "write");
  EXPECT_EQ(parse_role("Write"), std::nullopt);
  EXPECT_EQ(parse_role("owner"), std::nullopt);
  EXPECT_EQ(parse_role(""), std::nullopt);
  EXPECT_EQ(parse_role("read "), std::nullopt);
}

TEST(TokenStore, HashTokenIsPinnedSha256) {
  // FIPS 180-2's "abc" vector, and a token hashed by sha256sum.
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_token(alice_token), alice_sha);
}

TEST(TokenStore, DigestsCompareInConstantTimeAndExactly) {
  // The comparison the store uses: no early exit, so a mismatch in the first or the last byte
  // takes the same path; equality still has to be exact.
  auto a = crypto::sha256(alice_token);
  std::string_view va{reinterpret_cast<const char*>(a.data()), a.size()};
  std::string first(va), last(va);
  first.front() ^= 1;
  last.back() ^= 0x80;
  EXPECT_TRUE(crypto::constant_time_equal(va, std::string(va)));
  EXPECT_FALSE(crypto::constant_time_equal(va, first));
  EXPECT_FALSE(crypto::constant_time_equal(va, last));
  EXPECT_FALSE(crypto::constant_time_equal(va, va.substr(0, 31)));

  token_store s;
  ASSERT_FALSE(s.add_hashed("alice", role::write, alice_sha));
  std::string near(alice_token);
  near.back() = '8';
  EXPECT_FALSE(s.authenticate(near));
  EXPECT_FALSE(s.authenticate(alice_token.substr(0, alice_token.size() - 1)));
  EXPECT_TRUE(s.authenticate(alice_token));
}

TEST(TokenStore, AuthenticatesAHashedEntry) {
  token_store s;
  EXPECT_TRUE(s.empty());
  // Upper-case hex as some tools print it.
  std::string upper(alice_sha);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_FALSE(s.add_hashed("alice", role::write, upper));
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.authenticate(alice_token), (principal{"alice", role::write}));
  EXPECT_EQ(s.authenticate(bob_token), std::nullopt);
  EXPECT_EQ(s.authenticate(""), std::nullopt);
  EXPECT_EQ(s.authenticate(alice_sha), std::nullopt);  // the digest is not the token
}

TEST(TokenStore, RefusesBadHashedEntries) {
  token_store s;
  auto code_of = [&](std::string name, std::string_view hex) {
    auto e = s.add_hashed(std::move(name), role::read, hex);
    return e ? e->code : auth_errc{};
  };
  EXPECT_EQ(code_of("alice", alice_sha.substr(1)), auth_errc::bad_token_hash);
  EXPECT_EQ(code_of("alice", std::string(alice_sha) + "0"), auth_errc::bad_token_hash);
  EXPECT_EQ(code_of("alice", std::string(63, '0') + "g"), auth_errc::bad_token_hash);
  EXPECT_EQ(code_of("al ice", alice_sha), auth_errc::bad_name);
  EXPECT_EQ(code_of("", alice_sha), auth_errc::bad_name);
  EXPECT_EQ(code_of(std::string(65, 'a'), alice_sha), auth_errc::bad_name);
  EXPECT_EQ(code_of("alice", alice_sha), auth_errc{});
  EXPECT_EQ(code_of("alice", hash_token(bob_token)), auth_errc::duplicate_name);
  EXPECT_EQ(code_of("alice2", alice_sha), auth_errc::duplicate_token);
  EXPECT_EQ(s.size(), 1u);
  auto e = s.add_hashed("alice2", role::read, alice_sha);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code_name(), "duplicate_token");
  EXPECT_NE(e->message.find("configuration entry 'alice'"), std::string::npos) << e->message;
}

TEST(TokenStore, LoadsATokenFileSkippingCommentsAndBlankLines) {
  token_store s;
  std::string text = "# name role token\n"
                     "\n"
                     "alice write " + std::string(alice_token) + "\r\n"
                     "   # indented comment\n"
                     "\tbob\tadmin\t" + std::string(bob_token) + "   \n"
                     "carol read tok_carol_#_not_a_comment";  // no final newline
  ASSERT_FALSE(s.load_text(text, "tokens.txt"));
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.authenticate(alice_token), (principal{"alice", role::write}));
  EXPECT_EQ(s.authenticate(bob_token), (principal{"bob", role::admin}));
  EXPECT_EQ(s.authenticate("tok_carol_#_not_a_comment"), (principal{"carol", role::read}));
}

struct bad_file {
  std::string text;
  auth_errc code;
  std::string_view code_name;
  uint32_t line;
};

TEST(TokenStore, RefusesEachBadTokenFileLineWithItsCodeAndLine) {
  const std::string a(alice_token), b(bob_token);
  const std::vector<bad_file> cases{
      {"# x\nalice write\n", auth_errc::bad_line, "token_file_bad_line", 2},
      {"alice write " + a + " extra\n", auth_errc::bad_line, "token_file_bad_line", 1},
      {"alice write " + a + " # trailing comment\n", auth_errc::bad_line, "token_file_bad_line", 1},
      {"\n\n" + a + "\n", auth_errc::bad_line, "token_file_bad_line", 3},
      {"alice owner " + a + "\n", auth_errc::unknown_role, "unknown_role", 1},
      // Fields in the wrong order: the token lands in the role field.
      {"alice " + a + " write\n", auth_errc::unknown_role, "unknown_role", 1},
      {"al/ice write " + a + "\n", auth_errc::bad_name, "bad_token_name", 1},
      {"alice write tok_\x01_control_chars\n", auth_errc::bad_token_chars, "bad_token_chars", 1},
      {"alice write tok_\xc3\xa9_not_ascii_at_all\n", auth_errc::bad_token_chars,
       "bad_token_chars", 1},
      {"x read " + a + "\nalice write 0123456789abcde\n", auth_errc::token_too_short,
       "token_too_short", 2},
      {"alice write " + a + "\n# c\nalice read " + b + "\n", auth_errc::duplicate_name,
       "duplicate_token_name", 3},
      {"alice write " + a + "\nbob read " + a + "\n", auth_errc::duplicate_token,
       "duplicate_token", 2},
  };
  for (const auto& c : cases) {
    token_store s;
    auto e = s.load_text(c.text, "tokens.txt");
    ASSERT_TRUE(e) << c.text;
    EXPECT_EQ(e->code, c.code) << c.text;
    EXPECT_EQ(e->code_name(), c.code_name) << c.text;
    EXPECT_EQ(e->line, c.line) << c.text;
    EXPECT_NE(e->message.find("tokens.txt:" + std::to_string(c.line) + ": "), std::string::npos)
        << e->message;
    // Never a token, nor any field of the line.
    for (std::string_view secret : {alice_token, bob_token, std::string_view{"0123456789abcde"},
                                    std::string_view{"control_chars"}, std::string_view{"owner"},
                                    std::string_view{"al/ice"}})
      EXPECT_EQ(e->message.find(secret), std::string::npos) << e->message;
    EXPECT_TRUE(s.empty()) << "a refused file adds nothing: " << c.text;
  }
}

TEST(TokenStore, ExactlyTheMinimumLengthIsAcceptedAndTheMinimumIsAParameter) {
  token_store s;
  EXPECT_FALSE(s.load_text("alice write 0123456789abcdef\n", "f"));  // 16 characters
  token_store strict{20};
  auto e = strict.load_text("alice write 0123456789abcdef\n", "f");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, auth_errc::token_too_short);
  EXPECT_NE(e->message.find("20 characters"), std::string::npos) << e->message;
}

TEST(TokenStore, DuplicatesAcrossConfigurationAndFileAreRefused) {
  token_store s;
  ASSERT_FALSE(s.add_hashed("alice", role::admin, alice_sha));
  auto same_token = s.load_text("ops write " + std::string(alice_token) + "\n", "f");
  ASSERT_TRUE(same_token);
  EXPECT_EQ(same_token->code, auth_errc::duplicate_token);
  EXPECT_EQ(same_token->line, 1u);
  auto same_name = s.load_text("bob read " + std::string(bob_token) + "\nalice read " +
                                   "another_token_123456\n",
                               "f");
  ASSERT_TRUE(same_name);
  EXPECT_EQ(same_name->code, auth_errc::duplicate_name);
  EXPECT_EQ(same_name->line, 2u);
  EXPECT_EQ(s.size(), 1u);  // bob, on the refused file's first line, was not added
  EXPECT_FALSE(s.authenticate(bob_token));
  // And a file's entries count for later YAML entries.
  ASSERT_FALSE(s.load_text("bob read " + std::string(bob_token) + "\n", "f"));
  auto e = s.add_hashed("bob2", role::read, hash_token(bob_token));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, auth_errc::duplicate_token);
  EXPECT_NE(e->message.find("line 1 of f"), std::string::npos) << e->message;
}

class TokenFile : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aragora-auth-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    auto path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  std::string dir_;
};

TEST_F(TokenFile, LoadsAFileOnlyItsOwnerCanRead) {
  auto text = "alice write " + std::string(alice_token) + "\n";
  for (mode_t ok : {0600, 0400}) {
    token_store s;
    auto e = s.load_file(write("ok", text, ok));
    EXPECT_FALSE(e) << e->message;
    EXPECT_EQ(s.authenticate(alice_token), (principal{"alice", role::write}));
  }
}

TEST_F(TokenFile, RefusesAFileGroupOrOthersCanAccess) {
  auto text = "alice write " + std::string(alice_token) + "\n";
  for (mode_t open : {0644, 0640, 0604, 0620, 0602, 0610}) {
    token_store s;
    auto path = write("open", text, open);
    auto e = s.load_file(path);
    ASSERT_TRUE(e) << std::oct << open;
    EXPECT_EQ(e->code, auth_errc::token_file_permissions);
    EXPECT_EQ(e->code_name(), "token_file_permissions");
    EXPECT_NE(e->message.find(path), std::string::npos) << e->message;
    EXPECT_NE(e->message.find("chmod 600"), std::string::npos) << e->message;
    EXPECT_EQ(e->message.find(alice_token), std::string::npos) << e->message;
    EXPECT_TRUE(s.empty());
  }
  token_store s;
  auto e = s.load_file(write("open", text, 0644));
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("0644"), std::string::npos) << e->message;
}

TEST_F(TokenFile, NamesTheFileAndLineOfABadLine) {
  token_store s;
  auto path = write("bad", "# ok\nalice write short\n", 0600);
  auto e = s.load_file(path);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, auth_errc::token_too_short);
  EXPECT_EQ(e->line, 2u);
  EXPECT_EQ(e->message.rfind(path + ":2: ", 0), 0u) << e->message;
}

TEST_F(TokenFile, RefusesWhatCannotBeRead) {
  token_store s;
  auto e = s.load_file(dir_ + "/missing");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, auth_errc::token_file_unreadable);
  EXPECT_NE(e->message.find("file_not_found"), std::string::npos) << e->message;
  auto big = write("big", std::string(100, '#') + "\n", 0600);
  e = s.load_file(big, 50);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, auth_errc::token_file_unreadable);
  e = s.load_file(dir_);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, auth_errc::token_file_unreadable);
}

TEST(AuthErrc, CodesAreStable) {
  EXPECT_EQ(to_string(auth_errc::bad_line), "token_file_bad_line");
  EXPECT_EQ(to_string(auth_errc::unknown_role), "unknown_role");
  EXPECT_EQ(to_string(auth_errc::bad_name), "bad_token_name");
  EXPECT_EQ(to_string(auth_errc::bad_token_hash), "bad_token_hash");
  EXPECT_EQ(to_string(auth_errc::bad_token_chars), "bad_token_chars");
  EXPECT_EQ(to_string(auth_errc::token_too_short), "token_too_short");
  EXPECT_EQ(to_string(auth_errc::duplicate_name), "duplicate_token_name");
  EXPECT_EQ(to_string(auth_errc::duplicate_token), "duplicate_token");
  EXPECT_EQ(to_string(auth_errc::token_file_permissions), "token_file_permissions");
  EXPECT_EQ(to_string(auth_errc::token_file_unreadable), "token_file_unreadable");
}

}  // namespace
}  // namespace aragora::edge
