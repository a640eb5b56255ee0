#include "options.h"

namespace ciutils::notify {

namespace {

constexpr std::string_view k_synopsis =
    "notify [DEST…] [--to DEST…] [--tag T…] [--config FILE] (--title T [--message M | --stdin] |\n"
    "              --key KEY (--status failed|passed | --from results.jsonl)) [options]\n"
    "       notify flush [--spool DIR] [--claim-timeout D] [options]";

constexpr std::string_view k_description =
    "Sends alerts to webhooks, Slack, Teams, VictorOps, PagerDuty, Opsgenie, Discord, Google Chat,\n"
    "Mattermost, Rocket.Chat, Telegram, ntfy, Clickatell and Twilio SMS, and email.\n"
    "With --key, alert state is kept in Redis: the first failure triggers, repeated failures\n"
    "stay silent (or remind every --remind), and the first pass afterwards (or the Nth in a\n"
    "row with --recover-after N) sends a recovery.\n"
    "DEST is a destination URL (secrets as ${ENV_NAME}) or a name from --config:\n"
    "  webhook+https://HOST/PATH[?template=FILE&hmac=${SECRET}]   slack://${SLACK_WEBHOOK_PATH}\n"
    "  teams://HOST/workflows/…?…&sig=${SIG}   victorops://${API_KEY}/ROUTING_KEY\n"
    "  pagerduty://${ROUTING_KEY}[?severity=critical]   clickatell://${API_KEY}/NUMBER[,NUMBER]\n"
    "  smtp://[USER:${PASSWORD}@]HOST:587?from=A&to=B[,C]   smtps://…:465?…\n"
    "  opsgenie://${API_KEY}[/#TEAM][/@USER]   discord://WEBHOOK_ID/${TOKEN}   gchat://SPACE/KEY/${TOKEN}\n"
    "  mmost[s]://HOST/${TOKEN}   rocket[s]://${WEBHOOK}@HOST[/#CHANNEL]   tgram://${BOT_TOKEN}/CHAT_ID\n"
    "  ntfy[s]://[HOST/]TOPIC[?token=${TOKEN}]   twilio://SID:${AUTH_TOKEN}@FROM/TO\n"
    "  json+https://HOST/PATH (Apprise's json:// body; also json://, jsons://)\n"
    "Every URL takes endpoint=URL (scheme, host, port and base path; the service's path\n"
    "follows), url=URL (the whole URL), timeout=D, retries=N, required=false and rate=COUNT/PERIOD.\n"
    "A one-off message to PagerDuty is a change event; use --key for incidents.";

constexpr std::string_view k_extra =
    "Environment:\n"
    "  REDIS_URL          Redis for alert state, shared rate limits and the spool\n"
    "                     (default redis://127.0.0.1:6379/0; needed with --key; rediss:// for TLS)\n"
    "  CIUTILS_REDIS_CACERT, CIUTILS_REDIS_CERT, CIUTILS_REDIS_KEY\n"
    "                     rediss://: the CA to trust, a client certificate and its key\n"
    "  CIUTILS_NAMESPACE  Redis key prefix when --namespace is not given (default ciutils)\n"
    "  NOTIFY_CONFIG      destinations file when --config is not given\n"
    "  NOTIFY_SPOOL       spool directory when --spool is not given\n"
    "  CURL_CA_BUNDLE, SSL_CERT_FILE  CA bundle for smtp/smtps when the URL has no ?cafile=\n"
    "  GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, BUILD_URL, JOB_NAME\n"
    "                     CI run links and source added to every alert\n"
    "\n"
    "Exit status:\n"
    "  0  every required destination accepted (or nothing needed sending)\n"
    "  2  usage error or invalid input (unknown scheme, missing ${VAR}, bad results line,\n"
    "     unknown tag or destination, message too large); nothing was sent\n"
    "  3  a required destination did not accept after retries (the alert was spooled),\n"
    "     or Redis was unreachable\n";

}  // namespace

po::options_description describe_options(Options& o) {
  po::options_description desc("Options");
  add_common_options(desc, o.common);
  desc.add_options()
      ("to", po::value(&o.to)->composing(), "destination URL or config name (repeatable)")
      ("tag", po::value(&o.tags)->composing(), "all config destinations with this tag (repeatable)")
      ("config", po::value(&o.config), "destinations file (JSON; env NOTIFY_CONFIG)")
      ("title", po::value(&o.title), "alert title")
      ("message", po::value(&o.message), "alert text (at most 64 KiB)")
      ("stdin", po::bool_switch(&o.stdin_message), "read the alert text from stdin")
      ("key", po::value(&o.key), "alert identity whose state is kept in Redis, e.g. opm/opm-tests-1")
      ("status", po::value(&o.status), "this run's outcome: failed or passed")
      ("from", po::value(&o.from), "results file (JSON Lines); failed if any record failed, timed out or errored")
      ("threshold", po::value(&o.threshold), "trigger after N failures in the last M runs (N/M, default 1/1)")
      ("recover-after", po::value(&o.recover_after),
       "passes in a row before a recovery is sent (default 1; with --threshold against flapping)")
      ("remind", po::value(&o.remind), "while failing, remind every D (e.g. 4h); default never")
      ("state-ttl", po::value(&o.state_ttl), "forget a key's state after D without runs (default 30d)")
      ("severity", po::value(&o.severity), "critical, error, warning or info (default critical; info for messages)")
      ("source", po::value(&o.source), "where the alert comes from (default: CI job or host name)")
      ("link", po::value(&o.links)->composing(), "a link to add, URL or TEXT=URL (repeatable)")
      ("spool", po::value(&o.spool), "spool undeliverable alerts to files in DIR (env NOTIFY_SPOOL; default: a Redis list)")
      ("claim-timeout", po::value(&o.claim_timeout),
       "flush: take over entries another flush claimed D ago (default 15m; sooner if it died on this host)")
      ("redis", po::value(&o.redis)->value_name("URL"), "Redis URL (else $REDIS_URL)")
      ("namespace", po::value(&o.ns)->value_name("NS"), "key prefix (else $CIUTILS_NAMESPACE, ciutils)")
      ("dry-run", po::bool_switch(&o.dry_run), "print the exact requests (secrets redacted); send nothing, change no state");
  return desc;
}

std::string usage(Options& o) { return help_text(k_synopsis, k_description, describe_options(o), k_extra); }

}  // namespace ciutils::notify
