// notify's command table: `notify DEST...` and `notify flush`, their usage, help and flags,
// declared once.
#include "notify.h"

#include "commands.h"
#include "options.h"

#include <ciutils/command.h>

#include <iostream>

namespace ciutils::notify {

namespace {

constexpr Command k_commands[] = {
    {.name = "", .summary = "send an alert, or a message, to each destination",
     .usage = "notify [DEST...] [--to DEST...] [--tag T...] [--config FILE] (--title T [--message M | --stdin] |\n"
              "              --key KEY (--status failed|passed | --from results.jsonl)) [OPTIONS]",
     .description = "Sends an alert (with --key) or a message to each destination: DEST, --to and --tag.",
     .options = send_flags, .positional = "destination", .positional_max = -1, .redis = true, .run = cmd_send},
    {.name = "flush", .summary = "re-send the alerts that were spooled",
     .usage = "notify flush [--spool DIR] [--claim-timeout D] [OPTIONS]",
     .description = "Re-sends every spooled alert (from --spool DIR, else the Redis list) and removes what was\n"
                    "accepted or rejected. Any number of flushes may run at once: each entry is claimed before\n"
                    "it is sent. What still fails stays spooled (exit 3); an alert that a later event of its\n"
                    "key superseded is dropped.",
     .options = flush_flags, .redis = true, .run = cmd_flush},
};

constexpr EnvVar k_environment[] = {
    {"NOTIFY_CONFIG", "destinations file when --config is not given"},
    {"NOTIFY_SPOOL", "spool directory when --spool is not given"},
    {"CURL_CA_BUNDLE, SSL_CERT_FILE", "CA bundle for smtp/smtps when the URL has no ?cafile="},
    {"GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, BUILD_URL, JOB_NAME",
     "CI run links and source added to every alert"},
};

constexpr std::string_view k_exit_codes[] = {"0", "2", "3"};

constexpr Tool k_tool{
    .name = "notify",
    .summary = "alerts to chat, paging, SMS, email and webhooks, triggered once and recovered",
    .description =
        "Sends alerts to webhooks, Slack, Teams, VictorOps, PagerDuty, Opsgenie, Discord, Google Chat,\n"
        "Mattermost, Rocket.Chat, Telegram, ntfy, Clickatell and Twilio SMS, and email.\n"
        "With --key, alert state is kept in Redis: the first failure triggers, repeated failures\n"
        "stay silent (or remind every --remind), and the first pass afterwards (or the Nth in a\n"
        "row with --recover-after N) sends a recovery.\n"
        "DEST is a destination URL (secrets as ${ENV_NAME}) or a name from --config:\n"
        "  webhook+https://HOST/PATH[?template=FILE&hmac=${SECRET}]   slack://${SLACK_WEBHOOK_PATH}\n"
        "  teams://HOST/workflows/...?...&sig=${SIG}   victorops://${API_KEY}/ROUTING_KEY\n"
        "  pagerduty://${ROUTING_KEY}[?severity=critical]   clickatell://${API_KEY}/NUMBER[,NUMBER]\n"
        "  smtp://[USER:${PASSWORD}@]HOST:587?from=A&to=B[,C]   smtps://...:465?...\n"
        "  opsgenie://${API_KEY}[/#TEAM][/@USER]   discord://WEBHOOK_ID/${TOKEN}   gchat://SPACE/KEY/${TOKEN}\n"
        "  mmost[s]://HOST/${TOKEN}   rocket[s]://${WEBHOOK}@HOST[/#CHANNEL]   tgram://${BOT_TOKEN}/CHAT_ID\n"
        "  ntfy[s]://[HOST/]TOPIC[?token=${TOKEN}]   twilio://SID:${AUTH_TOKEN}@FROM/TO\n"
        "  json+https://HOST/PATH (Apprise's json:// body; also json://, jsons://)\n"
        "Every URL takes endpoint=URL (scheme, host, port and base path; the service's path\n"
        "follows), url=URL (the whole URL), timeout=D, retries=N, required=false and rate=COUNT/PERIOD.\n"
        "A one-off message to PagerDuty is a change event; use --key for incidents.\n"
        "Exit 0 when every required destination accepted (or nothing needed sending); 3 when one\n"
        "did not after retries (the alert was spooled) or Redis was unreachable; 2 for bad input,\n"
        "before anything was sent.",
    .commands = k_commands,
    .environment = k_environment,
    .exit_codes = k_exit_codes,
};

}  // namespace

int run(int argc, char** argv) { return run_tool(k_tool, argc, argv, std::cout, std::cerr); }

}  // namespace ciutils::notify
