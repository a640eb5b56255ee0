// For unit tests only: a throwaway redis-server (the Debian package) in a temp dir, on a free
// loopback port and a unix socket, stopped (SIGKILL) by the destructor.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace ciutils::testing {

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class RedisServer {
public:
  explicit RedisServer(std::string extra = "") : m_port(free_port()), m_extra(std::move(extra)) {
    char tmpl[] = "/tmp/ciutils-redis-XXXXXX";
    m_dir = ::mkdtemp(tmpl);
    start();
  }
  ~RedisServer() {
    kill_now();
    std::filesystem::remove_all(m_dir);
  }
  void start() {
    std::string cmd = "redis-server --port " + std::to_string(m_port) + " --bind 127.0.0.1 --dir " +
                      m_dir.string() + " --unixsocket " + socket() +
                      " --save '' --appendonly no --daemonize yes --pidfile " + pidfile() +
                      " --logfile " + (m_dir / "log").string() + " " + m_extra;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    for (int i = 0; i < 200; ++i) {
      std::string ping = "redis-cli -p " + std::to_string(m_port) + " ping >/dev/null 2>&1";
      if (std::system(ping.c_str()) == 0 && std::filesystem::exists(pidfile())) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "redis-server did not start: " << cmd;
  }
  void kill_now() {
    std::ifstream in(pidfile());
    pid_t pid = 0;
    if (in >> pid && pid > 0) {
      ::kill(pid, SIGKILL);
      for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    std::filesystem::remove(pidfile());
  }
  int port() const { return m_port; }
  std::string url(std::string auth = "", int db = 0) const {
    return "redis://" + auth + "127.0.0.1:" + std::to_string(m_port) + "/" + std::to_string(db);
  }
  std::string socket() const { return (m_dir / "redis.sock").string(); }

private:
  std::string pidfile() const { return (m_dir / "redis.pid").string(); }
  int m_port;
  std::string m_extra;
  std::filesystem::path m_dir;
};


}  // namespace ciutils::testing
