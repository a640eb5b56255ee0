#include "download.h"

#include "byte_source.h"
#include "cache.h"
#include "http_source.h"
#include "s3.h"
#include "ciutils/sha256.h"
#include "signals.h"
#include "staging.h"
#include "tree_record.h"
#include "tree_walk.h"

#include <ciutils/cli.h>
#include <ciutils/http.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace ciutils::fetch {

namespace {

constexpr std::string_view k_empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::chrono::seconds k_max_retry_after{120};

// Hands out a chunk already read from the inner source first, then the rest of it.
class PeekedSource : public ByteSource {
public:
  PeekedSource(ByteSource& inner, std::span<const char> first) : m_inner(inner), m_first(first) {}
  std::span<const char> read() override {
    if (!m_given) {
      m_given = true;
      return m_first;
    }
    return m_inner.read();
  }
  std::optional<std::uint64_t> size() const override { return m_inner.size(); }
  std::uint64_t start_offset() const override { return m_inner.start_offset(); }
  void cancel() override { m_inner.cancel(); }

private:
  ByteSource& m_inner;
  std::span<const char> m_first;
  bool m_given = false;
};

// One attempt's source: the network, or the cache when it has the bytes.
struct Opened {
  std::unique_ptr<ByteSource> source;
  std::unique_ptr<ByteSource> peeked;
  HttpSource* http = nullptr;
  bool cached = false;
  std::string cache_key;  // the object's hash when cached
  ByteSource& use() { return peeked ? *peeked : *source; }
};

Opened open_source(const GetOptions& o, std::chrono::steady_clock::time_point started, const Cache* cache,
                   std::uint64_t range_start, const std::string& if_range) {
  Opened opened;
  std::string scheme = url_scheme(o.url);
  std::optional<CachedUrl> validators;
  if (cache && range_start == 0) {
    if (o.sha256 && cache->object(*o.sha256)) {
      opened.source = std::make_unique<FileSource>(cache->object(*o.sha256)->string());
      opened.cached = true;
      opened.cache_key = *o.sha256;
      return opened;
    }
    if (auto entry = cache->lookup(o.url); entry && cache->object(entry->sha256)) validators = entry;
  }
  if (scheme == "file") {
    opened.source = std::make_unique<FileSource>(file_url_path(o.url), range_start);
    return opened;
  }
  HttpGet get;
  get.url = o.url;
  if (scheme == "s3") {
    S3Request s3 = s3_request(o.url, std::string(k_empty_sha256), o.net.s3);
    get.url = s3.url;
    get.display_url = o.url;
    get.aws_sigv4 = s3.sigv4;
    get.userpwd = s3.userpwd;
    get.headers = s3.headers;
  }
  get.net = &o.net;
  get.connect_timeout = o.net.connect_timeout;
  get.stall_timeout = o.net.stall_timeout;
  get.timeout = remaining_time(o.net, started);
  get.range_start = range_start;
  get.if_range = if_range;
  get.max_download = o.budgets.max_download > range_start ? o.budgets.max_download - range_start : 1;
  if (validators) {
    if (!validators->etag.empty()) get.headers.push_back("If-None-Match: " + validators->etag);
    if (!validators->last_modified.empty()) get.headers.push_back("If-Modified-Since: " + validators->last_modified);
    get.allow_not_modified = true;
  }
  auto http = std::make_unique<HttpSource>(std::move(get));
  opened.http = http.get();
  opened.source = std::move(http);
  if (validators) {
    auto first = opened.source->read();
    if (first.empty() && opened.http->not_modified()) {
      opened.source = std::make_unique<FileSource>(cache->object(validators->sha256)->string());
      opened.http = nullptr;
      opened.cached = true;
      opened.cache_key = validators->sha256;
    } else {
      opened.peeked = std::make_unique<PeekedSource>(*opened.source, first);
    }
  }
  return opened;
}

void remember_in_cache(const Cache& cache, const GetOptions& o, HttpSource* http, const std::string& sha) {
  if (!http) return;
  CachedUrl entry{sha, http->header("etag").value_or(""), http->header("last-modified").value_or("")};
  if (!entry.etag.empty() || !entry.last_modified.empty()) cache.remember(o.url, entry);
}

// The validator a resumed request names in If-Range: the ETag, else Last-Modified.
std::string response_validator(const HttpSource& http) {
  return http.header("etag").value_or(http.header("last-modified").value_or(""));
}

// Why a response to a Range request for bytes `written`- cannot continue the partial file
// ("" when it can): a 206 must start exactly there and carry the validator the partial file
// was started with (a server may ignore If-Range). A 200 is a restart the caller handles.
std::string resume_mismatch(const Opened& opened, std::uint64_t written, const std::string& validator) {
  if (!opened.http || written == 0 || opened.http->status() != 206) return "";
  if (opened.http->start_offset() != written)
    return "the server answered the Range request from byte " + std::to_string(opened.http->start_offset()) +
           " instead of " + std::to_string(written);
  std::string now = validator.starts_with('"') || validator.starts_with("W/")
                        ? opened.http->header("etag").value_or("")
                        : opened.http->header("last-modified").value_or("");
  if (now != validator) return "the file changed on the server (" + validator + " became " + now + ")";
  return "";
}

// A cache writer, or none (with a warning) when the cache cannot take one.
std::unique_ptr<Cache::Writer> cache_writer(const Cache& cache, GetResult& result) {
  try {
    return cache.writer();
  } catch (const Error& e) {
    result.cache_warning = std::string("cache skipped: ") + e.what();
    return nullptr;
  }
}

// Names the downloaded object in the cache; a failure (disk full) only costs the cache.
void store_in_cache(const Cache& cache, const GetOptions& o, Cache::Writer& writer, HttpSource* http,
                    GetResult& result) {
  try {
    writer.commit(result.sha256);
    remember_in_cache(cache, o, http, result.sha256);
  } catch (const Error& e) {
    result.cache_warning = std::string("cache skipped: ") + e.what();
  }
}

// Bytes that are not the ones --sha256 names: another mirror may have the right ones.
struct ChecksumMismatch : IntegrityError {
  using IntegrityError::IntegrityError;
};

[[noreturn]] void checksum_mismatch(const std::string& url, const std::string& expected, const std::string& got) {
  throw ChecksumMismatch("sha256 mismatch for " + url + ": expected " + expected + ", got " + got +
                       "; nothing was published");
}

// The recorded manifest when the destination still holds the tree fetch published there
// from this archive with these options.
std::optional<ExtractResult> unchanged_tree(const Cache& cache, const GetOptions& o, const std::string& sha256,
                                            std::string& why) {
  std::string key = tree_key(o.output);
  auto text = cache.tree_record(key);
  if (!text) {
    why = "no tree record for it in the cache";
    return std::nullopt;
  }
  auto record = parse_tree_record(*text);
  if (!record || record->destination != key) {
    why = "its tree record is damaged";
    return std::nullopt;
  }
  if (record->sha256 != sha256) {
    why = "it holds another archive (" + record->sha256 + ")";
    return std::nullopt;
  }
  if (record->strip_components != o.strip_components) {
    why = "it was extracted with --strip-components " + std::to_string(record->strip_components);
    return std::nullopt;
  }
  return check_tree(*record, o.output, why);
}

// After a publish with --cache: records the tree for the next run (best effort).
void record_tree(const Cache& cache, const GetOptions& o, const TreeSnapshot& snapshot, GetResult& result) {
  try {
    auto record = snapshot.record(result.sha256, o.strip_components, result.extract);
    if (!record) {
      result.tree_note = "no tree record written: '" + o.output + "' changed during the publish";
      return;
    }
    cache.store_tree_record(record->destination, tree_record_json(*record));
  } catch (const Error& e) {
    result.tree_note = std::string("no tree record written: ") + e.what();
  }
}

void extract_to(const GetOptions& o, GetResult& result, const Cache* cache, Progress& progress,
                const RetryNotice& notice, std::chrono::steady_clock::time_point started) {
  std::optional<Staging> staging;
  struct stat st {};
  // Tree records do not hold --include/--exclude: with filters, every run extracts.
  bool check_tree = cache && o.replace && o.filter.empty() && lstat(o.output.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  with_retries(o.net, started, notice, [&](int) {
    Opened opened = open_source(o, started, cache, 0, "");
    if (check_tree && opened.cached) {
      check_tree = false;
      std::string why;
      if (auto manifest = unchanged_tree(*cache, o, opened.cache_key, why)) {
        result.extract = std::move(*manifest);
        result.sha256 = opened.cache_key;
        result.downloaded = 0;
        result.from_cache = true;
        result.up_to_date = true;
        return;
      }
      result.tree_note = "'" + o.output + "' extracted again: " + why;
    }
    if (staging)
      staging->reset();
    else
      staging.emplace(o.output, Staging::Kind::directory);
    std::unique_ptr<Cache::Writer> writer;
    if (cache && !opened.cached && opened.http) writer = cache_writer(*cache, result);
    DownloadStream stream(opened.use(), o.budgets.max_download, &progress, writer ? writer->fd() : -1);
    result.extract = extract_archive(stream, staging->path(), o.budgets, o.strip_components, o.filter, o.json || cache,
                                     result.url);
    progress.finish();
    result.sha256 = stream.sha256();
    result.downloaded = stream.bytes();
    result.from_cache = opened.cached;
    if (opened.cached && result.sha256 != opened.cache_key) {
      cache->forget_object(opened.cache_key);
      throw TransferError("cache object " + opened.cache_key + " was damaged; removed it", true);
    }
    if (writer && stream.tee_failed()) result.cache_warning = "cache skipped: " + stream.tee_error();
    if (writer && !stream.tee_failed() && (!o.sha256 || *o.sha256 == result.sha256))
      store_in_cache(*cache, o, *writer, opened.http, result);
  });
  if (o.sha256 && *o.sha256 != result.sha256) checksum_mismatch(result.url, *o.sha256, result.sha256);
  if (result.up_to_date) return;
  std::optional<TreeSnapshot> snapshot;
  if (cache && o.filter.empty()) {
    try {
      snapshot.emplace(staging->path(), o.output);
    } catch (const Error& e) {
      result.tree_note = std::string("no tree record written: ") + e.what();
    }
  }
  staging->publish(o.replace);
  if (snapshot) record_tree(*cache, o, *snapshot, result);
}

void save_to(const GetOptions& o, GetResult& result, const Cache* cache, Progress& progress,
             const RetryNotice& notice, std::chrono::steady_clock::time_point started) {
  bool to_stdout = o.output == "-";
  std::optional<Staging> staging;
  UniqueFd file;
  int fd = STDOUT_FILENO;
  if (!to_stdout) {
    staging.emplace(o.output, Staging::Kind::file);
    file = UniqueFd(open(staging->path().c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file.valid()) throw Error(ExitCode::tool_failed, "cannot open '" + staging->path().string() + "': " + std::strerror(errno));
    fd = file.get();
  }
  Sha256 hash;
  std::uint64_t written = 0;
  std::string validator;  // of the response the bytes written so far came from
  std::unique_ptr<Cache::Writer> writer;
  bool can_resume = url_scheme(o.url) == "file";
  auto start_over = [&](const std::string& why) {
    if (to_stdout) throw TransferError("GET " + result.url + ": cannot resume: " + why, false);
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
      throw Error(ExitCode::tool_failed, "cannot truncate '" + staging->path().string() + "'");
    if (writer) writer->restart();
    hash.reset();
    written = 0;
    validator.clear();
  };
  with_retries(o.net, started, notice, [&](int) {
    // Without a validator, a Range request could stitch two versions of the file together.
    if (written > 0 && validator.empty() && !can_resume) start_over("the server sent no ETag or Last-Modified");
    Opened opened = open_source(o, started, cache, written, validator);
    // Bytes on stdout cannot be taken back: a cached object is verified before it is sent.
    if (to_stdout && opened.cached && !cache->object_intact(opened.cache_key)) {
      cache->forget_object(opened.cache_key);
      throw TransferError("cache object " + opened.cache_key + " was damaged; removed it", true);
    }
    ByteSource* source = &opened.use();
    if (cache && !opened.cached && opened.http && !writer) writer = cache_writer(*cache, result);
    if (opened.cached) writer.reset();
    bool first = true;
    std::optional<Opened> reopened;
    for (;;) {
      auto chunk = source->read();
      if (first) {
        first = false;
        // A 206 must continue the very version we started with, exactly where we stopped;
        // otherwise the partial file is discarded and the download starts again at once.
        std::string why = resume_mismatch(opened, written, validator);
        if (!why.empty()) {
          start_over(why);
          opened.use().cancel();
          reopened.emplace(open_source(o, started, cache, 0, ""));
          source = &reopened->use();
          chunk = source->read();
        } else if (source->start_offset() != written) {
          start_over("the server ignored the Range request");
        }
        Opened& now = reopened ? *reopened : opened;
        if (written == 0 && now.http) validator = response_validator(*now.http);
      }
      if (chunk.empty()) break;
      write_all(fd, chunk.data(), chunk.size(), to_stdout ? "stdout" : "'" + o.output + "'");
      if (writer) {
        try {
          write_all(writer->fd(), chunk.data(), chunk.size(), "cache");
        } catch (const Error& e) {  // a full cache disk only costs the cache
          result.cache_warning = std::string("cache skipped: ") + e.what();
          writer.reset();
        }
      }
      hash.update(chunk.data(), chunk.size());
      written += chunk.size();
      if (to_stdout) result.downloaded = written;  // what cannot be taken back
      if (o.budgets.max_download > 0 && written > o.budgets.max_download)
        throw IntegrityError("download exceeds --max-download " + std::to_string(o.budgets.max_download) + " bytes");
      progress.update(written, source->size());
    }
    Opened& used = reopened ? *reopened : opened;
    progress.finish();
    result.from_cache = used.cached;
    result.sha256 = hash.hex_digest();
    result.downloaded = written;
    if (used.cached && result.sha256 != used.cache_key) {
      cache->forget_object(used.cache_key);
      if (ftruncate(fd, 0) == 0) lseek(fd, 0, SEEK_SET);
      written = 0;
      throw TransferError("cache object " + used.cache_key + " was damaged; removed it", !to_stdout);
    }
    if (writer && (!o.sha256 || *o.sha256 == result.sha256)) {
      store_in_cache(*cache, o, *writer, used.http, result);
      writer.reset();
    }
  });
  if (o.sha256 && *o.sha256 != result.sha256) checksum_mismatch(result.url, *o.sha256, result.sha256);
  if (!to_stdout) {
    if (fsync(fd) != 0 && errno != EINVAL)
      throw IntegrityError("'" + o.output + "': " + std::strerror(errno) + "; nothing was published");
    staging->publish(o.replace);
  }
}

constexpr std::chrono::milliseconds k_timer_slack{5};

// Whether a failed URL leaves the next mirror a chance: the server failed or refused
// (exit 3) or sent other bytes than --sha256 names, while time is left and nothing went
// to stdout that cannot be taken back.
bool try_next_mirror(const Error& e, const GetOptions& o, const GetResult& failed,
                     std::chrono::steady_clock::time_point started) {
  if (!dynamic_cast<const ServiceError*>(&e) && !dynamic_cast<const ChecksumMismatch*>(&e)) return false;
  if (o.output == "-" && failed.downloaded > 0) return false;
  return !o.net.deadline || std::chrono::steady_clock::now() < started + *o.net.deadline;
}

}  // namespace

std::optional<std::chrono::milliseconds> remaining_time(const NetOptions& net,
                                                        std::chrono::steady_clock::time_point started) {
  if (!net.deadline) return std::nullopt;
  // Rounded up, so a transfer timed out by curl ends no earlier than the deadline.
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*net.deadline - (std::chrono::steady_clock::now() - started));
  if (left.count() <= 0) throw ServiceError("--deadline " + format_duration(*net.deadline) + " reached");
  return left;
}

void with_retries(const NetOptions& net, std::chrono::steady_clock::time_point started, const RetryNotice& notice,
                  const std::function<void(int)>& attempt) {
  RetryPolicy policy;
  policy.retries = net.retries;
  for (int n = 0;; ++n) {
    try {
      attempt(n);
      return;
    } catch (const TransferError& e) {
      if (!e.retryable() || n >= net.retries) throw;
      std::chrono::milliseconds wait = backoff_delay(n + 1, policy);
      if (e.retry_after()) wait = std::min<std::chrono::milliseconds>(*e.retry_after(), k_max_retry_after);
      if (net.deadline && std::chrono::steady_clock::now() + wait >= started + *net.deadline)
        throw ServiceError(std::string(e.what()) + " (no time left for a retry within --deadline " +
                           format_duration(*net.deadline) + ")");
      if (notice) notice(n + 1, wait, e.what());
      sleep_interruptible(wait);
    }
  }
}

GetResult run_get(const GetOptions& o, const RetryNotice& notice, const MirrorNotice& mirror_notice) {
  const auto started = std::chrono::steady_clock::now();
  GetResult base;
  base.destination = o.output;
  base.extracted = !o.no_extract;
  if (o.output != "-") {
    check_destination(o.output, o.replace);
    base.removed_staging = remove_stale_staging(o.output);
  }
  std::vector<std::string> urls{o.url};
  urls.insert(urls.end(), o.mirrors.begin(), o.mirrors.end());
  std::optional<Cache> cache;
  if (o.cache_dir && std::any_of(urls.begin(), urls.end(), [](const auto& url) { return url_scheme(url) != "file"; }))
    cache.emplace(*o.cache_dir, o.cache_shared);
  Progress progress(!o.quiet);
  for (std::size_t i = 0;; ++i) {
    GetOptions one = o;
    one.url = urls[i];
    GetResult result = base;
    result.url = redact_url(urls[i]);
    const Cache* cache_ptr = cache && url_scheme(urls[i]) != "file" ? &*cache : nullptr;
    try {
      if (o.no_extract) save_to(one, result, cache_ptr, progress, notice, started);
      else extract_to(one, result, cache_ptr, progress, notice, started);
      return result;
    } catch (const ServiceError& e) {
      // curl counts its timeout in whole milliseconds: a transfer it stopped for the deadline's
      // remainder may end up to a millisecond before the deadline; k_timer_slack covers that.
      bool late = o.net.deadline && std::chrono::steady_clock::now() + k_timer_slack >= started + *o.net.deadline;
      if (late && std::string_view(e.what()).find("--deadline") == std::string_view::npos)
        throw ServiceError(std::string(e.what()) + " (--deadline " + format_duration(*o.net.deadline) + " reached)");
      if (i + 1 == urls.size() || !try_next_mirror(e, o, result, started)) throw;
      if (mirror_notice) mirror_notice(e.what(), redact_url(urls[i + 1]), static_cast<int>(i + 1));
    } catch (const Error& e) {
      if (i + 1 == urls.size() || !try_next_mirror(e, o, result, started)) throw;
      if (mirror_notice) mirror_notice(e.what(), redact_url(urls[i + 1]), static_cast<int>(i + 1));
    }
  }
}

}  // namespace ciutils::fetch
