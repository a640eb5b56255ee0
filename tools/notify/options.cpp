#include "options.h"

namespace ciutils::notify {

namespace {

std::vector<std::string> list(const Invocation& inv, const char* name) {
  return inv.vm.count(name) ? inv.vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

}  // namespace

void send_flags(po::options_description& desc) {
  desc.add_options()
      ("to", po::value<std::vector<std::string>>()->composing()->value_name("DEST"),
       "destination URL or config name (repeatable)")
      ("tag", po::value<std::vector<std::string>>()->composing()->value_name("T"),
       "all config destinations with this tag (repeatable)")
      ("config", po::value<std::string>()->value_name("FILE"), "destinations file (JSON; env NOTIFY_CONFIG)")
      ("title", po::value<std::string>()->value_name("T"), "alert title")
      ("message", po::value<std::string>()->value_name("M"), "alert text (at most 64 KiB)")
      ("stdin", "read the alert text from stdin")
      ("key", po::value<std::string>()->value_name("KEY"),
       "alert identity whose state is kept in Redis, e.g. opm/opm-tests-1")
      ("status", po::value<std::string>()->value_name("S"), "this run's outcome: failed or passed")
      ("from", po::value<std::string>()->value_name("FILE"),
       "results file (JSON Lines); failed if any record failed, timed out or errored")
      ("threshold", po::value<std::string>()->value_name("N/M"),
       "trigger after N failures in the last M runs (N/M, default 1/1)")
      ("recover-after", po::value<std::string>()->value_name("N"),
       "passes in a row before a recovery is sent (default 1; with --threshold against flapping)")
      ("remind", po::value<std::string>()->value_name("D"), "while failing, remind every D (e.g. 4h); default never")
      ("state-ttl", po::value<std::string>()->value_name("D"), "forget a key's state after D without runs (default 30d)")
      ("severity", po::value<std::string>()->value_name("S"),
       "critical, error, warning or info (default critical; info for messages)")
      ("source", po::value<std::string>()->value_name("S"), "where the alert comes from (default: CI job or host name)")
      ("link", po::value<std::vector<std::string>>()->composing()->value_name("LINK"),
       "a link to add, URL or TEXT=URL (repeatable)")
      ("spool", po::value<std::string>()->value_name("DIR"),
       "spool undeliverable alerts to files in DIR (env NOTIFY_SPOOL; default: a Redis list)")
      ("dry-run", "print the exact requests (secrets redacted); send nothing, change no state");
}

void flush_flags(po::options_description& desc) {
  desc.add_options()
      ("spool", po::value<std::string>()->value_name("DIR"),
       "the spool directory to flush (env NOTIFY_SPOOL; default: the Redis list)")
      ("claim-timeout", po::value<std::string>()->value_name("D"),
       "take over entries another flush claimed D ago (default 15m; sooner if it died on this host)")
      ("dry-run", "print what would be sent (secrets redacted); claim, send and remove nothing");
}

Options options_of(const Invocation& inv) {
  Options o;
  o.common = inv.common;
  o.destinations = list(inv, "destination");
  o.to = list(inv, "to");
  o.tags = list(inv, "tag");
  o.links = list(inv, "link");
  o.config = inv.flag("config").value_or("");
  o.title = inv.flag("title").value_or("");
  o.message_given = inv.vm.count("message") != 0;
  o.message = inv.flag("message").value_or("");
  o.stdin_message = inv.vm.count("stdin") != 0;
  o.key = inv.flag("key").value_or("");
  o.status = inv.flag("status").value_or("");
  o.from = inv.flag("from").value_or("");
  o.threshold = inv.flag("threshold").value_or("");
  o.recover_after = inv.flag("recover-after").value_or("");
  o.remind = inv.flag("remind").value_or("");
  o.state_ttl = inv.flag("state-ttl").value_or("");
  o.severity = inv.flag("severity").value_or("");
  o.source = inv.flag("source").value_or("");
  o.spool = inv.flag("spool").value_or("");
  o.claim_timeout = inv.flag("claim-timeout").value_or("");
  o.dry_run = inv.vm.count("dry-run") != 0;
  return o;
}

}  // namespace ciutils::notify
