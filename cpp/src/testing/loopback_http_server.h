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

/// Answers each request on its own connection (Connection: close) with the next
/// scripted answer, 500 once they run out, and records what it was asked. Requests
/// are served one at a time. Stopped and joined when destroyed.
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

  explicit LoopbackHttpServer(std::vector<Answer> answers)
      : answers_(answers.begin(), answers.end()) {
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
      thread_ = std::thread([this] { Serve(); });
    }
  }
  ~LoopbackHttpServer() {
    ::shutdown(listener_, SHUT_RDWR);  // wakes the accept() below
    if (thread_.joinable()) thread_.join();
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

 private:
  void Serve() {
    for (;;) {
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      Answer answer = Handle(connection);
      const std::string reply = "HTTP/1.1 " + std::to_string(answer.status_code) +
                                " Scripted\r\nContent-Length: " + std::to_string(answer.body.size()) +
                                "\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n" +
                                answer.body;
      (void)::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(connection);
    }
  }

  // Reads one request (headers, then a body of Content-Length bytes) and records it.
  Answer Handle(int connection) {
    std::string received;
    char buffer[4096];
    size_t end = std::string::npos;
    while ((end = received.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
      if (n <= 0) return {400, ""};
      received.append(buffer, static_cast<size_t>(n));
    }
    Request request;
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
    for (size_t got = received.size() - end - 4; got < body_bytes;) {
      const ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    std::lock_guard<std::mutex> guard(mutex_);
    requests_.push_back(std::move(request));
    if (answers_.empty()) return {500, ""};
    Answer answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }

  int listener_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;  // guards answers_ and requests_
  std::deque<Answer> answers_;
  std::vector<Request> requests_;
  std::thread thread_;
};

}  // namespace fsspeckit::testing
