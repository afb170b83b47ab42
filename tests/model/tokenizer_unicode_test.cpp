// UTF-8 repair and NFC normalization used by the BPE tokenizer.
#include <gtest/gtest.h>

#include <string>

#include "model/tokenizer_unicode.hpp"

namespace leadrl::model::unicode {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

TEST(unicode_utf8, decode_and_append_round_trip_every_scalar_value) {
  for (char32_t cp = 0; cp < 0x110000; cp += (cp < 0x3000 ? 1 : 97)) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s;
    append_utf8(s, cp);
    char32_t back = 0;
    ASSERT_EQ(decode_utf8(s, 0, back), s.size()) << std::hex << cp;
    ASSERT_EQ(back, cp);
  }
}

TEST(unicode_utf8, ill_formed_sequences_become_one_replacement_each) {
  EXPECT_TRUE(is_valid_utf8("plain ascii, é, 日本, 🚀"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE6\x97"));          // truncated
  EXPECT_EQ(sanitize_utf8("ok"), "ok");
  EXPECT_EQ(sanitize_utf8("a\x80z"), "a" + fffd + "z");
  // A truncated sequence is one maximal subpart; the byte that broke it starts anew.
  EXPECT_EQ(sanitize_utf8("\xE6\x97z"), fffd + "z");
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x9A"), fffd);
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x9A\xF0\x9F\x9A\x80"), fffd + "🚀");
  // Bytes that can never start a sequence: one replacement per byte.
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), fffd + fffd);
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), fffd + fffd + fffd);
  EXPECT_EQ(sanitize_utf8("\xFF"), fffd);
}

TEST(unicode_nfc, composes_and_reorders_canonically) {
  EXPECT_EQ(nfc("re\xCC\x81sume\xCC\x81"), "résumé");  // e + U+0301
  EXPECT_EQ(nfc("A\xCC\x8A"), "Å");                    // A + ring above -> U+00C5
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "Å");                 // U+212B ANGSTROM SIGN is a singleton
  EXPECT_EQ(nfc("ﬁnance"), "ﬁnance");                  // compatibility ligature untouched by NFC
  // U+1E0B U+0323 (d dot above + dot below) -> U+1E0D U+0307: dot below (220) sorts first.
  EXPECT_EQ(nfc("\xE1\xB8\x8B\xCC\xA3"), "\xE1\xB8\x8D\xCC\x87");
  // Hangul: L + V + T jamo compose to one syllable; a syllable stays.
  EXPECT_EQ(nfc("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "한");
  EXPECT_EQ(nfc("한국어"), "한국어");
  // A composition exclusion (U+0958 DEVANAGARI QA) stays decomposed.
  EXPECT_EQ(nfc("\xE0\xA5\x98"), "\xE0\xA4\x95\xE0\xA4\xBC");
  // A blocked mark does not compose: a + grave(230) + acute(230) -> à + acute.
  EXPECT_EQ(nfc("a\xCC\x80\xCC\x81"), "\xC3\xA0\xCC\x81");
  EXPECT_EQ(nfc("plain text 12345"), "plain text 12345");
  EXPECT_EQ(combining_class(0x301), 230);
  EXPECT_EQ(combining_class('a'), 0);
}

}  // namespace
}  // namespace leadrl::model::unicode
