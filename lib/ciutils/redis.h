// Redis client on hiredis 0.14: URL parsing with redaction, RAII connection,
// typed replies, Lua scripts via EVALSHA with NOSCRIPT reload, namespaced keys.
#pragma once

#include "ciutils/error.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReader;
struct redisReply;

namespace ciutils {

// redis://[user:password@]host[:port][/db], rediss://… (TLS) or unix:///path.sock[?db=N].
// rediss:// takes ?cacert=FILE, ?cert=FILE&key=FILE (mutual TLS), ?sni=NAME, ?insecure=1.
// redis+sentinel://[user:password@]s1[:26379],s2…/master[/db][?sentinel_password=…]: the
// primary the sentinels name for master.
// redis+cluster://[user:password@]h1:p1,h2:p2/ (rediss+cluster:// with TLS), or any
// redis://h1:p1,h2:p2/?cluster=1: a Redis Cluster found from these seed nodes.
struct RedisUrl {
  struct Node {
    std::string host;
    int port = 0;
  };
  std::string host;       // empty for unix sockets
  int port = 6379;
  std::string socket;     // unix socket path
  std::string user;       // ACL user; empty means the default user
  std::string password;   // empty means no AUTH
  int db = 0;
  bool tls = false;       // rediss://
  std::string cacert;     // CA file to verify the server with; empty: CIUTILS_REDIS_CACERT, the system's
  std::string cert;       // client certificate; empty: CIUTILS_REDIS_CERT
  std::string key;        // client key; empty: CIUTILS_REDIS_KEY, else in the cert file
  std::string sni;        // name to verify and send as SNI; empty: host
  bool insecure = false;  // TLS without any verification (a warning is printed)
  std::vector<Node> sentinels;    // redis+sentinel://: whom to ask for the primary
  std::string master;             // the name the sentinels know it by
  std::string sentinel_password;  // AUTH for the sentinels (password is the primary's)
  std::vector<Node> cluster;      // redis+cluster://: the seed nodes (empty: not a cluster)

  // The URL with the password replaced by "***": the only form ever shown.
  std::string redacted() const;
};

// Throws UsageError for a malformed URL, naming the part.
RedisUrl parse_redis_url(std::string_view url);

// REDIS_URL from the environment, or redis://127.0.0.1:6379/0.
std::string redis_url_from_env();

// Key names: "<namespace>:{<tag>}:<suffix>". The hash tag keeps every key one
// script touches in one cluster slot. The namespace comes from CIUTILS_NAMESPACE.
class KeySpace {
public:
  explicit KeySpace(std::string ns) : m_ns(std::move(ns)) {}
  // What every tool's --namespace gives: the flag's value when given, else
  // CIUTILS_NAMESPACE, else "ciutils". UsageError "--namespace: invalid namespace 'NS'"
  // when it is empty or holds '{', '}', ':' or a space (it prefixes every key).
  static KeySpace checked(std::optional<std::string> flag);
  std::string key(std::string_view tag, std::string_view suffix) const;
  const std::string& name() const { return m_ns; }

private:
  std::string m_ns;
};

// One reply (or an element of one). Shares ownership of the whole reply tree.
class Reply {
public:
  Reply(std::shared_ptr<redisReply> root, const redisReply* node, std::string command);
  bool is_nil() const;
  bool is_integer() const;
  bool is_string() const;  // bulk or status
  bool is_array() const;
  // Typed access; a mismatch throws std::runtime_error naming the command.
  long long integer() const;
  std::string string() const;
  std::size_t size() const;  // array length
  Reply operator[](std::size_t i) const;
  std::vector<std::string> strings() const;  // array of strings (nil → "")
  std::optional<std::string> optional_string() const;  // nil → nullopt

private:
  std::shared_ptr<redisReply> m_root;
  const redisReply* m_node;
  std::string m_command;
};

// A server error reply (WRONGTYPE, a Lua redis.error_reply, …), with the command named.
class RedisReplyError : public std::runtime_error {
public:
  RedisReplyError(const std::string& command, const std::string& reply);
  const std::string& reply() const { return m_reply; }  // the server's text, e.g. "NOSCRIPT …"

private:
  std::string m_reply;
};

// An error reply by which the server refuses to serve this client at all: NOAUTH,
// WRONGPASS, NOPERM (also a script's key permission error), READONLY, MOVED/ASK (a
// cluster node reached by a plain URL; a cluster URL follows them), CLUSTERDOWN, LOADING, MASTERDOWN,
// MISCONF, OOM, BUSY. What it means in words, and whether waiting may help.
struct RedisRefusal {
  std::string cause;       // "a password is needed", "it is a read-only replica", …
  bool transient = false;  // LOADING, MASTERDOWN, CLUSTERDOWN, BUSY: it may pass
};
std::optional<RedisRefusal> redis_refusal(std::string_view reply);

// Thrown instead of RedisReplyError for a refusal: exit 3, the message names the
// command, the cause, the redacted URL and the server's words.
class RedisRefusedError : public ServiceError {
public:
  RedisRefusedError(const std::string& message, bool transient, std::string reply = "")
      : ServiceError(message), m_transient(transient), m_reply(std::move(reply)) {}
  bool transient() const { return m_transient; }
  const std::string& reply() const { return m_reply; }  // the server's text, e.g. "READONLY …"

private:
  bool m_transient;
  std::string m_reply;
};

// A Lua script, named by its SHA-1 as Redis does; sent with EVALSHA and loaded with
// SCRIPT LOAD only when the server answers NOSCRIPT. Immutable, so shareable by threads.
class Script {
public:
  explicit Script(std::string source);
  const std::string& source() const { return m_source; }
  const std::string& sha() const { return m_sha; }

private:
  std::string m_source;
  std::string m_sha;
};

// How long --min-replicas waits for the replicas to acknowledge a write.
inline constexpr std::chrono::milliseconds k_replica_wait{1000};

// Lower-case hex SHA-1 of data (how Redis names scripts).
std::string sha1_hex(std::string_view data);

class Redis {
public:
  struct Options {
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
    std::chrono::milliseconds command_timeout{std::chrono::seconds(10)};
  };

  // Connects, AUTHs and SELECTs. Throws ServiceError naming the redacted URL.
  static Redis connect(const RedisUrl& url, Options options);
  static Redis connect(const RedisUrl& url) { return connect(url, Options{}); }

  Redis(Redis&&) noexcept;
  Redis& operator=(Redis&&) noexcept;
  ~Redis();

  // Sends one command. An I/O failure throws ServiceError and drops the connection;
  // the next command reconnects first (a command is never resent by itself).
  // A refusal (redis_refusal) throws RedisRefusedError; any other server error reply
  // throws RedisReplyError.
  Reply command(const std::vector<std::string>& args);

  // EVALSHA, loading the script on first use and again after NOSCRIPT.
  Reply eval(const Script& script, const std::vector<std::string>& keys,
             const std::vector<std::string>& args);

  // Changes the command timeout (a blocking BLPOP needs more than its own timeout).
  void set_command_timeout(std::chrono::milliseconds timeout);

  // Every key matching a SCAN pattern, on the one server or on every master of a cluster,
  // without duplicates. Throws ServiceError when a master is unreachable: never a part.
  std::vector<std::string> scan(const std::string& pattern);

  // WAIT: blocks until `replicas` replicas have acknowledged every write this connection
  // made, or until `timeout` (at most half the command timeout); returns how many did.
  // Never reconnects: ServiceError when the connection was lost since the writes.
  // UsageError on a cluster URL (each node has its own replicas).
  int wait_replicas(int replicas, std::chrono::milliseconds timeout);

  const RedisUrl& url() const { return m_url; }

private:
  struct ContextFree {
    void operator()(redisContext* c) const;
  };
  struct TlsConnection;  // rediss://: a TlsStream and hiredis's reply reader
  class Cluster;         // redis+cluster://: the slot map and a connection per node
  Redis(RedisUrl url, Options options);
  void ensure_connected();
  void connect_plain(const RedisUrl::Node& node);
  void connect_tls();
  void connect_via_sentinels();
  Reply command_once(const std::vector<std::string>& args);
  void drop();
  redisReply* tls_round_trip(int argc, const char** argv, const std::size_t* lens);
  // EVALSHA through send, with SCRIPT LOAD through load and one retry after NOSCRIPT.
  static Reply evalsha(const Script& script, const std::vector<std::string>& keys,
                       const std::vector<std::string>& args,
                       const std::function<Reply(const std::vector<std::string>&)>& send);

  RedisUrl m_url;
  Options m_options;
  RedisUrl::Node m_node;  // the server connected to: the URL's, or the primary the sentinels named
  std::unique_ptr<redisContext, ContextFree> m_ctx;  // redis:// and unix://
  bool m_answered = false;                           // m_ctx has had a reply
  std::unique_ptr<TlsConnection> m_tls;              // rediss://
  std::unique_ptr<Cluster> m_cluster;                // redis+cluster://
};

// For --min-replicas: nothing when replicas <= 0; else waits (wait_replicas, at most
// `timeout`) and throws ServiceError "Redis at URL: only K of N replicas acknowledged WHAT
// within T" when fewer did.
void require_replicas(Redis& redis, int replicas, std::string_view what,
                      std::chrono::milliseconds timeout = k_replica_wait);

}  // namespace ciutils
