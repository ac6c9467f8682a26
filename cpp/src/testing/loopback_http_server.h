// fsspeckit: an HTTP server on 127.0.0.1 for tests: scripted answers, requests recorded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fsspeckit::testing {

/// Answers each request with the next scripted answer (500 once they run out) and
/// records what it was asked and on how many connections. Each connection is served on
/// its own thread; `keep_alive`: a connection serves requests until the client closes
/// it, else one (Connection: close). Stopped and joined when destroyed.
class LoopbackHttpServer {
 public:
  struct Request {
    std::string method;
    std::string target;                ///< path and query, as sent
    std::vector<std::string> headers;  ///< "name: value", names lowercased
    /// Whether a header named `name` (lowercase) was sent.
    bool Has(const std::string& name) const {
      return std::any_of(headers.begin(), headers.end(),
                         [&](const std::string& h) { return h.starts_with(name + ":"); });
    }
  };
  struct Answer {
    int status_code = 200;
    std::string body;
  };

  explicit LoopbackHttpServer(std::vector<Answer> answers, bool keep_alive = false)
      : keep_alive_(keep_alive), answers_(answers.begin(), answers.end()) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;  // any free port
    socklen_t length = sizeof(address);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        ::listen(listener_, 16) == 0 &&
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
      acceptor_ = std::thread([this] { Accept(); });
    }
  }
  ~LoopbackHttpServer() {
    ::shutdown(listener_, SHUT_RDWR);  // wakes the accept()
    if (acceptor_.joinable()) acceptor_.join();
    {
      std::lock_guard<std::mutex> guard(mutex_);
      for (int connection : connections_) ::shutdown(connection, SHUT_RDWR);  // wakes recv()
    }
    for (std::thread& server : servers_) server.join();
    for (int connection : connections_) ::close(connection);
    ::close(listener_);
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  /// 0 when the server could not start.
  int port() const { return port_; }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return requests_;
  }
  /// Connections accepted so far.
  size_t connections() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return connections_.size();
  }

 private:
  void Accept() {
    for (;;) {
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      std::lock_guard<std::mutex> guard(mutex_);
      connections_.push_back(connection);
      servers_.emplace_back([this, connection] { Serve(connection); });
    }
  }

  void Serve(int connection) {
    std::string received;  // what came beyond the request being read
    do {
      Request request;
      if (!Read(connection, received, request)) return;
      Answer answer = Record(std::move(request));
      const std::string reply = "HTTP/1.1 " + std::to_string(answer.status_code) +
                                " Scripted\r\nContent-Length: " + std::to_string(answer.body.size()) +
                                "\r\nContent-Type: application/xml\r\nConnection: " +
                                (keep_alive_ ? "keep-alive" : "close") + "\r\n\r\n" + answer.body;
      if (::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) return;
    } while (keep_alive_);
    ::shutdown(connection, SHUT_RDWR);
  }

  // Reads one request (headers, then a body of Content-Length bytes); false at the end
  // of the connection.
  static bool Read(int connection, std::string& received, Request& request) {
    char buffer[4096];
    size_t end = std::string::npos;
    while ((end = received.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
      if (n <= 0) return false;
      received.append(buffer, static_cast<size_t>(n));
    }
    size_t body_bytes = 0;
    size_t start = 0;
    for (size_t line_end; (line_end = received.find("\r\n", start)) <= end; start = line_end + 2) {
      std::string line = received.substr(start, line_end - start);
      if (start == 0) {
        const size_t space = line.find(' ');
        request.method = line.substr(0, space);
        request.target = line.substr(space + 1, line.rfind(' ') - space - 1);
        continue;
      }
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::transform(line.begin(), line.begin() + colon, line.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (line.starts_with("content-length:")) body_bytes = std::stoul(line.substr(colon + 1));
      request.headers.push_back(line);
    }
    received.erase(0, end + 4);
    while (received.size() < body_bytes) {
      const ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
      if (n <= 0) return false;
      received.append(buffer, static_cast<size_t>(n));
    }
    received.erase(0, body_bytes);
    return true;
  }

  Answer Record(Request request) {
    std::lock_guard<std::mutex> guard(mutex_);
    requests_.push_back(std::move(request));
    if (answers_.empty()) return {500, ""};
    Answer answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }

  const bool keep_alive_;
  int listener_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;  // guards what follows
  std::deque<Answer> answers_;
  std::vector<Request> requests_;
  std::vector<int> connections_;
  std::vector<std::thread> servers_;
  std::thread acceptor_;
};

}  // namespace fsspeckit::testing
