// Resource, pool and token names: validation and generation.
#pragma once

#include <string>
#include <string_view>

namespace ciutils::lockctl {

// Names are 1..128 characters of [A-Za-z0-9._-]; `what` is "resource" or "pool".
// Throws UsageError naming what is wrong.
void validate_name(std::string_view name, std::string_view what);

// Lease tokens are 32 lowercase hex digits. Throws UsageError naming `flag`.
void validate_token(std::string_view token, std::string_view flag);

// A fresh random token (128 bits from the kernel's CSPRNG).
std::string new_token();

}  // namespace ciutils::lockctl
