#include "commands.h"

#include "download.h"
#include "fetch_options.h"
#include "put.h"
#include "signals.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>
#include <ciutils/json.h>
#include <ciutils/secrets.h>

#include <boost/json.hpp>

#include <ostream>

namespace ciutils::fetch {

namespace {

RetryNotice retry_notice(std::ostream& err, bool quiet, int retries) {
  if (quiet) return {};
  return [&err, retries](int attempt, std::chrono::milliseconds wait, const std::string& why) {
    err << "fetch: " << why << "; retrying in " << format_duration(wait) << " (retry " << attempt << " of " << retries
        << ")\n";
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

// Runs body with what the network flags ask of every command: the --insecure warning, and
// the secrets of --header and --bearer redacted from any error.
template <class Body>
int with_net(Invocation& inv, const NetOptions& net, Body body) {
  if (net.insecure)
    inv.err << "fetch: warning: --insecure: TLS certificates are not verified; anyone on the network path "
               "can change what is downloaded or read what is sent\n";
  Secrets secrets;
  for (const auto& value : net.secrets) secrets.add(value);
  try {
    SignalWatch signals;
    return body();
  } catch (const Error& e) {
    throw Error(e.code(), secrets.redact(e.what()));
  }
}

}  // namespace

int cmd_put(Invocation& inv) {
  const PutOptions o = put_options(inv.vm, inv.common);
  return with_net(inv, o.net, [&] {
    PutResult r = run_put(o, retry_notice(inv.err, o.quiet, o.net.retries));
    if (o.json) {
      boost::json::object out{{"url", r.url}, {"sha256", r.sha256}, {"bytes", r.bytes}, {"status", r.status},
                              {"packed", r.packed}};
      inv.out << to_json(out) << '\n';
    } else if (o.verbose) {
      inv.err << "fetch: uploaded " << r.bytes << " bytes to " << r.url << " (sha256 " << r.sha256 << ")\n";
    }
    return 0;
  });
}

int cmd_get(Invocation& inv) {
  const GetOptions o = get_options(inv.vm, inv.common);
  if (o.json && o.output == "-") throw UsageError("--json: not with -o - (stdout carries the download)");
  return with_net(inv, o.net, [&] {
    MirrorNotice mirror_notice;
    if (!o.quiet) {
      mirror_notice = [&err = inv.err, count = o.mirrors.size()](const std::string& why, const std::string& mirror,
                                                                  int number) {
        err << "fetch: " << why << "; trying mirror " << number << " of " << count << ": " << mirror << '\n';
      };
    }
    GetResult r = run_get(o, retry_notice(inv.err, o.quiet, o.net.retries), mirror_notice);
    if (r.up_to_date && !o.quiet)
      inv.err << "fetch: '" << r.destination << "' is up to date (sha256 " << r.sha256 << "); nothing extracted\n";
    if (o.verbose && !r.tree_note.empty()) inv.err << "fetch: " << r.tree_note << '\n';
    if (!r.cache_warning.empty()) inv.err << "fetch: warning: " << r.cache_warning << '\n';
    if (o.verbose)
      for (const auto& stale : r.removed_staging) inv.err << "fetch: removed " << stale << '\n';
    if (o.json) {
      inv.out << to_json(manifest(r)) << '\n';
    } else if (o.output != "-") {
      inv.out << r.destination << '\n';
    }
    if (o.verbose)
      inv.err << "fetch: " << r.downloaded << " bytes" << (r.from_cache ? " from the cache" : "") << ", sha256 "
              << r.sha256 << '\n';
    inv.out.flush();
    return 0;
  });
}

}  // namespace ciutils::fetch
