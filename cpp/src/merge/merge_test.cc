#include <gtest/gtest.h>
#include "fsspeckit/merge/merge.h"
TEST(MergeBuild, Links) {}
