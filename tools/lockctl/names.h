// Resource, pool and token names: validation and generation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ciutils::lockctl {

// Names are 1..128 characters of [A-Za-z0-9._-]; `what` is "resource" or "pool".
// Throws UsageError naming what is wrong.
void validate_name(std::string_view name, std::string_view what);

// Lease tokens are 32 lowercase hex digits. Throws UsageError naming `flag`.
void validate_token(std::string_view token, std::string_view flag);

// A property key (`pool set-props R KEY=VALUE`): 1..64 of [A-Za-z0-9_], not starting with a
// digit. Throws UsageError naming the argument.
void validate_prop_key(std::string_view key, std::string_view argument);

// The environment variable part of a property key: upper case (`url` -> `URL`).
std::string prop_variable(std::string_view key);

// Items joined with a separator.
std::string join(const std::vector<std::string>& items, const char* sep);

// A fresh random token (128 bits from the kernel's CSPRNG).
std::string new_token();

}  // namespace ciutils::lockctl
