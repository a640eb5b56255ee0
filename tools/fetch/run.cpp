#include "fetch.h"

#include "download.h"
#include "fetch_options.h"
#include "put.h"
#include "signals.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>
#include <ciutils/json.h>
#include <ciutils/secrets.h>

#include <boost/json.hpp>

#include <iostream>

namespace ciutils::fetch {

namespace {

RetryNotice retry_notice(bool quiet, int retries) {
  if (quiet) return {};
  return [retries](int attempt, std::chrono::milliseconds wait, const std::string& why) {
    std::cerr << "fetch: " << why << "; retrying in " << format_duration(wait) << " (retry " << attempt << " of "
              << retries << ")\n";
  };
}

std::string octal(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 0777);
  return text;
}

boost::json::object manifest(const GetResult& r) {
  boost::json::object out;
  out["destination"] = r.destination;
  out["url"] = r.url;
  out["sha256"] = r.sha256;
  out["downloaded_bytes"] = r.downloaded;
  out["from_cache"] = r.from_cache;
  if (r.extracted) {
    out["up_to_date"] = r.up_to_date;
    out["entries"] = r.extract.entry_count;
    out["unpacked_bytes"] = r.extract.unpacked_bytes;
    boost::json::array files;
    for (const auto& e : r.extract.entries) {
      boost::json::object f;
      f["path"] = e.path;
      f["type"] = e.type;
      if (e.type == "symlink") {
        f["target"] = e.target;
      } else {
        f["size"] = e.size;
        f["mode"] = octal(e.mode);
        f["sha256"] = e.sha256;
      }
      files.push_back(std::move(f));
    }
    out["files"] = std::move(files);
  }
  return out;
}

}  // namespace

namespace {
int run_command(const Command& command);
}  // namespace

int run(int argc, char** argv) {
  Command command = parse_command(args_of(argc, argv));
  if (command.kind == Command::Kind::help || command.kind == Command::Kind::version) {
    std::cout << command.text;
    if (!command.text.empty() && command.text.back() != '\n') std::cout << '\n';
    return 0;
  }
  const NetOptions& net = command.kind == Command::Kind::put ? command.put.net : command.get.net;
  if (net.insecure)
    std::cerr << "fetch: warning: --insecure: TLS certificates are not verified; anyone on the network path "
                 "can change what is downloaded or read what is sent\n";
  Secrets secrets;
  for (const auto& value : net.secrets) secrets.add(value);
  try {
    return run_command(command);
  } catch (const Error& e) {
    throw Error(e.code(), secrets.redact(e.what()));
  }
}

namespace {

int run_command(const Command& command) {
  SignalWatch signals;
  if (command.kind == Command::Kind::put) {
    const PutOptions& o = command.put;
    PutResult r = run_put(o, retry_notice(o.quiet, o.net.retries));
    if (o.json) {
      boost::json::object out{{"url", r.url}, {"sha256", r.sha256}, {"bytes", r.bytes}, {"status", r.status},
                              {"packed", r.packed}};
      std::cout << to_json(out) << '\n';
    } else if (o.verbose) {
      std::cerr << "fetch: uploaded " << r.bytes << " bytes to " << r.url << " (sha256 " << r.sha256 << ")\n";
    }
    return 0;
  }
  const GetOptions& o = command.get;
  if (o.json && o.output == "-") throw UsageError("--json: not with -o - (stdout carries the download)");
  MirrorNotice mirror_notice;
  if (!o.quiet) {
    mirror_notice = [count = o.mirrors.size()](const std::string& why, const std::string& mirror, int number) {
      std::cerr << "fetch: " << why << "; trying mirror " << number << " of " << count << ": " << mirror << '\n';
    };
  }
  GetResult r = run_get(o, retry_notice(o.quiet, o.net.retries), mirror_notice);
  if (r.up_to_date && !o.quiet)
    std::cerr << "fetch: '" << r.destination << "' is up to date (sha256 " << r.sha256 << "); nothing extracted\n";
  if (o.verbose && !r.tree_note.empty()) std::cerr << "fetch: " << r.tree_note << '\n';
  if (!r.cache_warning.empty()) std::cerr << "fetch: warning: " << r.cache_warning << '\n';
  if (o.verbose)
    for (const auto& stale : r.removed_staging) std::cerr << "fetch: removed " << stale << '\n';
  if (o.json) {
    std::cout << to_json(manifest(r)) << '\n';
  } else if (o.output != "-") {
    std::cout << r.destination << '\n';
  }
  if (o.verbose)
    std::cerr << "fetch: " << r.downloaded << " bytes" << (r.from_cache ? " from the cache" : "") << ", sha256 "
              << r.sha256 << '\n';
  std::cout.flush();
  return 0;
}

}  // namespace

}  // namespace ciutils::fetch
