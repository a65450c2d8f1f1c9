// The Catch2 runner for mb-unit; each *_test.cpp beside it holds the tests of one module or class.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
