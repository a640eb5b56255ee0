// fetch's command table: `fetch URL` and `fetch put PATH URL`, their usage, help and flags,
// declared once.
#include "fetch.h"

#include "commands.h"
#include "fetch_options.h"

#include <ciutils/command.h>

#include <iostream>

namespace ciutils::fetch {

namespace {

constexpr Command k_commands[] = {
    {.name = "", .summary = "download URL and unpack it into DIR", .usage = "fetch [OPTIONS] URL [-o DIR|FILE|-]",
     .description = "Downloads URL (https, http, file, s3) and unpacks the tar (plain, gzip, bzip2, xz, zstd) or zip\n"
                    "archive into DIR in one streaming pass, hashing it on the way; refuses unsafe entries and\n"
                    "budget overruns, checks --sha256, then publishes DIR atomically.",
     .options = get_flags, .positional = "url", .positional_max = 1, .run = cmd_get},
    {.name = "put", .summary = "upload a file, or a directory as tar.gz, with HTTP PUT or to S3",
     .usage = "fetch put [OPTIONS] PATH URL",
     .description = "Uploads PATH (a file as is, a directory as a tar.gz packed on the fly) to URL\n"
                    "(https, http or s3) with PUT, retrying like fetch. Over http(s) a directory is\n"
                    "sent chunked while it is packed; to S3 it goes as one PUT when it fits in a part,\n"
                    "else as a multipart upload (aborted on failure); so do files over 5GiB.",
     .options = put_flags, .positional = "path url", .positional_max = 1, .run = cmd_put},
};

constexpr EnvVar k_environment[] = {
    {"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN", "S3 credentials"},
    {"AWS_PROFILE", "profile in ~/.aws/credentials and ~/.aws/config"},
    {"AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE", "other paths for those two files"},
    {"AWS_REGION, AWS_DEFAULT_REGION", "S3 region (then the profile's region; default us-east-1)"},
    {"AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL", "S3-compatible endpoint (path-style addressing)"},
    {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true: only --endpoint sets the endpoint"},
    {"CIUTILS_FETCH_CACHE", "default for --cache"},
    {"SSL_CERT_FILE, SSL_CERT_DIR", "CA certificates for https (default: the system's)"},
};

constexpr std::string_view k_exit_codes[] = {"0", "2", "3", "4"};

constexpr Tool k_tool{
    .name = "fetch",
    .summary = "download a test archive and unpack it safely in one streaming pass; upload results",
    .description = "Downloads URL (https, http, file, s3) and unpacks the tar (plain, gzip, bzip2, xz, zstd) or zip\n"
                   "archive into DIR in one streaming pass, hashing it on the way; refuses unsafe entries and\n"
                   "budget overruns, checks --sha256, then publishes DIR atomically. `fetch put` uploads a file,\n"
                   "or a directory packed as tar.gz, with HTTP PUT or to S3.",
    .commands = k_commands,
    .environment = k_environment,
    .exit_codes = k_exit_codes,
};

}  // namespace

int run(int argc, char** argv) { return run_tool(k_tool, argc, argv, std::cout, std::cerr); }

}  // namespace ciutils::fetch
