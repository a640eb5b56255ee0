#include "ciutils/redis.h"

#include "ciutils/error.h"
#include "ciutils/test_redis_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace ciutils;
using namespace ciutils::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string usage_message(auto fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(RedisUrl, ParsesTcpAuthDbAndUnixForms) {
  auto u = parse_redis_url("redis://alice:p%40ss@db.example:6380/3");
  EXPECT_EQ(u.host, "db.example");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.db, 3);
  EXPECT_EQ(u.redacted(), "redis://alice:***@db.example:6380/3");

  auto p = parse_redis_url("redis://:secret@localhost");
  EXPECT_EQ(p.user, "");
  EXPECT_EQ(p.password, "secret");
  EXPECT_EQ(p.port, 6379);
  EXPECT_EQ(p.redacted(), "redis://:***@localhost:6379/0");

  auto s = parse_redis_url("unix:///run/redis/redis.sock?db=2");
  EXPECT_EQ(s.socket, "/run/redis/redis.sock");
  EXPECT_EQ(s.db, 2);
  EXPECT_EQ(s.redacted(), "unix:///run/redis/redis.sock?db=2");

  auto v6 = parse_redis_url("redis://[::1]:7000");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 7000);
}

TEST(RedisUrl, RejectsBadFormsWithoutEchoingPasswords) {
  EXPECT_EQ(usage_message([] { parse_redis_url("http://host"); }),
            "REDIS_URL: unsupported scheme (expected redis://host:port/db, rediss://host:port/db, "
            "redis+sentinel://host:port,host:port/master/db (rediss+sentinel:// with TLS), "
            "redis+cluster://host:port,host:port/ or unix:///path.sock?db=N)");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://u:topsecret@host:99999/0"); }),
            "REDIS_URL: port out of range in redis://u:***@host:99999/0");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://u:topsecret@host:6379/x"); }),
            "REDIS_URL: invalid database number 'x' in redis://u:***@host:6379/x");
  EXPECT_EQ(usage_message([] { parse_redis_url("unix://relative.sock"); }),
            "REDIS_URL: unix socket URL needs an absolute path (unix:///path/to/redis.sock)");
}

TEST(RedisUrl, ParsesTlsSettings) {
  auto u = parse_redis_url("rediss://u:pw@redis.example:6380/2?cacert=/etc/ca%20s.pem&cert=/c.pem&key=/k.pem"
                           "&sni=other.example");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "redis.example");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.db, 2);
  EXPECT_EQ(u.cacert, "/etc/ca s.pem");
  EXPECT_EQ(u.cert, "/c.pem");
  EXPECT_EQ(u.key, "/k.pem");
  EXPECT_EQ(u.sni, "other.example");
  EXPECT_FALSE(u.insecure);
  EXPECT_EQ(u.redacted(), "rediss://u:***@redis.example:6380/2");
  EXPECT_TRUE(parse_redis_url("rediss://h?insecure=1").insecure);
  EXPECT_FALSE(parse_redis_url("rediss://h?insecure=0").insecure);
  EXPECT_FALSE(parse_redis_url("redis://h").tls);
}

TEST(RedisUrl, ParsesSentinelForms) {
  auto u = parse_redis_url("redis+sentinel://:pw@s1:26380,s2,[::1]:26381/mymaster/3?sentinel_password=spw");
  ASSERT_EQ(u.sentinels.size(), 3u);
  EXPECT_EQ(u.sentinels[0].host, "s1");
  EXPECT_EQ(u.sentinels[0].port, 26380);
  EXPECT_EQ(u.sentinels[1].host, "s2");
  EXPECT_EQ(u.sentinels[1].port, 26379);
  EXPECT_EQ(u.sentinels[2].host, "::1");
  EXPECT_EQ(u.sentinels[2].port, 26381);
  EXPECT_EQ(u.master, "mymaster");
  EXPECT_EQ(u.db, 3);
  EXPECT_EQ(u.password, "pw");
  EXPECT_EQ(u.sentinel_password, "spw");
  EXPECT_EQ(u.redacted(), "redis+sentinel://:***@s1:26380,s2:26379,::1:26381/mymaster/3");
  EXPECT_EQ(parse_redis_url("redis+sentinel://s1/m").db, 0);
  EXPECT_EQ(usage_message([] { parse_redis_url("redis+sentinel://s1:26379"); }),
            "REDIS_URL: a sentinel URL names its sentinels and the master: "
            "redis+sentinel://s1:26379,s2:26379/mymaster[/db], not redis+sentinel://s1:26379");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis+sentinel://s1/m?sentinel_password=topsecret&x=1"); }),
            "REDIS_URL: unknown URL parameter 'x' in redis+sentinel://s1/m?sentinel_password=***&x=1");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://h?sentinel_password=topsecret"); }),
            "REDIS_URL: sentinel_password= needs a redis+sentinel:// URL, in redis://h?sentinel_password=***");
}

TEST(RedisUrl, ParsesTlsSentinelForms) {
  auto u = parse_redis_url("rediss+sentinel://:pw@s1,s2:26380/mymaster?cacert=/ca.pem&sni=redis.internal");
  EXPECT_TRUE(u.tls);
  ASSERT_EQ(u.sentinels.size(), 2u);
  EXPECT_EQ(u.sentinels[1].port, 26380);
  EXPECT_EQ(u.master, "mymaster");
  EXPECT_EQ(u.cacert, "/ca.pem");
  EXPECT_EQ(u.sni, "redis.internal");
  EXPECT_EQ(u.redacted(), "rediss+sentinel://:***@s1:26379,s2:26380/mymaster/0");
  EXPECT_FALSE(parse_redis_url("redis+sentinel://s1/m").tls);
  EXPECT_EQ(usage_message([] { parse_redis_url("redis+sentinel://s1/m?cacert=/ca.pem"); }),
            "REDIS_URL: cacert= is a TLS setting: it needs a rediss:// URL, in redis+sentinel://s1/m?cacert=/ca.pem");
}

TEST(RedisUrl, ParsesClusterForms) {
  auto c = parse_redis_url("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2,[::1]:7002/");
  ASSERT_EQ(c.cluster.size(), 3u);
  EXPECT_EQ(c.cluster[0].host, "10.0.0.1");
  EXPECT_EQ(c.cluster[0].port, 7000);
  EXPECT_EQ(c.cluster[1].host, "10.0.0.2");
  EXPECT_EQ(c.cluster[1].port, 6379);
  EXPECT_EQ(c.cluster[2].host, "::1");
  EXPECT_EQ(c.host, "10.0.0.1");
  EXPECT_EQ(c.password, "pw");
  EXPECT_FALSE(c.tls);
  EXPECT_EQ(c.redacted(), "redis+cluster://:***@10.0.0.1:7000,10.0.0.2:6379,::1:7002/");

  auto q = parse_redis_url("redis://a:7000,b:7001/0?cluster=1");
  ASSERT_EQ(q.cluster.size(), 2u);
  EXPECT_EQ(q.cluster[1].host, "b");
  EXPECT_EQ(q.redacted(), "redis+cluster://a:7000,b:7001/");

  auto t = parse_redis_url("rediss+cluster://a:7000,b:7001?cacert=/ca.pem");
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.cacert, "/ca.pem");
  EXPECT_EQ(t.redacted(), "rediss+cluster://a:7000,b:7001/");
  EXPECT_TRUE(parse_redis_url("rediss://a:7000,b:7001/?cluster=true&insecure=1").tls);

  EXPECT_TRUE(parse_redis_url("redis://a:7000/?cluster=0").cluster.empty());
  EXPECT_EQ(usage_message([] { parse_redis_url("redis+cluster://a:7000/1"); }),
            "REDIS_URL: a Redis Cluster has database 0 only, in redis+cluster://a:7000/1");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://a:7000,b:7001/"); }),
            "REDIS_URL: several hosts need redis+cluster:// (or ?cluster=1) or redis+sentinel://, in "
            "redis://a:7000,b:7001/");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://a:7000/?cluster=yes"); }),
            "REDIS_URL: cluster= takes 1 or 0, not 'yes', in redis://a:7000/?cluster=yes");
  EXPECT_EQ(usage_message([] { parse_redis_url("unix:///r.sock?cluster=1"); }),
            "REDIS_URL: cluster=1 needs a redis:// or rediss:// URL, in unix:///r.sock?cluster=1");
}

TEST(RedisUrl, RejectsTlsSettingsOutsideRedissAndBadValues) {
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://h:1/0?cacert=/ca.pem"); }),
            "REDIS_URL: cacert= is a TLS setting: it needs a rediss:// URL, in redis://h:1/0?cacert=/ca.pem");
  EXPECT_EQ(usage_message([] { parse_redis_url("unix:///s.sock?insecure=1"); }),
            "REDIS_URL: insecure= is a TLS setting: it needs a rediss:// URL, in unix:///s.sock?insecure=1");
  EXPECT_EQ(usage_message([] { parse_redis_url("rediss://h?insecure=yes"); }),
            "REDIS_URL: insecure= takes 1 or 0, not 'yes', in rediss://h?insecure=yes");
  EXPECT_EQ(usage_message([] { parse_redis_url("rediss://:secret@h?cert="); }),
            "REDIS_URL: cert= needs a value in rediss://:***@h?cert=");
}

TEST(RedisUrl, ErrorsShowTheUrlAsTypedWithThePasswordRedacted) {
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://host:abc/0"); }),
            "REDIS_URL: invalid port 'abc' in redis://host:abc/0");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://u:topsecret@host:abc/0"); }),
            "REDIS_URL: invalid port 'abc' in redis://u:***@host:abc/0");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://topsecret@host:6379/x"); }),
            "REDIS_URL: invalid database number 'x' in redis://***@host:6379/x");
  EXPECT_EQ(usage_message([] { parse_redis_url("redis://host/0?password=topsecret&x=1"); }),
            "REDIS_URL: unknown URL parameter 'x' in redis://host/0?password=***&x=1");
}

TEST(RedisRefusal, NamesTheCauseOfEachRefusal) {
  EXPECT_EQ(redis_refusal("NOAUTH Authentication required.")->cause,
            "a password is needed (give it in the URL: redis://:PASSWORD@host:port/db)");
  EXPECT_EQ(redis_refusal("WRONGPASS invalid username-password pair or user is disabled.")->cause,
            "the user name or password is wrong");
  EXPECT_EQ(redis_refusal("NOPERM this user has no permissions to run the 'eval' command")->cause,
            "the user lacks a permission this command needs");
  EXPECT_EQ(redis_refusal("ERR The user executing the script can't access at least one of the keys mentioned")->cause,
            "the user lacks a permission this command needs");
  EXPECT_EQ(redis_refusal("READONLY You can't write against a read only replica.")->cause,
            "it is a read-only replica (point the URL at the master)");
  EXPECT_EQ(redis_refusal("MOVED 3999 127.0.0.1:6381")->cause,
            "it is a Redis Cluster node (use redis+cluster://host:port,host:port/)");
  EXPECT_TRUE(redis_refusal("LOADING Redis is loading the dataset in memory")->transient);
  EXPECT_TRUE(redis_refusal("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")->transient);
  EXPECT_FALSE(redis_refusal("NOAUTH Authentication required.")->transient);
  EXPECT_EQ(redis_refusal("ERR Protocol error: unauthenticated multibulk length")->cause,
            "a password is needed (give it in the URL: redis://:PASSWORD@host:port/db)");
  EXPECT_FALSE(redis_refusal("ERR value is not an integer or out of range"));
  EXPECT_FALSE(redis_refusal("NOSCRIPT No matching script."));
  EXPECT_FALSE(redis_refusal("WRONGTYPE Operation against a key holding the wrong kind of value"));
}

TEST(KeySpace, BuildsHashTaggedKeys) {
  KeySpace keys("ciutils");
  EXPECT_EQ(keys.key("lock:uat", "holders"), "ciutils:{lock:uat}:holders");
  EXPECT_EQ(keys.key("q:e2e", ""), "ciutils:{q:e2e}");
}

TEST(KeySpace, NamespaceFromFlagThenEnvironmentThenDefault) {
  ::setenv("CIUTILS_NAMESPACE", "team-a", 1);
  EXPECT_EQ(KeySpace::checked(std::nullopt).key("x", "y"), "team-a:{x}:y");
  EXPECT_EQ(KeySpace::checked("team-b").name(), "team-b");
  ::unsetenv("CIUTILS_NAMESPACE");
  EXPECT_EQ(KeySpace::checked(std::nullopt).name(), "ciutils");
  for (const char* bad : {"", "a{b", "a}b", "a:b", "a b"}) {
    try {
      KeySpace::checked(std::string(bad));
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()), std::string("--namespace: invalid namespace '") + bad + "'");
    }
  }
}

TEST(Sha1, MatchesKnownDigests) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex(std::string(1000, 'a')), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
}

TEST(Redis, CommandsAndTypedReplies) {
  RedisServer server;
  auto redis = Redis::connect(parse_redis_url(server.url()));
  EXPECT_EQ(redis.command({"SET", "k", "v"}).string(), "OK");
  EXPECT_EQ(redis.command({"GET", "k"}).string(), "v");
  EXPECT_TRUE(redis.command({"GET", "missing"}).is_nil());
  EXPECT_EQ(redis.command({"INCR", "n"}).integer(), 1);
  redis.command({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(redis.command({"LRANGE", "l", "0", "-1"}).strings(), (std::vector<std::string>{"a", "b"}));
  try {
    redis.command({"INCR", "k"});
    FAIL();
  } catch (const RedisReplyError& e) {
    EXPECT_STREQ(e.what(), "Redis INCR: ERR value is not an integer or out of range");
  }
  EXPECT_THROW(redis.command({"GET", "k"}).integer(), std::runtime_error);
}

TEST(Redis, SelectsTheDatabaseAndConnectsOverUnixSocket) {
  RedisServer server;
  auto db3 = Redis::connect(parse_redis_url(server.url("", 3)));
  db3.command({"SET", "where", "db3"});
  auto unix_db3 = Redis::connect(parse_redis_url("unix://" + server.socket() + "?db=3"));
  EXPECT_EQ(unix_db3.command({"GET", "where"}).string(), "db3");
  auto db0 = Redis::connect(parse_redis_url(server.url()));
  EXPECT_TRUE(db0.command({"GET", "where"}).is_nil());
}

TEST(Redis, AuthenticatesWithPasswordAndAclUser) {
  RedisServer server("--requirepass topsecret");
  auto admin = Redis::connect(parse_redis_url(server.url(":topsecret@")));
  admin.command({"ACL", "SETUSER", "ci", "on", ">ci-pass", "~*", "+@all"});
  auto user = Redis::connect(parse_redis_url(server.url("ci:ci-pass@")));
  EXPECT_EQ(user.command({"ACL", "WHOAMI"}).string(), "ci");
  try {
    Redis::connect(parse_redis_url(server.url(":wrong-password@")));
    FAIL();
  } catch (const ServiceError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find("wrong-password"), std::string::npos) << what;
    EXPECT_NE(what.find("redis://:***@127.0.0.1:"), std::string::npos) << what;
  }
}

TEST(Redis, ARefusalIsAServiceErrorNamingCauseAndRedactedUrl) {
  RedisServer server("--requirepass topsecret");
  auto redis = Redis::connect(parse_redis_url(server.url()));
  try {
    redis.command({"GET", "k"});
    FAIL();
  } catch (const RedisRefusedError& e) {
    EXPECT_EQ(e.code(), ExitCode::unavailable);
    EXPECT_FALSE(e.transient());
    EXPECT_EQ(std::string(e.what()), "Redis at " + server.url() + " refused GET: a password is needed (give it in the "
                                     "URL: redis://:PASSWORD@host:port/db) (NOAUTH Authentication required.)");
  }
}

TEST(Redis, UnreachableServerIsAServiceErrorNamingTheRedactedUrl) {
  int port = free_port();
  try {
    Redis::connect(parse_redis_url("redis://:pw1234@127.0.0.1:" + std::to_string(port) + "/0"));
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot connect to Redis at redis://:***@127.0.0.1:" +
                                         std::to_string(port) + "/0: Connection refused");
    EXPECT_EQ(e.code(), ExitCode::unavailable);
  }
}

TEST(Redis, ScriptsReloadAfterNoscript) {
  RedisServer server;
  auto redis = Redis::connect(parse_redis_url(server.url()));
  Script incr_by("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  EXPECT_EQ(incr_by.sha(), sha1_hex(incr_by.source()));
  EXPECT_EQ(redis.eval(incr_by, {"n"}, {"5"}).integer(), 5);
  redis.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(redis.eval(incr_by, {"n"}, {"2"}).integer(), 7);
  EXPECT_EQ(redis.command({"SCRIPT", "EXISTS", incr_by.sha()})[0].integer(), 1);
  Script failing("return redis.error_reply('BADTOKEN held by someone else')");
  try {
    redis.eval(failing, {}, {});
    FAIL();
  } catch (const RedisReplyError& e) {
    EXPECT_EQ(e.reply(), "BADTOKEN held by someone else");
  }
}

TEST(Redis, ServerGoingAwayMidCommandThenComingBack) {
  RedisServer server;
  auto redis = Redis::connect(parse_redis_url(server.url()));
  redis.command({"SET", "k", "v"});
  // A blocking command is in flight when the server dies.
  std::thread killer([&] {
    std::this_thread::sleep_for(300ms);
    server.kill_now();
  });
  try {
    redis.command({"BLPOP", "never", "5"});
    killer.join();
    FAIL() << "BLPOP returned although the server died";
  } catch (const ServiceError& e) {
    killer.join();
    EXPECT_NE(std::string(e.what()).find("Redis BLPOP at redis://127.0.0.1:"), std::string::npos) << e.what();
  }
  // While it is down, commands fail fast with the same kind of error.
  EXPECT_THROW(redis.command({"PING"}), ServiceError);
  server.start();
  // Back again: the next command reconnects by itself.
  EXPECT_EQ(redis.command({"PING"}).string(), "PONG");
}

TEST(Redis, CommandTimeout) {
  RedisServer server;
  auto redis = Redis::connect(parse_redis_url(server.url()), {std::chrono::seconds(2), 200ms});
  try {
    redis.command({"BLPOP", "never", "5"});
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_NE(std::string(e.what()).find(": timed out"), std::string::npos) << e.what();
  }
  redis.set_command_timeout(std::chrono::seconds(5));
  EXPECT_TRUE(redis.command({"BLPOP", "never", "1"}).is_nil());
}

namespace {

// A CA and a server certificate for 127.0.0.1, made with the openssl command in dir.
void make_certificates(const fs::path& dir) {
  std::string cmd = "cd " + dir.string() +
                    " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null"
                    " && openssl req -x509 -new -key ca.key -days 2 -subj /CN=ca -out ca.crt"
                    " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key 2>/dev/null"
                    " && openssl req -new -key server.key -subj /CN=localhost -out server.csr"
                    " && printf 'subjectAltName=IP:127.0.0.1\\n' >ext"
                    " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
                    " -extfile ext -out server.crt 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

struct TlsServer {
  TlsServer()
      : certificates(make_directory()), tls_port(free_port()),
        server((make_certificates(certificates), "--tls-port " + std::to_string(tls_port) + " --tls-cert-file " +
                                                     (certificates / "server.crt").string() + " --tls-key-file " +
                                                     (certificates / "server.key").string() +
                                                     " --tls-auth-clients no --requirepass pw1234")) {}
  ~TlsServer() { fs::remove_all(certificates); }
  static fs::path make_directory() {
    char tmpl[] = "/tmp/ciutils-tls-XXXXXX";
    return ::mkdtemp(tmpl);
  }
  std::string url(int db = 0) const {
    return "rediss://:pw1234@127.0.0.1:" + std::to_string(tls_port) + "/" + std::to_string(db) +
           "?cacert=" + (certificates / "ca.crt").string();
  }
  fs::path certificates;
  int tls_port;
  RedisServer server;
};

}  // namespace

TEST(RedisTls, CommandsAuthAndSelectOverTls) {
  TlsServer tls;
  auto redis = Redis::connect(parse_redis_url(tls.url(2)));
  EXPECT_EQ(redis.command({"SET", "k", std::string(100000, 'x')}).string(), "OK");
  EXPECT_EQ(redis.command({"STRLEN", "k"}).integer(), 100000);
  EXPECT_EQ(redis.command({"GET", "k"}).string().size(), 100000u);
  EXPECT_NE(redis.command({"CLIENT", "INFO"}).string().find(" db=2 "), std::string::npos);
  Script incr_by("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  EXPECT_EQ(redis.eval(incr_by, {"n"}, {"5"}).integer(), 5);
  EXPECT_EQ(redis.command({"SELECT", "2"}).string(), "OK");
  EXPECT_EQ(redis.command({"DBSIZE"}).integer(), 2);
}

TEST(RedisTls, APlainClientDroppedByATlsPortIsToldSo) {
  TlsServer tls;
  std::string url = "redis://127.0.0.1:" + std::to_string(tls.tls_port) + "/0";
  auto redis = Redis::connect(parse_redis_url(url));
  try {
    redis.command({"PING"});
    FAIL() << "a TLS port answered a plain PING";
  } catch (const ServiceError& e) {
    std::string message = e.what();
    EXPECT_TRUE(message.starts_with("Redis PING at " + url + ": ")) << message;
    EXPECT_TRUE(message.ends_with(" (is that port TLS? use a rediss:// URL)")) << message;
  }
}

TEST(RedisTls, CommandTimeoutThenServerGoingAwayThenComingBack) {
  TlsServer tls;
  auto redis = Redis::connect(parse_redis_url(tls.url()), {std::chrono::seconds(2), 200ms});
  try {
    redis.command({"BLPOP", "never", "5"});
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Redis BLPOP at rediss://:***@127.0.0.1:" + std::to_string(tls.tls_port) + "/0: timed out");
  }
  redis.set_command_timeout(std::chrono::seconds(5));
  std::thread killer([&] {
    std::this_thread::sleep_for(300ms);
    tls.server.kill_now();
  });
  try {
    redis.command({"BLPOP", "never", "5"});
    killer.join();
    FAIL() << "BLPOP returned although the server died";
  } catch (const ServiceError& e) {
    killer.join();
    EXPECT_EQ(std::string(e.what()), "Redis BLPOP at rediss://:***@127.0.0.1:" + std::to_string(tls.tls_port) +
                                         "/0: Server closed the connection");
  }
  EXPECT_THROW(redis.command({"PING"}), ServiceError);
  tls.server.start();
  EXPECT_EQ(redis.command({"PING"}).string(), "PONG");
}

TEST(RedisTls, HandshakeWithASilentServerEndsAtTheConnectTimeout) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string url = "rediss://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/0?insecure=1";
  auto started = std::chrono::steady_clock::now();
  try {
    Redis::connect(parse_redis_url(url), {300ms, 300ms});
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot connect to Redis at rediss://127.0.0.1:" +
                                         std::to_string(ntohs(addr.sin_port)) +
                                         "/0: TLS handshake timed out (is that port TLS? use redis:// for a plain one)");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ::close(listener);
}
