#include "ciutils/redis.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/redis_cluster.h"
#include "ciutils/tls_stream.h"
#include "ciutils/warning.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <thread>

namespace ciutils {

namespace {

int parse_number(std::string_view text, std::string_view what, std::string_view url) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 0) {
    throw UsageError("REDIS_URL: invalid " + std::string(what) + " '" + std::string(text) + "' in " +
                     std::string(url));
  }
  return value;
}

// Percent-decoding for user and password.
std::string decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == text.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string command_name(const std::vector<std::string>& args) {
  if (args.empty()) {
    return "(empty)";
  }
  std::string name = args[0];
  for (auto& c : name) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace

// SHA-1 as Redis names scripts by it (not used for security).
std::string sha1_hex(std::string_view data) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string msg(data);
  std::uint64_t bit_len = static_cast<std::uint64_t>(data.size()) * 8;
  msg += static_cast<char>(0x80);
  while (msg.size() % 64 != 56) {
    msg += '\0';
  }
  for (int i = 7; i >= 0; --i) {
    msg += static_cast<char>((bit_len >> (i * 8)) & 0xff);
  }
  auto rol = [](std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (std::size_t chunk = 0; chunk < msg.size(); chunk += 64) {
    std::array<std::uint32_t, 80> w{};
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + chunk + i * 4);
      w[i] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    }
    for (int i = 16; i < 80; ++i) {
      w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f = 0;
      std::uint32_t k = 0;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      std::uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rol(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint32_t word : h) {
    for (int i = 28; i >= 0; i -= 4) {
      out += digits[(word >> i) & 0xf];
    }
  }
  return out;
}

Script::Script(std::string source) : m_source(std::move(source)), m_sha(sha1_hex(m_source)) {}

std::string RedisUrl::redacted() const {
  std::string auth;
  if (!user.empty() || !password.empty()) {
    auth = user + (password.empty() ? "" : ":***") + "@";
  }
  if (!socket.empty()) {
    return "unix://" + auth + socket + (db != 0 ? "?db=" + std::to_string(db) : "");
  }
  auto list = [](const std::vector<Node>& nodes) {
    std::string out;
    for (const auto& n : nodes) out += (out.empty() ? "" : ",") + n.host + ":" + std::to_string(n.port);
    return out;
  };
  if (!sentinels.empty()) {
    return (tls ? "rediss+sentinel://" : "redis+sentinel://") + auth + list(sentinels) + "/" + master + "/" +
           std::to_string(db);
  }
  if (!cluster.empty()) {
    return (tls ? "rediss+cluster://" : "redis+cluster://") + auth + list(cluster) + "/";
  }
  return (tls ? "rediss://" : "redis://") + auth + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

namespace {

// The URL as typed, with the password of its userinfo (or a lone userinfo) and of a
// password= parameter as "***".
std::string redact_typed(std::string_view url) {
  std::string out(url);
  std::size_t scheme = out.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t end = out.find_first_of(out.starts_with("unix:") ? "/" : "/?", start);
  std::size_t at = out.substr(0, end).rfind('@');
  if (at != std::string::npos && at >= start) {
    std::size_t colon = out.substr(0, at).find(':', start);
    std::size_t secret = colon == std::string::npos ? start : colon + 1;
    out = out.substr(0, secret) + "***" + out.substr(at);
  }
  if (std::size_t q = out.find('?'); q != std::string::npos) {
    for (std::size_t p = out.find("password=", q); p != std::string::npos; p = out.find("password=", p + 1)) {
      std::size_t value = p + 9;
      out.replace(value, out.find('&', value) == std::string::npos ? std::string::npos : out.find('&', value) - value,
                  "***");
    }
  }
  return out;
}

}  // namespace

RedisUrl parse_redis_url(std::string_view url) {
  // The message must never echo a password: the URL is shown redacted.
  auto fail = [](const std::string& why) { return UsageError("REDIS_URL: " + why); };
  const std::string typed = redact_typed(url);
  RedisUrl out;
  std::string_view rest = url;
  bool is_unix = false;
  bool is_sentinel = false;
  bool is_cluster = false;
  if (rest.starts_with("redis+sentinel://")) {
    rest.remove_prefix(17);
    is_sentinel = true;
  } else if (rest.starts_with("rediss+sentinel://")) {
    rest.remove_prefix(18);
    is_sentinel = true;
    out.tls = true;
  } else if (rest.starts_with("redis+cluster://")) {
    rest.remove_prefix(16);
    is_cluster = true;
  } else if (rest.starts_with("rediss+cluster://")) {
    rest.remove_prefix(17);
    is_cluster = true;
    out.tls = true;
  } else if (rest.starts_with("rediss://")) {
    rest.remove_prefix(9);
    out.tls = true;
  } else if (rest.starts_with("redis://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("unix://")) {
    rest.remove_prefix(7);
    is_unix = true;
  } else {
    throw fail("unsupported scheme (expected redis://host:port/db, rediss://host:port/db, "
               "redis+sentinel://host:port,host:port/master/db (rediss+sentinel:// with TLS), "
               "redis+cluster://host:port,host:port/ "
               "or unix:///path.sock?db=N)");
  }
  // userinfo: everything before the last '@' of the authority part.
  std::size_t authority_end = is_unix ? rest.find('/') : rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.user = decode(userinfo.substr(0, colon));
      out.password = decode(userinfo.substr(colon + 1));
    } else {
      // redis://secret@host: a lone userinfo is a password, as redis-cli reads it.
      out.password = decode(userinfo);
    }
    rest.remove_prefix(at + 1);
  }
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  // ?cluster=1 makes a redis:// or rediss:// URL a cluster's, with a list of seed nodes.
  for (std::string_view q = query; !q.empty();) {
    std::string_view pair = q.substr(0, q.find('&'));
    q.remove_prefix(std::min(q.size(), pair.size() + 1));
    if (pair == "cluster=1" || pair == "cluster=true") is_cluster = true;
  }
  if (is_cluster && (is_unix || is_sentinel)) {
    throw fail("cluster=1 needs a redis:// or rediss:// URL, in " + typed);
  }
  if (is_unix) {
    if (rest.empty() || rest.front() != '/') {
      throw fail("unix socket URL needs an absolute path (unix:///path/to/redis.sock)");
    }
    out.socket = std::string(rest);
  } else {
    std::string_view hostports = rest.substr(0, rest.find('/'));
    std::string_view path = hostports.size() < rest.size() ? rest.substr(hostports.size() + 1) : "";
    auto node = [&](std::string_view hostport, int default_port) {
      RedisUrl::Node n{"", default_port};
      if (!hostport.empty() && hostport.front() == '[') {
        auto close = hostport.find(']');
        if (close == std::string_view::npos) {
          throw fail("unterminated IPv6 address in " + typed);
        }
        n.host = std::string(hostport.substr(1, close - 1));
        hostport.remove_prefix(close + 1);
        if (!hostport.empty()) {
          if (hostport.front() != ':') {
            throw fail("invalid host in URL");
          }
          n.port = parse_number(hostport.substr(1), "port", typed);
        }
      } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
        n.host = std::string(hostport.substr(0, colon));
        n.port = parse_number(hostport.substr(colon + 1), "port", typed);
      } else {
        n.host = std::string(hostport);
      }
      if (n.host.empty()) {
        n.host = "127.0.0.1";
      }
      if (n.port == 0 || n.port > 65535) {
        throw fail("port out of range in " + typed);
      }
      return n;
    };
    if (is_sentinel) {
      while (!hostports.empty()) {
        std::string_view one = hostports.substr(0, hostports.find(','));
        hostports.remove_prefix(std::min(hostports.size(), one.size() + 1));
        if (!one.empty()) out.sentinels.push_back(node(one, 26379));
      }
      out.master = std::string(path.substr(0, path.find('/')));
      path = out.master.size() < path.size() ? path.substr(out.master.size() + 1) : "";
      if (out.sentinels.empty() || out.master.empty()) {
        throw fail("a sentinel URL names its sentinels and the master: "
                   "redis+sentinel://s1:26379,s2:26379/mymaster[/db], not " + typed);
      }
      out.host = out.sentinels.front().host;
      out.port = out.sentinels.front().port;
    } else if (is_cluster) {
      while (!hostports.empty()) {
        std::string_view one = hostports.substr(0, hostports.find(','));
        hostports.remove_prefix(std::min(hostports.size(), one.size() + 1));
        if (!one.empty()) out.cluster.push_back(node(one, 6379));
      }
      if (out.cluster.empty()) out.cluster.push_back(node("", 6379));
      out.host = out.cluster.front().host;
      out.port = out.cluster.front().port;
    } else {
      if (hostports.find(',') != std::string_view::npos) {
        throw fail("several hosts need redis+cluster:// (or ?cluster=1) or redis+sentinel://, in " + typed);
      }
      RedisUrl::Node n = node(hostports, 6379);
      out.host = n.host;
      out.port = n.port;
    }
    if (!path.empty()) {
      out.db = parse_number(path, "database number", typed);
    }
  }
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.starts_with("db=")) {
      out.db = parse_number(pair.substr(3), "database number", typed);
    } else if (pair.starts_with("cluster=")) {
      std::string_view value = pair.substr(8);
      if (value != "1" && value != "0" && value != "true" && value != "false") {
        throw fail("cluster= takes 1 or 0, not '" + std::string(value) + "', in " + typed);
      }
    } else if (pair.starts_with("password=")) {
      out.password = decode(pair.substr(9));
    } else if (pair.starts_with("sentinel_password=")) {
      if (!is_sentinel) throw fail("sentinel_password= needs a redis+sentinel:// URL, in " + typed);
      out.sentinel_password = decode(pair.substr(18));
    } else if (pair.starts_with("cacert=") || pair.starts_with("cert=") || pair.starts_with("key=") ||
               pair.starts_with("sni=") || pair.starts_with("insecure=")) {
      std::string_view name = pair.substr(0, pair.find('='));
      std::string value = decode(pair.substr(name.size() + 1));
      if (!out.tls) throw fail(std::string(name) + "= is a TLS setting: it needs a rediss:// URL, in " + typed);
      if (value.empty() && name != "insecure") throw fail(std::string(name) + "= needs a value in " + typed);
      if (name == "cacert") out.cacert = value;
      if (name == "cert") out.cert = value;
      if (name == "key") out.key = value;
      if (name == "sni") out.sni = value;
      if (name == "insecure") {
        if (value != "1" && value != "0" && value != "true" && value != "false") {
          throw fail("insecure= takes 1 or 0, not '" + value + "', in " + typed);
        }
        out.insecure = value == "1" || value == "true";
      }
    } else {
      throw fail("unknown URL parameter '" + std::string(pair.substr(0, pair.find('='))) + "' in " + typed);
    }
  }
  if (is_cluster && out.db != 0) {
    throw fail("a Redis Cluster has database 0 only, in " + typed);
  }
  return out;
}

std::string redis_url_from_env() {
  return env_value("REDIS_URL").value_or("redis://127.0.0.1:6379/0");
}

KeySpace KeySpace::checked(std::optional<std::string> flag) {
  std::string ns = flag ? std::move(*flag) : env_value("CIUTILS_NAMESPACE").value_or("ciutils");
  if (ns.empty() || ns.find_first_of("{}: ") != std::string::npos) {
    throw UsageError("--namespace: invalid namespace '" + ns + "'");
  }
  return KeySpace(std::move(ns));
}

std::string KeySpace::key(std::string_view tag, std::string_view suffix) const {
  std::string out = m_ns;
  out += ":{";
  out += tag;
  out += "}";
  if (!suffix.empty()) {
    out += ':';
    out += suffix;
  }
  return out;
}

Reply::Reply(std::shared_ptr<redisReply> root, const redisReply* node, std::string command)
    : m_root(std::move(root)), m_node(node), m_command(std::move(command)) {}

bool Reply::is_nil() const { return m_node->type == REDIS_REPLY_NIL; }
bool Reply::is_integer() const { return m_node->type == REDIS_REPLY_INTEGER; }
bool Reply::is_string() const {
  return m_node->type == REDIS_REPLY_STRING || m_node->type == REDIS_REPLY_STATUS;
}
bool Reply::is_array() const { return m_node->type == REDIS_REPLY_ARRAY; }

long long Reply::integer() const {
  if (m_node->type == REDIS_REPLY_INTEGER) {
    return m_node->integer;
  }
  if (is_string()) {
    long long value = 0;
    auto [ptr, ec] = std::from_chars(m_node->str, m_node->str + m_node->len, value);
    if (ec == std::errc() && ptr == m_node->str + m_node->len) {
      return value;
    }
  }
  throw std::runtime_error("Redis " + m_command + ": expected an integer reply");
}

std::string Reply::string() const {
  if (is_string()) {
    return std::string(m_node->str, m_node->len);
  }
  if (m_node->type == REDIS_REPLY_INTEGER) {
    return std::to_string(m_node->integer);
  }
  throw std::runtime_error("Redis " + m_command + ": expected a string reply");
}

std::optional<std::string> Reply::optional_string() const {
  if (is_nil()) {
    return std::nullopt;
  }
  return string();
}

std::size_t Reply::size() const {
  if (is_nil()) {
    return 0;
  }
  if (!is_array()) {
    throw std::runtime_error("Redis " + m_command + ": expected an array reply");
  }
  return m_node->elements;
}

Reply Reply::operator[](std::size_t i) const {
  if (i >= size()) {
    throw std::runtime_error("Redis " + m_command + ": reply has no element " + std::to_string(i));
  }
  return Reply(m_root, m_node->element[i], m_command);
}

std::vector<std::string> Reply::strings() const {
  std::vector<std::string> out;
  std::size_t n = size();
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    Reply element = (*this)[i];
    out.push_back(element.is_nil() ? std::string() : element.string());
  }
  return out;
}

std::optional<RedisRefusal> redis_refusal(std::string_view reply) {
  struct Known {
    std::string_view code;
    std::string_view cause;
    bool transient;
  };
  static constexpr Known k_known[] = {
      {"NOAUTH", "a password is needed (give it in the URL: redis://:PASSWORD@host:port/db)", false},
      {"WRONGPASS", "the user name or password is wrong", false},
      {"NOPERM", "the user lacks a permission this command needs", false},
      {"READONLY", "it is a read-only replica (point the URL at the master)", false},
      {"MOVED", "it is a Redis Cluster node (use redis+cluster://host:port,host:port/)", false},
      {"ASK", "it is a Redis Cluster node (use redis+cluster://host:port,host:port/)", false},
      {"CLUSTERDOWN", "the cluster is down", true},
      {"CROSSSLOT", "the command's keys are in different cluster slots: it does not work on a Redis Cluster",
       false},
      {"LOADING", "it is still loading its data set", true},
      {"MASTERDOWN", "the replica has lost its master", true},
      {"MISCONF", "it cannot save to disk and refuses writes", false},
      {"OOM", "it is out of memory (maxmemory) and refuses writes", false},
      {"BUSY", "it is busy running a script", true},
  };
  std::string_view code = reply.substr(0, reply.find(' '));
  for (const auto& k : k_known) {
    if (code == k.code) return RedisRefusal{std::string(k.cause), k.transient};
  }
  // Redis refuses long commands from a client that has not authenticated.
  if (reply.find("Protocol error: unauthenticated") != std::string_view::npos) {
    return RedisRefusal{std::string(k_known[0].cause), false};
  }
  // A script's key permission error comes back as a plain ERR.
  if (reply.find("can't access at least one of the keys") != std::string_view::npos) {
    return RedisRefusal{"the user lacks a permission this command needs", false};
  }
  return std::nullopt;
}

RedisReplyError::RedisReplyError(const std::string& command, const std::string& reply)
    : std::runtime_error("Redis " + command + ": " + reply), m_reply(reply) {}

void Redis::ContextFree::operator()(redisContext* c) const { redisFree(c); }

namespace {

struct ReaderFree {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};

struct CommandFree {
  void operator()(char* command) const { redisFreeCommand(command); }
};

// The URL's TLS settings, each falling back to its environment variable.
TlsSettings tls_settings(const RedisUrl& url) {
  TlsSettings settings;
  settings.cacert = url.cacert.empty() ? env_value("CIUTILS_REDIS_CACERT").value_or("") : url.cacert;
  settings.cert = url.cert.empty() ? env_value("CIUTILS_REDIS_CERT").value_or("") : url.cert;
  settings.key = url.key.empty() ? env_value("CIUTILS_REDIS_KEY").value_or("") : url.key;
  settings.server_name = url.sni;
  settings.insecure = url.insecure;
  return settings;
}

}  // namespace

// rediss://: TLS on ciutils' own socket, and hiredis's RESP parser fed with what it reads.
struct Redis::TlsConnection {
  TlsStream stream;
  std::unique_ptr<redisReader, ReaderFree> reader;
};

Redis::Redis(RedisUrl url, Options options)
    : m_url(std::move(url)), m_options(options), m_node{m_url.host, m_url.port} {
  if (!m_url.cluster.empty()) m_cluster = std::make_unique<Cluster>(m_url, m_options);
}
Redis::Redis(Redis&&) noexcept = default;
Redis& Redis::operator=(Redis&&) noexcept = default;
Redis::~Redis() = default;

Redis Redis::connect(const RedisUrl& url, Options options) {
  // Once for the URL the user gave, not for each cluster node or sentinel it leads to.
  if (url.insecure) {
    warn_once("Redis at " + url.redacted() +
              ": ?insecure=1: the server's TLS certificate is not verified; anyone on the network path can read "
              "and change what the tools store (locks, queues, passwords)");
  }
  Redis redis(url, options);
  if (redis.m_cluster) {
    redis.m_cluster->refresh();
  } else {
    redis.ensure_connected();
  }
  return redis;
}

void Redis::connect_tls() {
  auto deadline = std::chrono::steady_clock::now() + m_options.connect_timeout;
  try {
    TlsStream stream = TlsStream::connect(m_node.host, m_node.port, tls_settings(m_url), deadline);
    std::unique_ptr<redisReader, ReaderFree> reader(redisReaderCreate());
    if (!reader) throw std::bad_alloc();
    m_tls = std::make_unique<TlsConnection>(TlsConnection{std::move(stream), std::move(reader)});
  } catch (const TlsStreamError& e) {
    throw ServiceError("cannot connect to Redis at " + m_url.redacted() + ": " + e.what());
  } catch (const UsageError& e) {
    throw UsageError("REDIS_URL " + m_url.redacted() + ": " + e.what());
  }
}

// One command on the TLS connection, within the command timeout. Throws TlsStreamError.
redisReply* Redis::tls_round_trip(int argc, const char** argv, const std::size_t* lens) {
  char* formatted = nullptr;
  int size = redisFormatCommandArgv(&formatted, argc, argv, lens);
  if (size < 0) throw std::bad_alloc();
  std::unique_ptr<char, CommandFree> command(formatted);
  auto deadline = std::chrono::steady_clock::now() + m_options.command_timeout;
  m_tls->stream.write_all(std::string_view(formatted, static_cast<std::size_t>(size)), deadline);
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(m_tls->reader.get(), &reply) != REDIS_OK) {
      throw TlsStreamError(std::string("protocol error: ") + m_tls->reader->errstr);
    }
    if (reply != nullptr) return static_cast<redisReply*>(reply);
    char buffer[16384];
    std::size_t got = m_tls->stream.read_some(buffer, sizeof buffer, deadline);
    redisReaderFeed(m_tls->reader.get(), buffer, got);
  }
}

void Redis::connect_plain(const RedisUrl::Node& node) {
  timeval connect_tv = to_timeval(m_options.connect_timeout);
  std::unique_ptr<redisContext, ContextFree> ctx(
      m_url.socket.empty() ? redisConnectWithTimeout(node.host.c_str(), node.port, connect_tv)
                           : redisConnectUnixWithTimeout(m_url.socket.c_str(), connect_tv));
  if (!ctx) {
    throw ServiceError("cannot connect to Redis at " + m_url.redacted() + ": out of memory");
  }
  if (ctx->err != 0) {
    throw ServiceError("cannot connect to Redis at " + m_url.redacted() + ": " + ctx->errstr);
  }
  redisSetTimeout(ctx.get(), to_timeval(m_options.command_timeout));
  m_ctx = std::move(ctx);
  m_answered = false;
}

// Asks each sentinel in turn for the primary of m_url.master and connects to the first named.
// rediss+sentinel:// speaks TLS to the sentinels and to the primary, with the same settings.
void Redis::connect_via_sentinels() {
  std::string failures;
  auto ask_timeout = std::min<std::chrono::milliseconds>(m_options.connect_timeout, std::chrono::seconds(1));
  for (const auto& sentinel : m_url.sentinels) {
    RedisUrl asked = m_url;
    asked.sentinels.clear();
    asked.host = sentinel.host;
    asked.port = sentinel.port;
    asked.user.clear();
    asked.password = m_url.sentinel_password;
    asked.db = 0;
    Redis s(asked, Options{ask_timeout, ask_timeout});
    std::string why;
    try {
      if (m_url.tls) {
        TlsStream stream = TlsStream::connect(sentinel.host, sentinel.port, tls_settings(m_url),
                                              std::chrono::steady_clock::now() + ask_timeout);
        std::unique_ptr<redisReader, ReaderFree> reader(redisReaderCreate());
        if (!reader) throw std::bad_alloc();
        s.m_tls = std::make_unique<TlsConnection>(TlsConnection{std::move(stream), std::move(reader)});
      } else {
        std::unique_ptr<redisContext, ContextFree> c(
            redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, to_timeval(ask_timeout)));
        if (!c || c->err != 0) throw ServiceError(c ? c->errstr : "out of memory");
        redisSetTimeout(c.get(), to_timeval(ask_timeout));
        s.m_ctx = std::move(c);
      }
      if (!m_url.sentinel_password.empty()) s.command_once({"AUTH", m_url.sentinel_password});
      Reply reply = s.command_once({"SENTINEL", "get-master-addr-by-name", m_url.master});
      if (reply.is_array() && reply.size() == 2) {
        m_node = {reply[0].string(), std::atoi(reply[1].string().c_str())};
      } else {
        why = "does not know master '" + m_url.master + "'";
      }
    } catch (const UsageError& e) {
      throw UsageError("REDIS_URL " + m_url.redacted() + ": " + e.what());
    } catch (const RedisReplyError& e) {
      why = e.reply();
    } catch (const RedisRefusedError& e) {
      why = e.reply();
    } catch (const std::runtime_error& e) {  // ServiceError, TlsStreamError
      why = e.what();
    }
    if (why.empty()) {
      if (m_url.tls) {
        connect_tls();
      } else {
        connect_plain(m_node);
      }
      return;
    }
    failures += "; " + sentinel.host + ":" + std::to_string(sentinel.port) + ": " + why;
  }
  throw ServiceError("cannot connect to Redis at " + m_url.redacted() + ": no sentinel named the primary (" +
                     failures.substr(2) + ")");
}

void Redis::drop() {
  m_ctx.reset();
  m_tls.reset();
}

void Redis::ensure_connected() {
  if (m_ctx || m_tls) {
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + m_options.connect_timeout;
  for (;;) {
    try {
      if (!m_url.sentinels.empty()) {
        connect_via_sentinels();
      } else if (m_url.tls) {
        connect_tls();
      } else {
        connect_plain(m_node);
      }
      if (!m_url.password.empty()) {
        if (m_url.user.empty()) {
          command_once({"AUTH", m_url.password});
        } else {
          command_once({"AUTH", m_url.user, m_url.password});
        }
      }
      if (m_url.db != 0) {
        command_once({"SELECT", std::to_string(m_url.db)});
      }
      // Right after a failover a sentinel may name a primary that is not one yet (or no longer).
      if (!m_url.sentinels.empty() && command_once({"ROLE"})[0].string() != "master") {
        throw ServiceError("cannot connect to Redis at " + m_url.redacted() + ": " + m_node.host + ":" +
                           std::to_string(m_node.port) + ", named by the sentinels, is not the primary");
      }
      return;
    } catch (const RedisReplyError& e) {
      drop();
      // The server's AUTH message never contains the password; name the redacted URL.
      throw ServiceError("Redis at " + m_url.redacted() + " refused the connection: " + e.reply());
    } catch (const RedisRefusedError& e) {
      drop();
      if (m_url.sentinels.empty() || !e.transient() || std::chrono::steady_clock::now() >= deadline) throw;
    } catch (const ServiceError&) {
      drop();
      // A sentinel URL rides out a failover: ask again until the connect timeout.
      if (m_url.sentinels.empty() || std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Reply Redis::command(const std::vector<std::string>& args) {
  if (m_cluster) {
    return m_cluster->command(args);
  }
  if (m_url.sentinels.empty()) {
    return command_once(args);
  }
  // Through sentinels, a reply that says this server is no longer (or not yet) the primary
  // means the command did not run: find the primary again and send it there, until the
  // command timeout.
  auto deadline = std::chrono::steady_clock::now() + m_options.command_timeout;
  for (;;) {
    try {
      return command_once(args);
    } catch (const RedisRefusedError& e) {
      bool moved_on = e.reply().starts_with("READONLY") || e.reply().starts_with("LOADING") ||
                      e.reply().starts_with("MASTERDOWN");
      if (!moved_on || std::chrono::steady_clock::now() >= deadline) throw;
    } catch (const RedisReplyError& e) {
      // a BLPOP on a primary that became a replica
      if (!e.reply().starts_with("UNBLOCKED") || std::chrono::steady_clock::now() >= deadline) throw;
    }
    drop();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Reply Redis::command_once(const std::vector<std::string>& args) {
  ensure_connected();
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  std::string name = command_name(args);
  redisReply* raw = nullptr;
  std::string why = "no reply";
  if (m_tls) {
    try {
      raw = tls_round_trip(static_cast<int>(argv.size()), argv.data(), lens.data());
    } catch (const TlsStreamError& e) {
      why = e.what();
    }
  } else {
    raw = static_cast<redisReply*>(
        redisCommandArgv(m_ctx.get(), static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (raw == nullptr && m_ctx->err != 0) {
      why = m_ctx->errstr;
      if (m_ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        why = "timed out";
      }
      // A TLS port drops a plain client at its first bytes; Redis itself answers first.
      bool dropped = m_ctx->err == REDIS_ERR_EOF || (m_ctx->err == REDIS_ERR_IO && errno == ECONNRESET);
      if (dropped && !m_answered && m_url.socket.empty()) why += " (is that port TLS? use a rediss:// URL)";
    }
    if (raw != nullptr) m_answered = true;
  }
  if (raw == nullptr) {
    m_ctx.reset();  // the connection state is unknown: reconnect before the next command
    m_tls.reset();
    throw ServiceError("Redis " + name + " at " + m_url.redacted() + ": " + why);
  }
  std::shared_ptr<redisReply> root(raw, freeReplyObject);
  if (raw->type == REDIS_REPLY_ERROR) {
    std::string text(raw->str, raw->len);
    if (auto refusal = redis_refusal(text)) {
      throw RedisRefusedError("Redis at " + m_url.redacted() + " refused " + name + ": " + refusal->cause + " (" +
                                  text + ")",
                              refusal->transient, text);
    }
    throw RedisReplyError(name, text);
  }
  return Reply(root, raw, name);
}

Reply Redis::evalsha(const Script& script, const std::vector<std::string>& keys,
                     const std::vector<std::string>& args,
                     const std::function<Reply(const std::vector<std::string>&)>& send) {
  std::vector<std::string> argv{"EVALSHA", script.sha(), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  try {
    return send(argv);
  } catch (const RedisReplyError& e) {
    if (!e.reply().starts_with("NOSCRIPT")) {
      throw;
    }
  }
  // The server lost its script cache (restart, SCRIPT FLUSH, failover) or never had it (a
  // cluster node seen for the first time): load and retry once.
  send({"SCRIPT", "LOAD", script.source()});
  return send(argv);
}

Reply Redis::eval(const Script& script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args) {
  if (m_cluster) {
    return m_cluster->eval(script, keys, args);
  }
  return evalsha(script, keys, args, [this](const std::vector<std::string>& argv) { return command(argv); });
}

void Redis::set_command_timeout(std::chrono::milliseconds timeout) {
  m_options.command_timeout = timeout;
  if (m_ctx) {
    redisSetTimeout(m_ctx.get(), to_timeval(timeout));
  }
  if (m_cluster) {
    m_cluster->set_command_timeout(timeout);
  }
}

int Redis::wait_replicas(int replicas, std::chrono::milliseconds timeout) {
  if (m_cluster) {
    throw UsageError("--min-replicas: not supported on a Redis Cluster (" + m_url.redacted() +
                     "): each master has its own replicas");
  }
  if (!m_ctx && !m_tls) {
    throw ServiceError("Redis at " + m_url.redacted() +
                       ": the connection was lost after the write, so its replication cannot be checked");
  }
  timeout = std::min(timeout, m_options.command_timeout / 2);
  return static_cast<int>(
      command_once({"WAIT", std::to_string(replicas), std::to_string(std::max<long long>(1, timeout.count()))})
          .integer());
}

void require_replicas(Redis& redis, int replicas, std::string_view what, std::chrono::milliseconds timeout) {
  if (replicas <= 0) return;
  int acknowledged = redis.wait_replicas(replicas, timeout);
  if (acknowledged < replicas) {
    throw ServiceError("Redis at " + redis.url().redacted() + ": only " + std::to_string(acknowledged) + " of " +
                       std::to_string(replicas) + (replicas == 1 ? " replica" : " replicas") + " acknowledged " +
                       std::string(what) + " within " + format_duration(timeout) + " (--min-replicas)");
  }
}

std::vector<std::string> Redis::scan(const std::string& pattern) {
  std::vector<Redis*> servers = m_cluster ? m_cluster->masters() : std::vector<Redis*>{this};
  std::vector<std::string> keys;
  for (Redis* server : servers) {
    std::string cursor = "0";
    do {
      Reply reply = server->command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      cursor = reply[0].string();
      for (auto& key : reply[1].strings()) keys.push_back(std::move(key));
    } while (cursor != "0");
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace ciutils
