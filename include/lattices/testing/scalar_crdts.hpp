#pragma once
// rc::Arbitrary and DeltaCrdtModel specializations (filled in with the types).
#include "lattices/testing.hpp"
