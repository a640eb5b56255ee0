#include "put.h"

#include "byte_source.h"
#include "s3.h"
#include "sha256.h"
#include "signals.h"

#include <ciutils/error.h>
#include <ciutils/fd.h>
#include <ciutils/http.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace ciutils::fetch {

namespace fs = std::filesystem;

namespace {

struct WriteArchiveFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

[[noreturn]] void pack_failed(archive* a, const std::string& what) {
  throw Error(ExitCode::tool_failed, "packing " + what + ": " +
                                         (archive_error_string(a) ? archive_error_string(a) : "unknown error"));
}

struct Upload {
  int fd;
  std::uint64_t sent = 0;
};

std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* context) {
  auto* upload = static_cast<Upload*>(context);
  for (;;) {
    ssize_t n = ::read(upload->fd, buffer, size * count);
    if (n >= 0) {
      upload->sent += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) return CURL_READFUNC_ABORT;
  }
}

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return pending_signal() != 0 ? 1 : 0; }

std::size_t collect_header(char* data, std::size_t size, std::size_t count, void* context) {
  auto* headers = static_cast<std::vector<std::string>*>(context);
  headers->emplace_back(data, size * count);
  return size * count;
}

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

std::string file_sha256(int fd) {
  Sha256 hash;
  std::vector<char> buffer(256 * 1024);
  lseek(fd, 0, SEEK_SET);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(ExitCode::tool_failed, std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    hash.update(buffer.data(), static_cast<std::size_t>(n));
  }
  return hash.hex_digest();
}

}  // namespace

void pack_directory(const fs::path& dir, int fd) {
  std::unique_ptr<archive, WriteArchiveFree> out(archive_write_new());
  archive* a = out.get();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open_fd(a, fd) != ARCHIVE_OK) pack_failed(a, dir.string());
  std::vector<fs::path> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    paths.push_back(it->path());
  if (ec) throw UsageError("PATH: cannot read '" + dir.string() + "': " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<char> buffer(256 * 1024);
  for (const auto& path : paths) {
    throw_if_interrupted();
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) continue;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
    std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    std::string name = path.lexically_relative(dir).string();
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_copy_stat(entry.get(), &st);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_perm(entry.get(), st.st_mode & 0777);
    UniqueFd in;
    if (S_ISLNK(st.st_mode)) {
      std::vector<char> target(static_cast<std::size_t>(st.st_size) + 1);
      ssize_t n = readlink(path.c_str(), target.data(), target.size());
      if (n < 0) continue;
      archive_entry_set_symlink(entry.get(), std::string(target.data(), static_cast<std::size_t>(n)).c_str());
      archive_entry_set_size(entry.get(), 0);
    } else if (S_ISREG(st.st_mode)) {
      in = UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!in.valid()) throw UsageError("PATH: cannot read '" + path.string() + "': " + std::strerror(errno));
    }
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) pack_failed(a, name);
    if (in.valid()) {
      for (;;) {
        ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (archive_write_data(a, buffer.data(), static_cast<std::size_t>(n)) < 0) pack_failed(a, name);
      }
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK) pack_failed(a, dir.string());
}

PutResult run_put(const PutOptions& o, const RetryNotice& notice) {
  PutResult result;
  result.url = redact_url(o.url);
  struct stat st {};
  if (stat(o.path.c_str(), &st) != 0) throw UsageError("PATH: '" + o.path + "': " + std::strerror(errno));
  UniqueFd fd;
  if (S_ISDIR(st.st_mode)) {
    // Packed into an unlinked temp file: S3 needs the length and hash before the body.
    const char* tmpdir = std::getenv("TMPDIR");
    std::string dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
    fd = UniqueFd(open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!fd.valid()) throw Error(ExitCode::tool_failed, "cannot create a temp file in " + dir + ": " + std::strerror(errno));
    pack_directory(o.path, fd.get());
    result.packed = true;
  } else if (S_ISREG(st.st_mode)) {
    fd = UniqueFd(open(o.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throw UsageError("PATH: cannot read '" + o.path + "': " + std::strerror(errno));
  } else {
    throw UsageError("PATH: '" + o.path + "' is neither a file nor a directory");
  }
  struct stat body {};
  fstat(fd.get(), &body);
  result.bytes = static_cast<std::uint64_t>(body.st_size);
  result.sha256 = file_sha256(fd.get());
  std::string content_type = o.content_type.value_or(result.packed ? "application/gzip" : "application/octet-stream");

  auto started = std::chrono::steady_clock::now();
  curl_global();
  with_retries(o.net, started, notice, [&](int) {
    lseek(fd.get(), 0, SEEK_SET);
    std::string url = o.url;
    std::vector<std::string> headers{"Content-Type: " + content_type, "Expect:"};
    std::string sigv4, userpwd;
    if (url.starts_with("s3://")) {
      S3Request s3 = s3_request(o.url, result.sha256);
      url = s3.url;
      sigv4 = s3.sigv4;
      userpwd = s3.userpwd;
      headers.insert(headers.end(), s3.headers.begin(), s3.headers.end());
    }
    CurlHandle easy = make_curl_handle();
    CURL* h = easy.get();
    std::unique_ptr<curl_slist, SlistFree> list;
    for (const auto& header : headers) list.reset(curl_slist_append(list.release(), header.c_str()));
    Upload upload{fd.get()};
    std::vector<std::string> response_headers;
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(result.bytes));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response_headers);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.net.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(o.net.stall_timeout.count() / 1000)));
    if (auto left = remaining_time(o.net, started)) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(left->count()));
    if (!sigv4.empty()) curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4.c_str());
    if (!userpwd.empty()) curl_easy_setopt(h, CURLOPT_USERPWD, userpwd.c_str());
    CURLcode code = curl_easy_perform(h);
    throw_if_interrupted();
    std::string what = "PUT " + result.url;
    if (code != CURLE_OK)
      throw TransferError(what + ": " + (error[0] ? std::string(error) : curl_easy_strerror(code)), true);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
    if (result.status < 200 || result.status >= 300) {
      std::optional<std::chrono::milliseconds> retry_after;
      for (const auto& line : response_headers)
        if (line.size() > 12 && strncasecmp(line.c_str(), "retry-after:", 12) == 0)
        {
          std::string value = line.substr(12);
          value.erase(0, value.find_first_not_of(" \t"));
          value.erase(value.find_last_not_of(" \t\r\n") + 1);
          retry_after = parse_retry_after(value, std::chrono::system_clock::now());
        }
      throw TransferError(what + ": HTTP " + std::to_string(result.status), retryable_status(result.status),
                          result.status, retry_after);
    }
  });
  return result;
}

}  // namespace ciutils::fetch
