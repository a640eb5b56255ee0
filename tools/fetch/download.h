// `fetch URL`: one download (with retries, the cache and resume) unpacked into a staging
// directory or saved to a file, verified, then published.
#pragma once

#include "archive_reader.h"
#include "fetch_options.h"

#include <chrono>
#include <functional>
#include <string>

namespace ciutils::fetch {

struct GetResult {
  std::string destination;  // "-" for stdout
  std::string url;          // redacted
  std::string sha256;
  std::uint64_t downloaded = 0;
  bool extracted = false;
  bool from_cache = false;
  // --cache with --replace: the destination already held this archive's tree, untouched,
  // so nothing was extracted (extract is the recorded manifest).
  bool up_to_date = false;
  // With --cache: why the destination was extracted again, or why no tree record was
  // written (for -v).
  std::string tree_note;
  // Why the cache was skipped (disk full, unwritable): the fetch itself succeeded.
  std::string cache_warning;
  // Stale staging areas of dead fetch processes removed from the destination's parent.
  std::vector<std::string> removed_staging;
  ExtractResult extract;
};

// Hears each wait before a retry: attempt number (1-based), the wait and the reason.
using RetryNotice = std::function<void(int attempt, std::chrono::milliseconds wait, const std::string& why)>;

// Hears each switch to a mirror: why the last URL failed, the mirror tried next and its
// number (1-based, in --mirror order).
using MirrorNotice = std::function<void(const std::string& why, const std::string& mirror, int number)>;

// Fetches options.url, else its mirrors in order (each with its own retries) when a URL
// fails with exit 3 or a --sha256 mismatch; --deadline bounds the whole.
GetResult run_get(const GetOptions& options, const RetryNotice& notice, const MirrorNotice& mirror_notice);

// Calls attempt(n) for n = 0.. until it returns, retrying a retryable TransferError up to
// net.retries times with backoff (or the server's Retry-After) within net.deadline.
void with_retries(const NetOptions& net, std::chrono::steady_clock::time_point started, const RetryNotice& notice,
                  const std::function<void(int)>& attempt);

// What is left of net.deadline, if one was set; ServiceError once it has passed.
std::optional<std::chrono::milliseconds> remaining_time(const NetOptions& net,
                                                        std::chrono::steady_clock::time_point started);

}  // namespace ciutils::fetch
