#include "cli/byte_size_internal.h"
#include "fsspeckit/memory/byte_text.h"

#include <gtest/gtest.h>

#include "testing/status_assertions.h"

namespace fsspeckit::cli {
namespace {

TEST(ByteSizeTest, ParsesUnitsAsBinaryMultiples) {
  ASSERT_OK_AND_ASSIGN(int64_t a, ParseByteSize("1GiB"));
  EXPECT_EQ(a, int64_t{1} << 30);
  ASSERT_OK_AND_ASSIGN(int64_t b, ParseByteSize("1.5gb"));
  EXPECT_EQ(b, (int64_t{3} << 30) / 2);
  ASSERT_OK_AND_ASSIGN(int64_t c, ParseByteSize("512 MiB"));
  EXPECT_EQ(c, int64_t{512} << 20);
  ASSERT_OK_AND_ASSIGN(int64_t d, ParseByteSize("64k"));
  EXPECT_EQ(d, 64 * 1024);
  ASSERT_OK_AND_ASSIGN(int64_t e, ParseByteSize("100B"));
  EXPECT_EQ(e, 100);
}

TEST(ByteSizeTest, BareNumberIsMiB) {
  ASSERT_OK_AND_ASSIGN(int64_t bytes, ParseByteSize("2048"));
  EXPECT_EQ(bytes, int64_t{2048} << 20);
}

TEST(ByteSizeTest, RejectsNonsenseWithAHint) {
  for (const char* bad : {"", "GiB", "12XB", "1.2.3", "-5", "1e400"}) {
    auto result = ParseByteSize(bad);
    ASSERT_RAISES(Invalid, result.status());
    EXPECT_NE(result.status().message().find("e.g. 512MiB"), std::string::npos) << bad;
  }
}

TEST(ByteSizeTest, FormatsWithTheLargestFittingUnit) {
  EXPECT_EQ(memory::ByteSizeText(100), "100 B");
  EXPECT_EQ(memory::ByteSizeText(int64_t{512} << 20), "512.0 MiB");
  EXPECT_EQ(memory::ByteSizeText((int64_t{3} << 30) / 2), "1.50 GiB");
}

}  // namespace
}  // namespace fsspeckit::cli
